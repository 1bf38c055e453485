import { signal } from '@preact/signals';
import { sessionView, userView, type SessionView } from '../../server/protocol/accounts';
import { request, setTokenSource } from './kit/api';
import { setLang } from './kit/i18n';

// The signed-in session lives in sessionStorage (one tab, gone when it closes).
// No address signs anyone in: a link carrying a token would let its author sign a victim in as someone else.

const KEY = 'lectern.session';

interface Stored {
  accessToken: string;
  refreshToken?: string;
  displayName?: string;
}

/** Who is signed in, for the pages to render from; null when signed out. */
export interface Who {
  userId: string | null;
  displayName: string | undefined;
  roles: string[];
}

/**
 * The session when the tab's storage is refused: a frame on another site (the embed pages)
 * with third-party storage blocked. It then lasts as long as the page.
 */
let unstored: Stored | null = null;

function read(): Stored | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : unstored;
  } catch {
    return unstored;
  }
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

function whoOf(s: Stored | null): Who | null {
  if (!s) return null;
  const c = claims(s.accessToken);
  return { userId: c.sub ?? null, displayName: s.displayName, roles: c.roles ?? [] };
}

/** The session as the pages see it: reading it in a component re-renders that component on sign-in and sign-out. */
export const who = signal<Who | null>(whoOf(read()));

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Refreshes a minute before the access token expires, even on a page that calls nothing:
 * the new token carries the user's current roles, so a role an admin granted or removed
 * reaches the open page (its links) without signing in again.
 */
function scheduleRefresh(s: Stored | null): void {
  clearTimeout(refreshTimer);
  const exp = s ? claims(s.accessToken).exp : undefined;
  if (!s?.refreshToken || exp === undefined) return;
  refreshTimer = setTimeout(() => void refresh(), Math.max(1000, exp * 1000 - Date.now() - 60_000));
}

function write(s: Stored | null): void {
  try {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
    unstored = null;
  } catch {
    // Storage blocked: the session lasts as long as the page.
    unstored = s;
  }
  who.value = whoOf(s);
  scheduleRefresh(s);
}

export function hasSession(): boolean {
  return read() !== null;
}

function store(view: SessionView): void {
  write({ accessToken: view.accessToken, refreshToken: view.refreshToken, displayName: view.user.displayName });
}

let refreshing: Promise<boolean> | undefined;

/** Trades the refresh token for new tokens (one trade at a time); false when there is none or it is refused. */
function refresh(): Promise<boolean> {
  const s = read();
  if (!s?.refreshToken) return Promise.resolve(false);
  refreshing ??= request('POST', '/auth/refresh', { refreshToken: s.refreshToken }, null)
    .then((answer) => {
      store(sessionView.parse(answer));
      return true;
    })
    // A refused refresh leaves the old token: the server then says what is wrong.
    .catch(() => false)
    .finally(() => (refreshing = undefined));
  return refreshing;
}

/** A current access token, refreshed first when it is about to expire and we can; null when signed out. */
export async function accessToken(): Promise<string | null> {
  const s = read();
  if (!s) return null;
  const exp = claims(s.accessToken).exp;
  if (s.refreshToken && exp !== undefined && exp * 1000 - Date.now() < 60_000) await refresh();
  return read()?.accessToken ?? null;
}

setTokenSource({ token: accessToken, refreshNow: refresh });
scheduleRefresh(read());

export async function signIn(email: string, password: string): Promise<void> {
  adopt(sessionView.parse(await request('POST', '/auth/login', { email, password }, null)));
}

/** Keeps a session the server opened (sign-in, sign-up, a changed password, the portal); the profile's language takes over. */
export function adopt(view: SessionView): void {
  store(view);
  if (!explicitLang()) void setLang(view.user.locale);
}

/**
 * A ?lang= in the address is this visit's explicit choice, and stays; so is one in the page a
 * sign-in form returns to (an embed page the portal framed with ?lang=en, say).
 */
function explicitLang(): boolean {
  const query = new URLSearchParams(location.search);
  const next = query.get('next');
  return query.has('lang') || (next !== null && new URLSearchParams(next.split('?')[1] ?? '').has('lang'));
}

/** Shows a new display name in the header at once. */
export function renamed(displayName: string): void {
  const s = read();
  if (s) write({ ...s, displayName });
}

export async function signOut(): Promise<void> {
  const s = read();
  write(null);
  if (s?.refreshToken) await request('POST', '/auth/logout', { refreshToken: s.refreshToken }, null).catch(() => undefined);
}

/**
 * A session stored without a name (an older page's): ask the server once, so the header
 * can say who is signed in. Any failure changes nothing (the token may lack the grant).
 */
export async function completeProfile(): Promise<void> {
  const s = read();
  if (!s || s.displayName !== undefined) return;
  const token = await accessToken();
  try {
    const me = userView.parse(await request('GET', '/me', undefined, token));
    const now = read();
    if (now?.accessToken === s.accessToken) write({ ...now, displayName: me.displayName });
  } catch {
    // The header then shows no name; nothing else depends on it.
  }
}
