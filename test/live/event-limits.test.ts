import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, codeOf, createSeminar, injectCamera, peerOf, registerFor, roomOf } from './support';

// Per-socket budgets on every /live event, the size of one message, and one consumer per stream.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('live_event_limits', { MEDIASOUP_WORKERS: '1', LIVE_EVENTS_PER_10S: '30', LIVE_COSTLY_EVENTS_PER_10S: '5' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app?.stop());

describe('per-socket event limits', () => {
  it('broadcasts at most the costly budget of hand raises from one socket, and refuses the rest with rate_limited', async () => {
    const clients = new Clients(app);
    try {
      const seminarId = await createSeminar(api, people.lecturer);
      await registerFor(api, seminarId, people.learner);
      const { client: lecturer } = await clients.join(seminarId, people.lecturer);
      const { client: learner } = await clients.join(seminarId, people.learner);
      const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => learner.request('hand:raise', { raised: i % 2 === 0 })));
      expect(acks.filter((a) => a.ok)).toHaveLength(5);
      const refused = acks.filter((a) => !a.ok);
      expect(refused).toHaveLength(15);
      expect(refused[0]).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } } });
      // Only what was accepted reached the room.
      await new Promise((r) => setTimeout(r, 300));
      expect(lecturer.events.filter((e) => e.event === 'hand:updated')).toHaveLength(5);
      // Another socket has its own budget.
      const other = await clients.connect(people.otherLearner);
      expect(codeOf(await other.request('hand:raise', { raised: true }))).toBe('not_in_room');
    } finally {
      clients.closeAll();
    }
  });

  it('stores at most the costly budget of chat messages', async () => {
    const clients = new Clients(app);
    try {
      const seminarId = await createSeminar(api, people.lecturer);
      await registerFor(api, seminarId, people.learner);
      const { client: learner } = await clients.join(seminarId, people.learner);
      const acks = await Promise.all(Array.from({ length: 12 }, (_, i) => learner.request('chat:send', { text: `flood ${i}` })));
      expect(acks.filter((a) => a.ok)).toHaveLength(5);
      expect(await app.db.connection.collection('live_chat').countDocuments({ seminarId })).toBe(5);
    } finally {
      clients.closeAll();
    }
  });

  it('limits every event, unknown names included, to the general budget', async () => {
    const clients = new Clients(app);
    try {
      const client = await clients.connect();
      const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request(`made-up:${i}`, {})));
      expect(acks.filter((a) => codeOf(a) === 'unknown_event')).toHaveLength(30);
      expect(acks.filter((a) => codeOf(a) === 'rate_limited')).toHaveLength(10);
      expect(codeOf(await client.request('transport:create', { direction: 'recv' }))).toBe('rate_limited');
    } finally {
      clients.closeAll();
    }
  });

  it('closes a connection that sends a message over 64 KB, and serves one just under it', async () => {
    const clients = new Clients(app);
    try {
      const small = await clients.connect();
      expect(codeOf(await small.request('chat:send', { text: 'x'.repeat(60_000) }))).toBe('invalid_request');
      const big = await clients.connect();
      const closed = new Promise<string>((resolve) => big.socket.once('disconnect', (reason) => resolve(reason)));
      big.socket.emit('chat:send', { text: 'x'.repeat(70_000) });
      expect(await closed).toMatch(/transport (close|error)/);
      expect(small.socket.connected).toBe(true);
    } finally {
      clients.closeAll();
    }
  });
});

describe('one consumer per stream per participant', () => {
  it('refuses a second consumer of the same producer, even requested in parallel', async () => {
    const clients = new Clients(app);
    try {
      const seminarId = await createSeminar(api, people.lecturer);
      await registerFor(api, seminarId, people.learner);
      const { client: lecturer } = await clients.join(seminarId, people.lecturer);
      const room = await roomOf(app, seminarId);
      const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: false });
      try {
        const { client: learner } = await clients.join(seminarId, people.learner);
        await learner.ok('transport:create', { direction: 'recv' });
        const caps = room.rtpCapabilities;
        const acks = await Promise.all(
          Array.from({ length: 4 }, () => learner.request('consume', { producerId: camera.producer.id, rtpCapabilities: caps })),
        );
        expect(acks.filter((a) => a.ok)).toHaveLength(1);
        expect(acks.filter((a) => !a.ok).map(codeOf)).toEqual(['already_consuming', 'already_consuming', 'already_consuming']);
        const again = await learner.request('consume', { producerId: camera.producer.id, rtpCapabilities: caps });
        expect(codeOf(again)).toBe('already_consuming');
        expect(peerOf(room, learner).counts().consumers).toBe(1);
      } finally {
        camera.stop();
      }
    } finally {
      clients.closeAll();
    }
  });
});
