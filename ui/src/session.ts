import { signal } from '@preact/signals';
import { ApiClient, ApiError, type Credentials } from './api.js';

export type Role = 'reader' | 'operator' | 'admin';
export type AuthMode = 'none' | 'basic' | 'token';

export interface Session {
  client: ApiClient;
  name: string;
  role: Role;
  auth: AuthMode;
}

/** Signed in, or not yet (null): the login page shows. Credentials live in this tab's session storage only. */
export const session = signal<Session | null>(null);
/** The authentication the API asked for when it refused the stored credentials (or none). */
export const authMode = signal<AuthMode | null>(null);

const STORAGE_KEY = 'anvil.credentials';

interface WhoAmI {
  name: string;
  role: Role;
  auth: AuthMode;
}

/** Signs in with `credentials`; an ApiError (401, 403, 0) says why not. */
export async function signIn(credentials: Credentials): Promise<void> {
  const client = new ApiClient(credentials);
  const me = await client.get<WhoAmI>('/v1/anvil/whoami');
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  session.value = { client, name: me.name, role: me.role, auth: me.auth };
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  session.value = null;
}

/**
 * At page load: the stored credentials, or none (an API without
 * authentication lets the dashboard straight in). A 401 leaves the login
 * page up, with the mode the API's challenge names.
 */
export async function resume(): Promise<void> {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  const credentials: Credentials = stored === null ? { kind: 'none' } : (JSON.parse(stored) as Credentials);
  try {
    await signIn(credentials);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    sessionStorage.removeItem(STORAGE_KEY);
    authMode.value = await challengedMode();
  }
}

/** basic or token, as the API says on refusing an anonymous request (X-Anvil-Auth). */
async function challengedMode(): Promise<AuthMode> {
  const response = await fetch('/v1/anvil/whoami', { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
  return response.headers.get('X-Anvil-Auth') === 'token' ? 'token' : 'basic';
}

export function canOperate(s: Session): boolean {
  return s.role === 'operator' || s.role === 'admin';
}
