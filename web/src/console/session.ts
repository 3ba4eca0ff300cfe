// Who is signed in to the console (an owner), apart from the follower app's session.
import { ref } from 'vue';
import { ApiError, get, post, setCsrf, setOperatorToken } from '../api';

export interface OwnerOut { id: string; kind: string; name: string; created_at: number }
export interface ConsoleMe { owner: OwnerOut; email: string; csrf_token: string }

export const owner = ref<ConsoleMe | null>(null);
export const ownerChecked = ref(false);
/// Signed in with the operator token (kept in this tab's sessionStorage only): every owner's
/// accounts, and the operator's own actions.
export const operator = ref(false);
const OPERATOR_KEY = 'herald-operator-token';

/// Signs in as the operator if `token` is the operator token.
export async function operatorSignIn(token: string): Promise<void> {
  setOperatorToken(token);
  try {
    await get('/herald/v1/owners');
  } catch (e) {
    setOperatorToken('');
    throw e;
  }
  sessionStorage.setItem(OPERATOR_KEY, token);
  operator.value = true;
  ownerChecked.value = true;
}

export async function loadOwner(): Promise<ConsoleMe | null> {
  const saved = sessionStorage.getItem(OPERATOR_KEY);
  if (saved) {
    try {
      await operatorSignIn(saved);
      return null;
    } catch {
      sessionStorage.removeItem(OPERATOR_KEY);
    }
  }
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
  if (operator.value) {
    sessionStorage.removeItem(OPERATOR_KEY);
    setOperatorToken('');
    operator.value = false;
    return;
  }
  await post('/herald/v1/console/signout');
  owner.value = null;
  setCsrf('', 'console');
}
