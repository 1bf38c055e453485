import { sessionView, type SessionView } from '../../server/protocol/accounts';

// The signed-in session lives in sessionStorage (one tab, gone when it closes).
// Pages also accept #token=<access JWT>, which tests and links from other tools use.

const KEY = 'lectern.session';

interface Stored {
  accessToken: string;
  refreshToken?: string;
  displayName?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function read(): Stored | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function write(s: Stored | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** Takes #token=… into the session and removes it from the address bar. */
export function adoptTokenFromHash(): void {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return;
  write({ accessToken: token });
  history.replaceState(null, '', location.pathname + location.search);
}

export function hasSession(): boolean {
  return read() !== null;
}

export function displayName(): string | undefined {
  return read()?.displayName;
}

/** The access token's claims, unverified: only to know when it expires and whose it is. */
function claims(token: string): { exp?: number; sub?: string; roles?: string[] } {
  try {
    const part = token.split('.')[1] ?? '';
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number; sub?: string; roles?: string[] };
  } catch {
    return {};
  }
}

export function userId(): string | null {
  const s = read();
  return (s && claims(s.accessToken).sub) || null;
}

export function isAdmin(): boolean {
  const s = read();
  return (s && claims(s.accessToken).roles?.includes('admin')) ?? false;
}

function store(view: SessionView): void {
  write({ accessToken: view.accessToken, refreshToken: view.refreshToken, displayName: view.user.displayName });
}

let refreshing: Promise<void> | undefined;

/** A current access token, refreshed first when it is about to expire and we can; null when signed out. */
export async function accessToken(): Promise<string | null> {
  const s = read();
  if (!s) return null;
  const exp = claims(s.accessToken).exp;
  if (s.refreshToken && exp !== undefined && exp * 1000 - Date.now() < 60_000) {
    refreshing ??= (async () => {
      try {
        store(sessionView.parse(await request('POST', '/auth/refresh', { refreshToken: s.refreshToken }, null)));
      } catch {
        // A refused refresh leaves the old token: the server then says what is wrong.
      }
    })().finally(() => (refreshing = undefined));
    await refreshing;
  }
  return read()?.accessToken ?? null;
}

export async function signIn(email: string, password: string): Promise<void> {
  store(sessionView.parse(await request('POST', '/auth/login', { email, password }, null)));
}

export async function signOut(): Promise<void> {
  const s = read();
  write(null);
  if (s?.refreshToken) await request('POST', '/auth/logout', { refreshToken: s.refreshToken }, null).catch(() => undefined);
}

async function request(method: string, path: string, body: unknown, token: string | null): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed: unknown = res.headers.get('content-type')?.includes('application/json') ? await res.json() : undefined;
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? res.statusText);
  }
  return parsed;
}

/** A call to /api/v1 as the signed-in user (or anonymously). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await request(method, path, body, await accessToken())) as T;
}
