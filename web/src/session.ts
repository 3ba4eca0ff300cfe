// Who is signed in, shared by every page.
import { ref } from 'vue';
import { ApiError, get, post, setCsrf, type MeOut } from './api';

export const me = ref<MeOut | null>(null);
export const checked = ref(false);

export async function loadMe(): Promise<MeOut | null> {
  try {
    me.value = await get<MeOut>('/herald/v1/me');
    setCsrf(me.value.csrf_token);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    me.value = null;
  }
  checked.value = true;
  return me.value;
}

export function signedIn(m: MeOut) {
  me.value = m;
  setCsrf(m.csrf_token);
}

export async function signOut() {
  await post('/herald/v1/auth/signout');
  me.value = null;
  setCsrf('');
}
