// The platform API as the app uses it: same-origin JSON, the session cookie, and the
// session's CSRF token on every write.

import type { components } from './api-schema';

// The answers of typed endpoints, generated from docs/openapi.yaml (`npm run schema`).
export type Schemas = components['schemas'];
export type UserOut = Schemas['UserOut'];
export type MeOut = Schemas['MeOut'];
export interface ApiFailure { status: number; code: string; message: string }

// Each area's session has its own CSRF token: the follower app's, and the console's (an
// owner's session, on pages under /console).
export type Area = 'app' | 'console';
const csrf: Record<Area, string> = { app: '', console: '' };
export function setCsrf(token: string, area: Area = 'app') { csrf[area] = token; }
// The operator signed in to the console sends its token instead of a session.
let operatorToken = '';
export function setOperatorToken(token: string) { operatorToken = token; }
const area = (): Area => (location.pathname.startsWith('/console') ? 'console' : 'app');

export class ApiError extends Error implements ApiFailure {
  constructor(public status: number, public code: string, message: string) { super(message); }
}

/// The credentials a write carries in this area (for requests `call` does not make, such as
/// uploads with a raw body).
export function authHeaders(): Record<string, string> {
  if (operatorToken && area() === 'console') return { authorization: `Bearer ${operatorToken}` };
  return csrf[area()] ? { 'x-csrf-token': csrf[area()] } : {};
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (operatorToken && area() === 'console') headers.authorization = `Bearer ${operatorToken}`;
  else if (method !== 'GET' && csrf[area()]) headers['x-csrf-token'] = csrf[area()];
  const r = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new ApiError(r.status, data?.code ?? 'error', data?.message ?? r.statusText);
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, body);
export const del = <T>(path: string) => call<T>('DELETE', path);

/// Paths under the signed-in user's own resource.
export const mine = (me: UserOut, rest: string) => `/herald/v1/users/${encodeURIComponent(me.id)}${rest}`;
