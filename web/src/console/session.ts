// Who is signed in to the console (an owner), apart from the follower app's session.
import { ref } from 'vue';
import { ApiError, get, post, setCsrf } from '../api';

export interface OwnerOut { id: string; kind: string; name: string; created_at: number }
export interface ConsoleMe { owner: OwnerOut; email: string; csrf_token: string }

export const owner = ref<ConsoleMe | null>(null);
export const ownerChecked = ref(false);

export async function loadOwner(): Promise<ConsoleMe | null> {
  try {
    owner.value = await get<ConsoleMe>('/herald/v1/console/me');
    setCsrf(owner.value.csrf_token, 'console');
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    owner.value = null;
  }
  ownerChecked.value = true;
  return owner.value;
}

export function ownerSignedIn(m: ConsoleMe) {
  owner.value = m;
  ownerChecked.value = true;
  setCsrf(m.csrf_token, 'console');
}

export async function ownerSignOut() {
  await post('/herald/v1/console/signout');
  owner.value = null;
  setCsrf('', 'console');
}
