import type { Lectern } from '../../server/main';
import { DEFAULT_PRIVACY_POLICY } from '../../server/config';
import { contractOf } from './contract';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/**
 * A thin fetch wrapper over /api/v1 of an in-process Lectern. Every response is
 * checked against the OpenAPI document the server publishes (support/contract.ts):
 * a status it does not document, or a body off its schema, fails the test.
 */
export class Api {
  constructor(readonly baseUrl: string) {}

  /** An Api on an in-process app; `baseUrl` when clients reach it by another address (a network namespace). */
  static of(app: Lectern, baseUrl = app.url): Api {
    apps.set(baseUrl, app);
    return new Api(baseUrl);
  }

  async call<T = any>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Uint8Array | undefined;
    if (opts.rawBody !== undefined) {
      body = opts.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const url = `${this.baseUrl}${path.startsWith('/api') ? path : `/api/v1${path}`}`;
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    (await contractOf(this.baseUrl)).check({ method, url, status: res.status, headers: res.headers, text });
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  }
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

let counter = 0;

/** What sign-up sends as consent to the personal-data policy (the default policy's version). */
export const CONSENT = { policyVersion: DEFAULT_PRIVACY_POLICY.version, accepted: true } as const;

/**
 * A learner account, signed up through the API. On an app made with Api.of(app) its address is
 * marked confirmed, as if the mailed link had been followed (test/e2e/accounts.test.ts follows the
 * real link), so that it may register for seminars; `confirmed: false` leaves it unconfirmed.
 */
export async function registerUser(
  api: Api,
  opts: { email?: string; locale?: 'ru' | 'en'; displayName?: string; confirmed?: boolean } = {},
): Promise<TestUser> {
  const email = opts.email ?? `user${process.pid}-${++counter}-${Date.now()}@test.lectern`;
  const res = await api.call('POST', '/auth/register', {
    body: {
      email,
      password: 'correct horse battery',
      displayName: opts.displayName ?? 'Тестовый Пользователь',
      locale: opts.locale ?? 'ru',
      consent: CONSENT,
    },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  const app = apps.get(api.baseUrl);
  if (app && opts.confirmed !== false) await app.repos.users.confirmEmail(res.body.user.id, new Date());
  return { id: res.body.user.id, email, token: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/** Signs in again so the access token carries the user's current roles. */
export async function login(api: Api, email: string): Promise<TestUser> {
  const res = await api.call('POST', '/auth/login', { body: { email, password: 'correct horse battery' } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return { id: res.body.user.id, email, token: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export const ADMIN_EMAIL = 'admin@test.lectern';

/** The in-process apps behind the Api objects, for what only the server's console may do. */
const apps = new Map<string, Lectern>();

/**
 * The admin, signed in: registered like anyone, then made admin the way an operator does
 * (AccountService.makeAdmin, what `npm run admin -- create` runs); registering never makes one.
 */
export async function registerAdmin(api: Api): Promise<TestUser> {
  const app = apps.get(api.baseUrl);
  if (!app) throw new Error('registerAdmin needs an Api made with Api.of(app)');
  await registerUser(api, { email: ADMIN_EMAIL });
  await app.domain.accounts.makeAdmin(ADMIN_EMAIL, 'Администратор');
  return login(api, ADMIN_EMAIL);
}

/** An admin, two lecturers and two learners. */
export async function cast(api: Api) {
  const admin = await registerAdmin(api);
  const makeLecturer = async () => {
    const u = await registerUser(api);
    const res = await api.call('PUT', `/users/${u.id}/roles`, { token: admin.token, body: { roles: ['lecturer'] } });
    if (res.status !== 200) throw new Error(`grant failed: ${res.status} ${res.text}`);
    return login(api, u.email);
  };
  return {
    admin,
    lecturer: await makeLecturer(),
    otherLecturer: await makeLecturer(),
    learner: await registerUser(api),
    otherLearner: await registerUser(api),
  };
}
