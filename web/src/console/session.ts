// Who is signed in to the console (an owner, a member of its organisation, or the operator's
// read-only view of an owner's console), apart from the follower app's session.
import { computed, ref } from 'vue';
import { ApiError, get, post, setCsrf, setOperatorToken, type Schemas } from '../api';

export type OwnerOut = Schemas['OwnerOut'];
export type ConsoleMe = Schemas['ConsoleMeOut'];

export const owner = ref<ConsoleMe | null>(null);
export const ownerChecked = ref(false);
/// Signed in with the operator token (kept in this tab's sessionStorage only): every owner's
/// accounts, and the operator's own actions.
export const operator = ref(false);
const OPERATOR_KEY = 'herald-operator-token';
/// The operator's token while this tab shows an owner's console read-only.
const RETURN_KEY = 'herald-operator-return';

/// May the one signed in read / change an area of an account (`overview`, `followers`, …)?
export const reads = (area: string) => operator.value || !!owner.value?.reads.includes(area);
export const writes = (area: string) => operator.value || !!owner.value?.writes.includes(area);
export const viewing = computed(() => owner.value?.role === 'viewer');

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

/// The operator opens an owner's console read-only in this tab (a viewer session).
export async function openView(ownerId: string): Promise<void> {
  const token = sessionStorage.getItem(OPERATOR_KEY) ?? '';
  const me = await post<ConsoleMe>(`/herald/v1/owners/${encodeURIComponent(ownerId)}/console_view`);
  sessionStorage.setItem(RETURN_KEY, token);
  sessionStorage.removeItem(OPERATOR_KEY);
  setOperatorToken('');
  operator.value = false;
  ownerSignedIn(me);
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
  // Leaving a read-only view returns to the operator's console.
  const back = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  if (back) await operatorSignIn(back).catch(() => null);
}
