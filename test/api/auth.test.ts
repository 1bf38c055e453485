import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, registerAdmin, registerUser, type TestUser, CONSENT } from '../support/api';
import { startTestApp } from '../support/app';

let app: Lectern;
let api: Api;
let admin: TestUser;

beforeAll(async () => {
  app = await startTestApp('auth');
  api = Api.of(app);
  admin = await registerAdmin(api);
});
afterAll(() => app.stop());

const password = 'correct horse battery';

describe('registration and sign-in', () => {
  it('registers a learner with a scrypt hash and signs in', async () => {
    const res = await api.call('POST', '/auth/register', {
      body: { email: 'Olga@Example.ru', password, displayName: 'Ольга', locale: 'ru', consent: CONSENT },
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email: 'olga@example.ru', roles: ['learner'], locale: 'ru' });
    expect(res.body.accessTokenExpiresIn).toBe(900);
    const stored = await app.db.connection.collection('users').findOne({ email: 'olga@example.ru' });
    expect(stored?.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(stored?.passwordHash).not.toContain(password);

    const login = await api.call('POST', '/auth/login', { body: { email: 'OLGA@example.ru', password } });
    expect(login.status).toBe(200);
    const me = await api.call('GET', '/me', { token: login.body.accessToken });
    expect(me.body).toMatchObject({ email: 'olga@example.ru', displayName: 'Ольга' });
  });

  it('uses a fresh salt per user', async () => {
    const a = await registerUser(api);
    const b = await registerUser(api);
    const users = app.db.connection.collection('users');
    const [ha, hb] = await Promise.all([users.findOne({ email: a.email }), users.findOne({ email: b.email })]);
    expect(ha!.passwordHash.split('$')[4]).not.toBe(hb!.passwordHash.split('$')[4]);
  });

  it('refuses a second account for the same e-mail with 409 email_taken', async () => {
    const u = await registerUser(api);
    const res = await api.call('POST', '/auth/register', {
      body: { email: u.email.toUpperCase(), password, displayName: 'X', consent: CONSENT },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
    expect(await app.db.connection.collection('users').countDocuments({ email: u.email })).toBe(1);
  });

  it('gives the same answer for a wrong password and an unknown e-mail', async () => {
    const u = await registerUser(api);
    const wrong = await api.call('POST', '/auth/login', {
      body: { email: u.email, password: 'nope nope nope' },
      headers: { 'x-forwarded-for': '10.1.0.1' },
    });
    const unknown = await api.call('POST', '/auth/login', {
      body: { email: 'ghost@example.ru', password },
      headers: { 'x-forwarded-for': '10.1.0.2' },
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect(unknown.body.error.code).toBe('invalid_credentials');
  });
});

describe('refresh tokens', () => {
  it('rotates: the new token works, the old one is refused, and replaying it revokes the family', async () => {
    const u = await registerUser(api);
    const first = await api.call('POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(u.refreshToken);

    const replay = await api.call('POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('refresh_token_reused');
    // The thief's replay also kills the legitimate successor.
    const successor = await api.call('POST', '/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
    expect(successor.status).toBe(401);
  });

  it('stores only hashes of refresh tokens', async () => {
    const u = await registerUser(api);
    const raw = await app.db.connection.collection('refresh_tokens').findOne({ hash: u.refreshToken });
    expect(raw).toBeNull();
    expect(await app.db.connection.collection('refresh_tokens').countDocuments({ userId: u.id })).toBe(1);
  });

  it('logout revokes the refresh token', async () => {
    const u = await registerUser(api);
    expect((await api.call('POST', '/auth/logout', { body: { refreshToken: u.refreshToken } })).status).toBe(204);
    const res = await api.call('POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(res.status).toBe(401);
  });

  it('a refreshed access token carries roles granted since sign-in', async () => {
    const u = await registerUser(api);
    expect((await api.call('PUT', `/users/${u.id}/roles`, { token: admin.token, body: { roles: ['lecturer'] } })).status).toBe(200);
    const before = await api.call('POST', '/seminars', {
      token: u.token,
      body: { title: 'Маркетинг', track: 'Marketing', startsAt: '2027-01-10T12:00', durationMinutes: 60, capacity: 10 },
    });
    expect(before.status).toBe(403);
    const refreshed = await api.call('POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } });
    const after = await api.call('POST', '/seminars', {
      token: refreshed.body.accessToken,
      body: { title: 'Маркетинг', track: 'Marketing', startsAt: '2027-01-10T12:00', durationMinutes: 60, capacity: 10 },
    });
    expect(after.status).toBe(201);
  });
});

describe('roles', () => {
  it('an admin cannot remove their own admin role', async () => {
    expect((await api.call('GET', '/me', { token: admin.token })).body.roles).toContain('admin');
    const res = await api.call('PUT', `/users/${admin.id}/roles`, { token: admin.token, body: { roles: ['learner'] } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('cannot_demote_self');
  });
});
