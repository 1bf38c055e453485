import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, codeOf, createSeminar, registerFor, requestWithin, roomOf } from './support';

// A deploy stops Lectern while people keep joining. The gateway's close() leaves every socket
// it holds; a join under way at that moment, or one that arrives after, would build a peer,
// presence and an attendance span that nothing tears down any more. Both are refused with
// server_stopping (the pages' connection tries again, on the restarted server or another node).

let app: Lectern | undefined;
let clients: Clients | undefined;
afterAll(async () => {
  clients?.closeAll();
  vi.restoreAllMocks();
  await app?.stop();
});

describe('a join while the server stops', () => {
  it('is refused with server_stopping, and leaves no peer, presence or open attendance behind', async () => {
    app = await startTestApp('live_stopping', { MEDIASOUP_WORKERS: '1' });
    const api = Api.of(app);
    const people = await cast(api);
    clients = new Clients(app);
    const seminarId = await createSeminar(api, people.lecturer);
    await registerFor(api, seminarId, people.learner);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);

    // A learner's join is held at its attendance write until the stop has begun.
    const live = app.domain.live;
    const attend = live.attend.bind(live);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atAttendance = new Promise<void>((resolve) => (reached = resolve));
    vi.spyOn(live, 'attend').mockImplementation(async (who) => {
      reached();
      await held;
      return attend(who);
    });
    const early = await clients.connect(people.learner);
    const earlyAnswer = requestWithin(early, 'room:join', { seminarId }, 10_000);
    await atAttendance;
    const room = await roomOf(app, seminarId);
    expect(room.hasPeer(early.socket.id!)).toBe(true);

    let closed = false;
    const closing = app.live.close().then(() => (closed = true));
    // One that arrives after the stop began (the HTTP server still takes connections until close() is done).
    const late = await clients.connect(people.learner);
    expect(codeOf(await requestWithin(late, 'room:join', { seminarId }))).toBe('server_stopping');
    // close() waits for the held join before it leaves the sockets it knows.
    expect(closed).toBe(false);
    release();
    expect(codeOf(await earlyAnswer)).toBe('server_stopping');
    await closing;

    expect(app.live.counts()).toEqual({ presence: 0, seminars: 0, sockets: 0 });
    expect(room.hasPeer(early.socket.id!)).toBe(false);
    expect(room.hasPeer(lecturer.socket.id!)).toBe(false);
    expect(room.hasPeer(late.socket.id!)).toBe(false);
    // The learner's span was opened by the held join and ended with it.
    const spans = (await app.repos.live.attendance(seminarId)).filter((a) => a.userId === people.learner.id);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.leftAt).not.toBeNull();
  }, 60_000);
});
