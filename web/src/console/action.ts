// What every console form does with an action: clear the last outcome, run it, and show what it
// says on success (a status) or why it failed (an error, in words of its own for some codes).
import { ref } from 'vue';
import { ApiError } from '../api';
import { ct } from './i18n';

export function useAction() {
  const status = ref('');
  const error = ref('');
  async function run(f: () => Promise<string>, wrong: Record<string, string> = {}): Promise<void> {
    status.value = ''; error.value = '';
    try {
      status.value = await f();
    } catch (e) {
      error.value = e instanceof ApiError ? (wrong[e.code] ?? e.message) : ct('error');
    }
  }
  return { status, error, run };
}
