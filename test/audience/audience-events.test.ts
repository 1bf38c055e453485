import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { REACTIONS_PER_VIEWER } from '../../server/live/reactions';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, codeOf, createSeminar, requestWithin, waitFor } from '../live/support';

// Reactions and presence checks over /live, against a real database: who may send each event
// (an error ack with a code, and nothing written), the per-viewer limit, the bounded pushes,
// and a check's window. Malformed payloads of these events: test/live/malformed-events.test.ts.

const WINDOW_MS = 250;
const CHECK_MS = 6000;

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp('audience_events', {
    MEDIASOUP_WORKERS: '1',
    REACTION_WINDOW_MS: String(WINDOW_MS),
    PRESENCE_CHECK_WINDOW_MS: String(CHECK_MS),
  });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await app?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const db = () => app.db.connection;
const stored = async (seminarId: string) => ({
  reactions: (await db().collection('live_reactions').find({ seminarId }).toArray()).reduce((n, w) => n + (w.total as number), 0),
  checks: await db().collection('live_presence_checks').countDocuments({ seminarId }),
  answers: await db().collection('live_presence_answers').countDocuments({ seminarId }),
});

async function viewer(): Promise<TestUser> {
  return registerUser(api, { displayName: 'Зритель' });
}

describe('reactions', () => {
  it('are counted per room and pushed at most once a window; each viewer past the limit is refused with rate_limited', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const [a, b] = [await clients.join(seminarId, await viewer()), await clients.join(seminarId, await viewer())];
    const guest = await clients.join(seminarId);
    const bursts: Array<{ at: number; counts: Record<string, number> }> = [];
    lecturer.socket.on('reaction:burst', (p: { counts: Record<string, number> }) => bursts.push({ at: Date.now(), counts: p.counts }));

    const sent = REACTIONS_PER_VIEWER.points + 5;
    const started = Date.now();
    const acks = await Promise.all(
      [a.client, b.client, guest.client].flatMap((c, i) =>
        Array.from({ length: sent }, (_, n) => requestWithin(c, 'reaction:send', { kind: n % 2 ? 'fire' : i === 0 ? 'like' : 'clap' })),
      ),
    );
    const codes = acks.map(codeOf);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(3 * REACTIONS_PER_VIEWER.points);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(3 * 5);
    const refusal = acks.find((x) => codeOf(x) === 'rate_limited');
    expect(refusal).toMatchObject({ ok: false, error: { details: { retryAfterSeconds: expect.any(Number) } } });

    const accepted = 3 * REACTIONS_PER_VIEWER.points;
    const sum = () => bursts.reduce((n, u) => n + Object.values(u.counts).reduce((x, y) => x + y, 0), 0);
    await waitFor(() => (sum() === accepted ? true : undefined), 10_000, 'every accepted reaction pushed');
    const elapsed = Date.now() - started;
    // One push per window at most (and never one per reaction).
    expect(bursts.length).toBeLessThanOrEqual(Math.ceil(elapsed / WINDOW_MS) + 1);
    expect(bursts.length).toBeLessThan(accepted);
    await waitFor(async () => ((await stored(seminarId)).reactions === accepted ? true : undefined), 10_000, 'reactions stored');
    const docs = await db().collection('live_reactions').find({ seminarId }).toArray();
    for (const d of docs) expect(d.offsetMs).toBeGreaterThanOrEqual(0);
  });

  it('are refused to the lecturer (viewers_only), and nothing is pushed or stored', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: watcher } = await clients.join(seminarId, await viewer());
    expect(codeOf(await requestWithin(lecturer, 'reaction:send', { kind: 'like' }))).toBe('viewers_only');
    await sleep(WINDOW_MS * 3);
    expect(watcher.events.filter((e) => e.event === 'reaction:burst')).toEqual([]);
    expect(await stored(seminarId)).toEqual({ reactions: 0, checks: 0, answers: 0 });
  });

  it('are refused before the seminar is live (seminar_not_live)', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true, status: 'scheduled' });
    const { client } = await clients.join(seminarId, await viewer());
    expect(codeOf(await requestWithin(client, 'reaction:send', { kind: 'like' }))).toBe('seminar_not_live');
    await sleep(WINDOW_MS * 2);
    expect((await stored(seminarId)).reactions).toBe(0);
  });
});

