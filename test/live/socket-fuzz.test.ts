import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { clientEvents } from '../../server/protocol';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { LiveClient } from '../support/live-client';
import { createSeminar } from './support';

// Random event names and payloads from many sockets at once, for a bounded time, with the
// server's real rate limits on. The server must answer every ack with a client error (never
// `internal`), stay up and serving, and give back the memory the storm took.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SOCKETS = 40;
const STORM_MS = 10_000;
const EVENTS = Object.keys(clientEvents);

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let seminarId: string;

beforeAll(async () => {
  app = await startTestApp('live_fuzz', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
});
afterAll(async () => {
  await app?.stop();
});

/** mulberry32: a seeded generator, so a failing storm can be replayed from its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(rnd: () => number, ids: string[], depth = 0): unknown {
  const pick = Math.floor(rnd() * 12);
  const text = (max: number) =>
    String.fromCharCode(...Array.from({ length: Math.floor(rnd() * max) }, () => 32 + Math.floor(rnd() * 1100)));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return [0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.MAX_VALUE][Math.floor(rnd() * 6)];
    case 3:
      return text(40);
    case 4:
      return 'x'.repeat(Math.floor(rnd() * 20_000));
    case 5:
      return ids[Math.floor(rnd() * ids.length)];
    case 6:
      return { $ne: null, $gt: '', __proto__: { admin: true } };
    case 7:
      return ['camera', 'mic', 'screen', 'live', 'ended', 'answered', 'video', 'audio'][Math.floor(rnd() * 8)];
    default: {
      if (depth > 3) return {};
      if (pick === 8) return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, ids, depth + 1));
      const keys = ['seminarId', 'transportId', 'producerId', 'consumerId', 'text', 'questionId', 'messageId', 'userId', 'kind', 'source'];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 5); i > 0; i--) o[keys[Math.floor(rnd() * keys.length)]!] = randomValue(rnd, ids, depth + 1);
      if (rnd() < 0.2) o[text(12)] = randomValue(rnd, ids, depth + 1);
      return o;
    }
  }
}

async function storm(clients: LiveClient[], ms: number, seed: number, ids: string[]) {
  const tally = { sent: 0, acked: 0, codes: new Map<string, number>() };
  const until = Date.now() + ms;
  await Promise.all(
    clients.map(async (client, n) => {
      const rnd = generator(seed + n);
      while (Date.now() < until && client.socket.connected) {
        const event = rnd() < 0.8 ? EVENTS[Math.floor(rnd() * EVENTS.length)]! : `x:${Math.floor(rnd() * 1e6)}`;
        const payload = randomValue(rnd, ids);
        tally.sent++;
        if (rnd() < 0.1) {
          client.socket.emit(event, payload, randomValue(rnd, ids)); // no ack, extra arguments
        } else {
          try {
            const ack = await client.socket.timeout(5000).emitWithAck(event, payload);
            tally.acked++;
            const code = (ack as { ok: boolean; error?: { code: string } }).ok ? 'ok' : (ack as { error: { code: string } }).error.code;
            tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
          } catch {
            // No ack in 5 s: the socket was closed under it (a ban, a removal) or the server chose not to answer.
          }
        }
        await new Promise((r) => setTimeout(r, rnd() * 20));
      }
    }),
  );
  return tally;
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('the live namespace under random events', () => {
  it('answers every ack with a client error, never an internal one, keeps serving, and gives back its memory', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const users: TestUser[] = [people.learner, people.otherLearner];
    for (let i = 0; i < 8; i++) users.push(await registerUser(api));
    const lecturer = await LiveClient.connect(app.url, people.lecturer.token);
    await lecturer.ok('room:join', { seminarId });

    const connectAll = async () => {
      const clients: LiveClient[] = [];
      for (let i = 0; i < SOCKETS; i++) {
        const user = i % 4 === 0 ? undefined : users[i % users.length];
        const client = await LiveClient.connect(app.url, user?.token);
        // Half of them in the room, so the handlers behind the join are reached too.
        if (i % 2 === 0) await client.request('room:join', { seminarId });
        clients.push(client);
      }
      return clients;
    };
    const ids = [seminarId, people.lecturer.id, ...users.map((u) => u.id), 'f'.repeat(24), '0'.repeat(24)];

    // A short storm first: what the server sets up once (caches, compiled schemas) is in the baseline.
    let clients = await connectAll();
    await storm(clients, 2000, seed + 1000, ids);
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = heapAfterGc();

    clients = await connectAll();
    const tally = await storm(clients, STORM_MS, seed, ids);
    console.log(`fuzz seed ${seed}: ${tally.sent} events sent, ${tally.acked} acked`, Object.fromEntries(tally.codes));
    expect(tally.sent).toBeGreaterThan(1000);
    expect(tally.acked).toBeGreaterThan(500);
    expect(tally.codes.get('internal') ?? 0).toBe(0);
    // The budgets were reached: the storm is also a rate-limit test.
    expect(tally.codes.get('rate_limited') ?? 0).toBeGreaterThan(0);
    for (const c of clients) c.close();

    // Still serving: the lecturer's socket is up, a new viewer joins and chats, readiness holds.
    expect(lecturer.socket.connected).toBe(true);
    const viewer = await LiveClient.connect(app.url, users[1]!.token);
    await viewer.ok('room:join', { seminarId });
    await viewer.ok('chat:send', { text: 'после шторма' });
    await lecturer.next('chat:message', (m: { text: string }) => m.text === 'после шторма');
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    viewer.close();
    lecturer.close();

    await new Promise((r) => setTimeout(r, 1500));
    const after = heapAfterGc();
    console.log(`heap after gc: baseline ${(baseline / 1e6).toFixed(1)} MB, after the storm ${(after / 1e6).toFixed(1)} MB`);
    expect(after).toBeLessThan(baseline * 1.1);
  }, 120_000);
});
