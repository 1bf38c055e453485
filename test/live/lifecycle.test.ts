import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import type { LiveClient } from '../support/live-client';
import { WebRtcViewer } from '../support/webrtc-viewer';
import { Clients, createSeminar, injectCamera, peerOf, roomOf, waitFor, type InjectedCamera } from './support';

// Nothing outlives what it belongs to: after 100 viewers came and went, and
// after 5 seminars ran from the first join to the end, every registry of the
// app and every mediasoup object count is back where it started, as the app's
// own counts and mediasoup's dump() of each worker, router and WebRtcServer say.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;
const cameras: InjectedCamera[] = [];
const peers: WebRtcViewer[] = [];

beforeAll(async () => {
  // Two workers and small routers: viewers overflow onto piped routers, which must go too.
  app = await startTestApp('live_lifecycle', { MEDIASOUP_WORKERS: '2', LIVE_ROUTER_MAX_CONSUMERS: '4' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
  clients.closeAll();
  for (const c of cameras.splice(0)) c.stop();
});
afterAll(async () => {
  await app?.stop();
});

/** Socket.IO's own rooms of the /live namespace that belong to seminars. */
function seminarSocketRooms(): string[] {
  const nsp = (app.live as unknown as { deps: { nsp: { adapter: { rooms: Map<string, Set<string>> } } } }).deps.nsp;
  return [...nsp.adapter.rooms.keys()].filter((r) => r.startsWith('seminar:'));
}

/** Everything that should be empty when no seminar is running: the app's registries and mediasoup's own view. */
async function everything() {
  const workers = [];
  for (const worker of app.pool.workers) {
    const dump = await worker.dump();
    const server = await app.pool.webRtcServer(worker).dump();
    workers.push({
      routers: dump.routerIds.length,
      webRtcServers: dump.webRtcServerIds.length,
      webRtcTransports: server.webRtcTransportIds.length,
      iceUsernames: server.localIceUsernameFragments.length,
      tuples: server.tupleHashes.length,
    });
  }
  return {
    rooms: app.rooms.size,
    gateway: app.live.counts(),
    socketRooms: seminarSocketRooms(),
    poolRouters: app.pool.stats().workers.map((w) => w.routers),
    workers,
  };
}

const nothing = {
  rooms: 0,
  gateway: { presence: 0, seminars: 0, sockets: 0 },
  socketRooms: [],
  poolRouters: [0, 0],
  // One WebRtcServer per worker stays: it is the worker's, not a seminar's.
  workers: [0, 1].map(() => ({ routers: 0, webRtcServers: 1, webRtcTransports: 0, iceUsernames: 0, tuples: 0 })),
};

async function expectNothingLeft(): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      last = await everything();
      return JSON.stringify(last) === JSON.stringify(nothing) ? true : undefined;
    },
    10_000,
    'every registry and mediasoup count to be back to zero',
  ).catch(() => undefined);
  expect(last).toEqual(nothing);
}

/** Attendance spans still open in the seminar, of one user or of anyone. */
async function openAttendance(seminarId: string, userId?: string): Promise<number> {
  return (await app.repos.live.attendance(seminarId)).filter((a) => a.leftAt === null && (!userId || a.userId === userId)).length;
}

