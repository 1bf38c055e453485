import jwt from 'jsonwebtoken';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { grantsFor } from '../../server/accounts/grants';
import type { Role } from '../../server/accounts/model';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { LiveClient } from '../support/live-client';
import { Clients, codeOf, createSeminar, registerFor, requestWithin, waitFor } from './support';

// A live socket is no older than its token: it closes at the token's expiry unless the
// client hands it a fresh token of the same user (auth:refresh); roles are read at every join.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp('token_expiry', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await app?.stop();
});

/** An access token of the app's own issuer that expires in `seconds`, as the API would issue it. */
function tokenFor(user: TestUser, roles: Role[], seconds: number): string {
  return jwt.sign({ roles, scope: grantsFor(roles).join(' ') }, app.config.jwtSecret, {
    algorithm: 'HS256',
    subject: user.id,
    issuer: 'lectern',
    audience: 'lectern-api',
    expiresIn: seconds,
  });
}

const connected = (token: string) => LiveClient.connect(app.url, token);

describe('a live socket and its token', () => {
  it('is closed at the token’s expiry, after auth:expired, when no fresh token came', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const viewer = await registerUser(api);
    await registerFor(api, seminarId, viewer);
    const client = await connected(tokenFor(viewer, ['learner'], 3));
    await client.ok('room:join', { seminarId });
    const from = Date.now();
    await client.next('auth:expired', () => true, 6_000);
    await waitFor(() => (client.socket.connected ? undefined : true), 3_000, 'the socket to be closed');
    expect(Date.now() - from).toBeLessThan(4_500);
    await waitFor(() => (app.live.viewerCount(seminarId) === 0 ? true : undefined), 3_000, 'the viewer to leave the room');
    client.close();
  });

  it('stays open past the first expiry with a fresh token of the same user, until that one expires', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const viewer = await registerUser(api);
    await registerFor(api, seminarId, viewer);
    const client = await connected(tokenFor(viewer, ['learner'], 2));
    await client.ok('room:join', { seminarId });
    const refreshed = await client.ok('auth:refresh', { token: tokenFor(viewer, ['learner'], 5) });
    expect(Date.parse(refreshed.expiresAt)).toBeGreaterThan(Date.now() + 3_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(client.socket.connected).toBe(true);
    expect(client.events.map((e) => e.event)).not.toContain('auth:expired');
    expect(codeOf(await requestWithin(client, 'chat:send', { text: 'ещё здесь' }))).toBe('ok');
    await client.next('auth:expired', () => true, 5_000);
    await waitFor(() => (client.socket.connected ? undefined : true), 3_000, 'the socket to be closed');
    client.close();
  });

  it('refuses another user’s token, an invalid one, a guest’s refresh, and more than 6 a minute', async () => {
    // The shared rate limits (server/rate-limits.ts) count every refusal, for the metrics.
    const refusals: string[] = [];
    app.limits.onRefused((name) => refusals.push(name));
    const viewer = await registerUser(api);
    const other = await registerUser(api);
    const client = await connected(tokenFor(viewer, ['learner'], 60));
    expect(codeOf(await requestWithin(client, 'auth:refresh', { token: tokenFor(other, ['learner'], 60) }))).toBe('different_user');
    expect(codeOf(await requestWithin(client, 'auth:refresh', { token: 'not.a.token' }))).toBe('invalid_token');
    expect(codeOf(await requestWithin(client, 'auth:refresh', { token: tokenFor(viewer, ['learner'], -10) }))).toBe('token_expired');
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push(codeOf(await requestWithin(client, 'auth:refresh', { token: tokenFor(viewer, ['learner'], 60) })));
    expect(codes).toEqual(['ok', 'ok', 'ok', 'rate_limited']);
    expect(refusals).toEqual(['live-auth-refresh']);
    const refused = await requestWithin(client, 'auth:refresh', { token: tokenFor(viewer, ['learner'], 60) });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } } });
    const guest = await clients.connect();
    expect(codeOf(await requestWithin(guest, 'auth:refresh', { token: tokenFor(viewer, ['learner'], 60) }))).toBe('different_user');
    client.close();
  });

  it('re-reads roles at every join: a lecturer whose role was removed enters as a viewer', async () => {
    const lecturer = await registerUser(api);
    const admin = people.admin;
    const setRoles = (roles: Role[]) => api.call('PUT', `/users/${lecturer.id}/roles`, { token: admin.token, body: { roles } });
    expect((await setRoles(['lecturer'])).status).toBe(200);
    const lecturerToken = tokenFor(lecturer, ['lecturer'], 600);
    const seminarId = await createSeminar(api, { ...lecturer, token: lecturerToken }, { isPublic: true });
    const first = await connected(lecturerToken);
    expect((await first.ok('room:join', { seminarId })).role).toBe('lecturer');
    first.close();

    expect((await setRoles(['learner'])).status).toBe(200);
    // The same token still says "lecturer"; the join reads the roles the user has now.
    const second = await connected(lecturerToken);
    expect((await second.ok('room:join', { seminarId })).role).toBe('viewer');
    expect(codeOf(await requestWithin(second, 'seminar:end', {}))).not.toBe('ok');
    expect((await app.repos.seminars.get(seminarId))!.status).toBe('live');
    second.close();
  });
});
