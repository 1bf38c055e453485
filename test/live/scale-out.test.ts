import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { start } from '../../server/main';
import { createLogger } from '../../server/logger';
import { Api, cast, registerUser } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { LiveClient } from '../support/live-client';
import { createSeminar, registerFor } from './support';

let redis: ChildProcess;
let nodes: Lectern[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    redis.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept connections') && resolve());
    redis.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  const env = { MONGODB_URI: testDatabaseUri('scale-out'), REDIS_URL: `redis://127.0.0.1:${port}`, MEDIASOUP_WORKERS: '1' };
  // Two nodes on one database and one Redis, as behind a load balancer.
  const shared = await testConfig(env);
  nodes = [await start(shared, createLogger('silent')), await start({ ...shared, dataDir: `${shared.dataDir}-b` }, createLogger('silent'))];
});
/** One cast for the file: its admin's e-mail is fixed. */
let crew: ReturnType<typeof cast> | undefined;
const people = () => (crew ??= cast(Api.of(nodes[0]!)));

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  redis?.kill('SIGTERM');
});

describe('several nodes through the Redis adapter', () => {
  it('delivers chat and questions to clients connected to another node', async () => {
    const [a, b] = nodes as [Lectern, Lectern];
    const api = Api.of(a);
    const { lecturer: teacher, learner } = await people();
    const seminar = await api.call('POST', '/seminars', {
      token: teacher.token,
      body: { title: 'Два узла', track: 'Scale', startsAt: '2027-03-01T10:00', durationMinutes: 60, capacity: 10 },
    });
    const id = seminar.body.id;
    await api.call('POST', `/seminars/${id}/transitions`, { token: teacher.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${id}/registration`, { token: learner.token });

    const lecturer = await LiveClient.connect(a.url, teacher.token);
    const viewer = await LiveClient.connect(b.url, learner.token);
    await lecturer.ok('room:join', { seminarId: id });
    await viewer.ok('room:join', { seminarId: id });

    await viewer.ok('chat:send', { text: 'Привет с узла B' });
    expect((await lecturer.next('chat:message', (m) => m.text === 'Привет с узла B')).displayName).toBeTruthy();
    await lecturer.ok('chat:send', { text: 'Ответ с узла A' });
    await viewer.next('chat:message', (m) => m.text === 'Ответ с узла A');
    const q = await viewer.ok('question:ask', { text: 'Работает ли это на двух узлах?' });
    await lecturer.next('question:updated', (u) => u.id === q.id);
    lecturer.close();
    viewer.close();
  });

  it("numbers a question's changes made on two nodes, so that a page keeps the newest whichever push comes last", async () => {
    const [a, b] = nodes as [Lectern, Lectern];
    const api = Api.of(a);
    const { lecturer: teacher, learner } = await people();
    const id = await createSeminar(api, teacher, { status: 'scheduled' });
    const voters = await Promise.all(Array.from({ length: 6 }, () => registerUser(api)));
    for (const v of [learner, ...voters]) await registerFor(api, id, v);
    const lecturer = await LiveClient.connect(a.url, teacher.token);
    await lecturer.ok('room:join', { seminarId: id });
    const asker = await LiveClient.connect(b.url, learner.token);
    await asker.ok('room:join', { seminarId: id });
    // Half the voters on each node: their changes go out in both nodes' windows.
    const clients = await Promise.all(voters.map((v, i) => LiveClient.connect((i % 2 ? b : a).url, v.token)));
    await Promise.all(clients.map((c) => c.ok('room:join', { seminarId: id })));

    const q = await asker.ok('question:ask', { text: 'Кто отвечает за налоги на УСН?' });
    expect(q.revision).toBe(0);
    // One vote at a time: the embedded database makes one document's updates atomic only
    // within one process (server/store/write-gate.ts), and several nodes need MongoDB.
    const answers = [];
    for (const c of clients) answers.push(await c.ok('question:upvote', { questionId: q.id }));
    // Each change has its own revision, written with it: the n-th vote is revision n.
    expect(answers.map((x) => [x.votes, x.revision])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, n]));
    const marked = await lecturer.ok('question:status', { questionId: q.id, status: 'answering' });
    expect(marked).toMatchObject({ votes: 6, status: 'answering', revision: 7 });

    // The asker, on node B, gets every change; the one with the highest revision is the stored state.
    for (let r = 0; r <= 7; r++) await asker.next('question:updated', (u) => u.id === q.id && u.revision === r);
    const pushed = asker.events.filter((e) => e.event === 'question:updated' && e.payload.id === q.id).map((e) => e.payload);
    expect(new Set(pushed.map((u) => u.revision))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    const newest = pushed.reduce((x, y) => (y.revision > x.revision ? y : x));
    expect(newest).toMatchObject({ votes: 6, status: 'answering' });
    // A page that joins later gets the stored state with the same revision.
    const later = await LiveClient.connect(a.url, learner.token);
    const joined = await later.ok('room:join', { seminarId: id });
    expect(joined.questions.find((x: { id: string }) => x.id === q.id)).toMatchObject({ votes: 6, status: 'answering', revision: 7 });
    for (const c of [lecturer, asker, later, ...clients]) c.close();
  });

  it('removes and bans a viewer connected to another node: their sockets there close, their media with them, and the ban holds on both', async () => {
    const [a, b] = nodes as [Lectern, Lectern];
    const api = Api.of(a);
    const { lecturer: teacher, learner } = await people();
    const seminar = await api.call('POST', '/seminars', {
      token: teacher.token,
      body: { title: 'Модерация на двух узлах', track: 'Scale', startsAt: '2027-03-02T10:00', durationMinutes: 60, capacity: 10 },
    });
    const id = seminar.body.id as string;
    await api.call('POST', `/seminars/${id}/transitions`, { token: teacher.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${id}/registration`, { token: learner.token });
    const lecturer = await LiveClient.connect(a.url, teacher.token);
    await lecturer.ok('room:join', { seminarId: id });
    const clients = [lecturer];
    /** The learner in the room through `node`, with a receive transport there (media on that node). */
    const viewerOn = async (node: Lectern) => {
      const client = await LiveClient.connect(node.url, learner.token);
      clients.push(client);
      const { peerId } = await client.ok('room:join', { seminarId: id });
      await client.ok('transport:create', { direction: 'recv' });
      const room = (await node.rooms.peek(id))!;
      expect(room.hasPeer(peerId)).toBe(true);
      return { client, peerId, room };
    };
    const closed = (client: LiveClient) =>
      new Promise<void>((resolve) => (client.socket.disconnected ? resolve() : client.socket.once('disconnect', () => resolve())));
    try {
      // Removed: out of B's room, media and all; they may come back.
      const onB = await viewerOn(b);
      await lecturer.ok('moderation:remove', { userId: learner.id });
      expect(await onB.client.next('room:removed', () => true, 5_000)).toEqual({ reason: 'removed' });
      await closed(onB.client);
      expect(onB.room.hasPeer(onB.peerId)).toBe(false);
      expect(b.live.viewerCount(id)).toBe(0);

      // Banned while in the room through both nodes: every socket goes, and neither node lets them back.
      const again = await viewerOn(b);
      const local = await viewerOn(a);
      await lecturer.ok('moderation:ban', { userId: learner.id });
      for (const v of [again, local]) {
        expect(await v.client.next('room:removed', () => true, 5_000)).toEqual({ reason: 'banned' });
        await closed(v.client);
        expect(v.room.hasPeer(v.peerId)).toBe(false);
      }
      expect([a.live.viewerCount(id), b.live.viewerCount(id)]).toEqual([0, 0]);
      for (const node of [a, b]) {
        const back = await LiveClient.connect(node.url, learner.token);
        clients.push(back);
        expect(await back.request('room:join', { seminarId: id })).toMatchObject({ ok: false, error: { code: 'banned' } });
      }
    } finally {
      for (const c of clients) c.close();
    }
  });

  it("counts a user's chat and questions once across nodes: five on one, the sixth refused on the other", async () => {
    const [a, b] = nodes as [Lectern, Lectern];
    const api = Api.of(a);
    const { lecturer: teacher, otherLearner } = await people();
    const id = await createSeminar(api, teacher, { status: 'scheduled' });
    await registerFor(api, id, otherLearner);
    const onA = await LiveClient.connect(a.url, otherLearner.token);
    const onB = await LiveClient.connect(b.url, otherLearner.token);
    try {
      await onA.ok('room:join', { seminarId: id });
      await onB.ok('room:join', { seminarId: id });
      for (let i = 1; i <= 4; i++) await onA.ok('chat:send', { text: `Сообщение ${i} с узла A` });
      await onA.ok('question:ask', { text: 'Пятое — вопрос с узла A' });
      const refused = await onB.request('chat:send', { text: 'Шестое с узла B' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } } });
      expect(await a.repos.live.recentChat(id, 50)).toHaveLength(4);
    } finally {
      onA.close();
      onB.close();
    }
  });
});