describe('after the seminars end', () => {
  it('100 viewers joining and leaving leave only the lecturer, and ending the seminar leaves nothing', async () => {
    await expectNothingLeft();
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const room = await roomOf(app, seminarId);
    const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: false });
    cameras.push(camera);
    const ingestOnly = (await room.origin.dump()).transportIds;

    // 10 waves of 10 viewers; every tenth is signed in (attendance), the rest guests. One after
    // another within a wave, so the room fills its routers and grows onto piped ones.
    for (let wave = 0; wave < 10; wave++) {
      const viewers: LiveClient[] = [];
      for (let i = 0; i < 10; i++) {
        const { client, joined } = await clients.join(seminarId, i === 0 ? people.learner : undefined);
        await client.ok('transport:create', { direction: 'recv' });
        const c = await client.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joined.routerRtpCapabilities });
        await client.ok('consumer:resume', { consumerId: c.consumerId });
        viewers.push(client);
      }
      expect(app.live.viewerCount(seminarId)).toBe(10);
      // Half hang up cleanly, half drop the connection.
      viewers.forEach((v, i) => (i % 2 ? v.close() : v.socket.io.engine.close()));
      await waitFor(
        () => (room.counts().peers === 1 && app.live.viewerCount(seminarId) === 0 ? true : undefined),
        10_000,
        'the wave to leave',
      );
    }

    // The lecturer and the camera are all that is left of the room, on every router it grew.
    const routers = room.routers();
    expect(routers.length).toBeGreaterThan(1);
    expect(routers.map((r) => r.consumers)).toEqual(routers.map(() => 0));
    expect(room.counts()).toEqual({ peers: 1, producers: 1, routers: routers.length, pipes: routers.length - 1 });
    expect(room.peerIds()).toEqual([lecturer.socket.id]);
    expect(peerOf(room, lecturer).counts()).toEqual({ transports: 0, producers: 0, consumers: 0 });
    const origin = await room.origin.dump();
    // Besides the ingest: one pipe transport per overflow router, and no consumer but the pipes'.
    expect(origin.transportIds.filter((id) => !ingestOnly.includes(id))).toHaveLength(routers.length - 1);
    expect(origin.mapProducerIdConsumerIds.find((e) => e.key === camera.producer.id)?.values).toHaveLength(routers.length - 1);
    const current = await everything();
    expect(current.workers.map((w) => w.webRtcTransports)).toEqual([0, 0]);
    expect(current.gateway).toEqual({ presence: 1, seminars: 1, sockets: 1 });
    // The lecturer's connection is in the seminar's room and its lecturers' room (the participant list).
    expect(current.socketRooms).toEqual([`seminar:${seminarId}`, `seminar:${seminarId}:staff`]);
    await waitFor(
      async () => ((await openAttendance(seminarId, people.learner.id)) === 0 ? true : undefined),
      5000,
      "the viewers' attendance to close",
    );
    expect((await app.repos.live.attendance(seminarId)).filter((a) => a.userId === people.learner.id)).toHaveLength(10);

    await lecturer.ok('seminar:end', {});
    await expectNothingLeft();
    expect(await openAttendance(seminarId)).toBe(0);
    expect(room.isClosed).toBe(true);
    expect(room.counts()).toEqual({ peers: 0, producers: 0, routers: 0, pipes: 0 });
    expect(lecturer.socket.connected).toBe(true);
  });

  it('5 whole seminars, with real WebRTC media to a viewer, leave nothing behind', async () => {
    await expectNothingLeft();
    for (let round = 1; round <= 5; round++) {
      const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
      const { client: lecturer } = await clients.join(seminarId, people.lecturer);
      const room = await roomOf(app, seminarId);
      const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: true });
      cameras.push(camera);
      await lecturer.ok('transport:create', { direction: 'send' });

      // A viewer receiving over a real WebRTC connection through the worker's WebRtcServer…
      const { client: watcher, joined } = await clients.join(seminarId);
      const transport = await watcher.ok('transport:create', { direction: 'recv' });
      const consumer = await watcher.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joined.routerRtpCapabilities });
      const webrtc = await WebRtcViewer.receive(watcher, transport, [consumer]);
      peers.push(webrtc);
      // …a signed-in viewer with a raised hand and attendance, and more guests than the origin router holds.
      const { client: learner } = await clients.join(seminarId, people.learner);
      await learner.ok('hand:raise', { raised: true });
      const guests: Array<{ client: LiveClient }> = [];
      for (let i = 0; i < 5; i++) {
        const guest = await clients.join(seminarId);
        await guest.client.ok('transport:create', { direction: 'recv' });
        await guest.client.ok('consume', { producerId: camera.producer.id, rtpCapabilities: guest.joined.routerRtpCapabilities });
        guests.push(guest);
      }
      await waitFor(() => (webrtc.rtpPackets > 20 ? true : undefined), 10_000, `RTP at the WebRTC viewer (round ${round})`);
      expect(room.routers().length).toBeGreaterThan(1);
      const during = await everything();
      expect(during.rooms).toBe(1);
      expect(during.gateway).toEqual({ presence: 1, seminars: 1, sockets: 8 });
      // The lecturer's send transport, the watcher's and the five guests' receive transports.
      expect(during.workers.reduce((n, w) => n + w.webRtcTransports, 0)).toBe(7);

      await lecturer.ok('seminar:end', {});
      await expectNothingLeft();
      expect(await openAttendance(seminarId)).toBe(0);
      // The sockets stay connected, told the seminar ended, and are in no room any more.
      for (const c of [lecturer, watcher, learner, ...guests.map((g) => g.client)]) {
        expect(c.socket.connected).toBe(true);
        expect(await c.next('room:status', (p) => p.status === 'ended')).toEqual({ status: 'ended' });
      }
      expect((await watcher.request('chat:send', { text: 'still here?' })).ok).toBe(false);
      for (const p of peers.splice(0)) p.close();
      clients.closeAll();
      for (const c of cameras.splice(0)) c.stop();
    }
    await expectNothingLeft();
  });
});