describe('presence checks', () => {
  it('are asked by the lecturer only; each viewer confirms once within the window; the lecturer hears the result', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const anna = await clients.join(seminarId, await viewer());
    const boris = await clients.join(seminarId, await viewer());
    const guest = await clients.join(seminarId);

    for (const c of [anna.client, guest.client]) {
      expect(codeOf(await requestWithin(c, 'presence:ask', {}))).toBe('moderators_only');
      expect(codeOf(await requestWithin(c, 'presence:schedule', { everyMinutes: 20 }))).toBe('moderators_only');
    }
    expect(await stored(seminarId)).toEqual({ reactions: 0, checks: 0, answers: 0 });

    const asked = await lecturer.ok('presence:ask', {});
    expect(asked.windowMs).toBe(CHECK_MS);
    const prompt = await boris.client.next('presence:check');
    expect(prompt).toEqual(asked);
    expect(codeOf(await requestWithin(lecturer, 'presence:ask', {}))).toBe('check_open');

    // Only signed-in viewers confirm.
    expect(codeOf(await requestWithin(lecturer, 'presence:confirm', { checkId: asked.checkId }))).toBe('viewers_only');
    expect(codeOf(await requestWithin(guest.client, 'presence:confirm', { checkId: asked.checkId }))).toBe('viewers_only');
    expect(codeOf(await requestWithin(anna.client, 'presence:confirm', { checkId: asked.checkId }))).toBe('ok');
    expect(codeOf(await requestWithin(anna.client, 'presence:confirm', { checkId: asked.checkId }))).toBe('already_confirmed');
    // A page that joins late learns of the open check.
    const late = await clients.join(seminarId, await viewer());
    expect((await late.client.ok('presence:state', {})).open).toEqual(asked);

    const result = await lecturer.next('presence:result', (r: { checkId: string }) => r.checkId === asked.checkId, CHECK_MS + 10_000);
    expect(result).toEqual({ checkId: asked.checkId, confirmed: 1, asked: 3 });
    // Past the window: refused, nothing written.
    expect(codeOf(await requestWithin(boris.client, 'presence:confirm', { checkId: asked.checkId }))).toBe('check_closed');
    expect(await stored(seminarId)).toEqual({ reactions: 0, checks: 1, answers: 1 });
    const answer = await db().collection('live_presence_answers').findOne({ seminarId });
    expect(answer).toMatchObject({ checkId: asked.checkId });
  });

  it('refuse a check of another seminar (check_not_found), and a schedule from another seminar’s lecturer', async () => {
    const first = await createSeminar(api, people.lecturer, { isPublic: true });
    const second = await createSeminar(api, people.otherLecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(first, people.lecturer);
    await clients.join(first, await viewer());
    const asked = await lecturer.ok('presence:ask', {});
    const { client: other } = await clients.join(second, await viewer());
    expect(codeOf(await requestWithin(other, 'presence:confirm', { checkId: asked.checkId }))).toBe('check_not_found');
    // The other seminar's lecturer is a viewer here.
    const { client: otherLecturer } = await clients.join(first, people.otherLecturer);
    expect(codeOf(await requestWithin(otherLecturer, 'presence:ask', {}))).toBe('moderators_only');
    expect(codeOf(await requestWithin(otherLecturer, 'presence:schedule', { everyMinutes: 5 }))).toBe('moderators_only');
    expect((await stored(second)).answers).toBe(0);
    expect((await stored(first)).checks).toBe(1);
  });

  it('keep the lecturer’s schedule, told to the studio and cleared with null', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    expect(await lecturer.ok('presence:schedule', { everyMinutes: 20 })).toEqual({ everyMinutes: 20 });
    expect(await lecturer.next('presence:schedule')).toEqual({ everyMinutes: 20 });
    expect((await lecturer.ok('presence:state', {})).everyMinutes).toBe(20);
    expect(await lecturer.ok('presence:schedule', { everyMinutes: null })).toEqual({ everyMinutes: null });
    expect((await lecturer.ok('presence:state', {})).everyMinutes).toBeNull();
  });
});
