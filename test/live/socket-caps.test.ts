import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { LiveClient } from '../support/live-client';
import { createSeminar } from './support';

// Caps on open /live sockets: anonymous ones per client address (50 by default),
// signed-in ones per user (10), counted in the handshake.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
const opened: Socket[] = [];

beforeAll(async () => {
  app = await startTestApp('live_socket_caps', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(async () => {
  for (const s of opened) s.disconnect();
  await app?.stop();
});

/** A socket from `address` (as the reverse proxy reports it); resolves with it, or with the refusal's code. */
function connectFrom(address: string, token?: string): Promise<{ socket: Socket; code?: string }> {
  const socket = io(`${app.url}/live`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: token ? { token } : {},
    extraHeaders: { 'x-forwarded-for': address },
  });
  opened.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => resolve({ socket, code: err.data?.code ?? err.message }));
  });
}

describe('socket caps', () => {
  it('refuses 300 anonymous sockets from one address past the cap, and the lecturer still goes live', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true, status: 'scheduled' });
    const results: Array<{ socket: Socket; code?: string }> = [];
    for (let batch = 0; batch < 6; batch++)
      results.push(...(await Promise.all(Array.from({ length: 50 }, () => connectFrom('10.30.0.1')))));
    const accepted = results.filter((r) => r.code === undefined);
    expect(accepted).toHaveLength(50);
    expect(results.filter((r) => r.code === 'too_many_connections')).toHaveLength(250);
    expect(app.live.counts().sockets).toBe(0);

    // The accepted ones are real viewers of the public seminar.
    const joins = await Promise.all(accepted.slice(0, 5).map((r) => r.socket.timeout(10_000).emitWithAck('room:join', { seminarId })));
    expect(joins.every((a: { ok: boolean }) => a.ok)).toBe(true);

    // Another address, and the lecturer (signed in, even behind the same address), are not affected.
    expect((await connectFrom('10.30.0.2')).code).toBeUndefined();
    const lecturer = await connectFrom('10.30.0.1', people.lecturer.token);
    expect(lecturer.code).toBeUndefined();
    const client = LiveClient.wrap(lecturer.socket);
    await client.ok('room:join', { seminarId });
    expect(await client.ok('seminar:go-live', {})).toEqual({ status: 'live' });
    expect((await app.repos.seminars.get(seminarId))?.status).toBe('live');

    // A closed socket frees its place.
    accepted[49]!.socket.disconnect();
    await new Promise((r) => setTimeout(r, 200));
    expect((await connectFrom('10.30.0.1')).code).toBeUndefined();
    expect((await connectFrom('10.30.0.1')).code).toBe('too_many_connections');
  }, 120_000);

  it('caps one user’s sockets, wherever they come from', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => connectFrom(`10.31.0.${i}`, people.otherLearner.token)));
    expect(results.filter((r) => r.code === undefined)).toHaveLength(10);
    expect(results.filter((r) => r.code === 'too_many_connections')).toHaveLength(2);
    expect((await connectFrom('10.31.1.1', people.learner.token)).code).toBeUndefined();
  });
});
