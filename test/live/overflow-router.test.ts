import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import {
  bytesFlow,
  Clients,
  codeOf,
  createSeminar,
  injectCamera,
  peerOf,
  probeMedia,
  requestWithin,
  roomOf,
  waitFor,
  type InjectedCamera,
  type MediaProbe,
} from './support';

// With LIVE_ROUTER_MAX_CONSUMERS=1, the second viewer no longer fits on the
// origin router: it gets a receive router on the other worker, fed by
// pipeToRouter, and the stream reaches it there.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;
const cameras: InjectedCamera[] = [];
const probes: MediaProbe[] = [];

beforeAll(async () => {
  app = await startTestApp('live_overflow', { MEDIASOUP_WORKERS: '2', LIVE_ROUTER_MAX_CONSUMERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => {
  clients.closeAll();
  for (const c of cameras.splice(0)) c.stop();
  for (const p of probes.splice(0)) p.close();
});
afterAll(async () => {
  await app?.stop();
});

/** A live public seminar whose lecturer publishes a camera fed by a real ffmpeg. */
async function roomWithCamera() {
  const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
  const { client: lecturer } = await clients.join(seminarId, people.lecturer);
  const room = await roomOf(app, seminarId);
  const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: true });
  cameras.push(camera);
  return { seminarId, lecturer, room, camera };
}

describe('when the origin router is full', () => {
  it('the next viewer receives on a router on the other worker, fed through a pipe', async () => {
    const { seminarId, room, camera } = await roomWithCamera();
    expect(room.routers()).toHaveLength(1);
    const origin = room.routers()[0]!;

    // Viewer A fills the origin: its consumer is the one the router has room for.
    const { client: a, joined: joinA } = await clients.join(seminarId, people.learner);
    expect(peerOf(room, a).recvRouter.id).toBe(origin.routerId);
    await a.ok('transport:create', { direction: 'recv' });
    const consumedA = await a.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joinA.routerRtpCapabilities });
    expect(consumedA.producerId).toBe(camera.producer.id);
    expect(room.routers()[0]!.consumers).toBe(1);

    // Viewer B gets a receive router on the other worker.
    const { client: b, joined: joinB } = await clients.join(seminarId, people.otherLearner);
    const routers = room.routers();
    expect(routers).toHaveLength(2);
    const [, overflow] = routers;
    expect(new Set(routers.map((r) => r.workerPid)).size).toBe(2);
    expect(
      app.pool
        .stats()
        .workers.map((w) => w.pid)
        .sort(),
    ).toEqual(routers.map((r) => r.workerPid).sort());
    const peerB = peerOf(room, b);
    expect(peerB.recvRouter.id).toBe(overflow!.routerId);
    expect(peerB.recvRouter.id).not.toBe(room.origin.id);

    // B's consume succeeds there: the camera was piped into the overflow router.
    const recvB = await b.ok('transport:create', { direction: 'recv' });
    expect((await peerB.recvRouter.dump()).transportIds).toContain(recvB.id);
    const consumedB = await b.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joinB.routerRtpCapabilities });
    expect(consumedB).toMatchObject({ producerId: camera.producer.id, kind: 'video', source: 'camera' });
    expect(peerB.hasConsumer(consumedB.consumerId)).toBe(true);
    expect(room.routers()[1]!.consumers).toBe(1);
    // mediasoup's view of the overflow router: the piped camera, with B's consumer on it.
    const piped = (await peerB.recvRouter.dump()).mapProducerIdConsumerIds.find((e) => e.key === camera.producer.id);
    expect(piped?.values).toContain(consumedB.consumerId);

    // Bytes flow on the overflow router: a consumer there sends the camera on.
    const probe = await probeMedia(peerB.recvRouter, camera.producer.id);
    probes.push(probe);
    const { first, later } = await bytesFlow(probe, 10_000);
    expect(later).toBeGreaterThan(first);
    expect(probe.packets()).toBeGreaterThan(0);
  });

  it('a producer published after the room grew is piped to the overflow router too', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const room = await roomOf(app, seminarId);
    // Fill the origin with a first stream and viewer, so the next viewer overflows.
    const first = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: false });
    cameras.push(first);
    const { client: a, joined: joinA } = await clients.join(seminarId, people.learner);
    await a.ok('transport:create', { direction: 'recv' });
    await a.ok('consume', { producerId: first.producer.id, rtpCapabilities: joinA.routerRtpCapabilities });
    const { client: b, joined: joinB } = await clients.join(seminarId, people.otherLearner);
    expect(room.routers()).toHaveLength(2);
    first.stop();
    await waitFor(() => (room.listProducers().length === 0 ? true : undefined), 5000, 'the first stream to go');

    // A stream that starts now reaches B on the overflow router.
    const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: true });
    cameras.push(camera);
    await b.next('room:producer-added', (p) => p.producerId === camera.producer.id, 5000);
    await b.ok('transport:create', { direction: 'recv' });
    expect(
      codeOf(await requestWithin(b, 'consume', { producerId: camera.producer.id, rtpCapabilities: joinB.routerRtpCapabilities })),
    ).toBe('ok');
    const probe = await probeMedia(peerOf(room, b).recvRouter, camera.producer.id);
    probes.push(probe);
    await bytesFlow(probe, 10_000);
  });

  it('killing the overflow worker rebuilds the room as well', async () => {
    const { seminarId, lecturer, room, camera } = await roomWithCamera();
    const { client: a, joined: joinA } = await clients.join(seminarId, people.learner);
    await a.ok('transport:create', { direction: 'recv' });
    await a.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joinA.routerRtpCapabilities });
    const { client: b } = await clients.join(seminarId, people.otherLearner);
    const overflow = room.routers()[1]!;
    expect(overflow).toBeDefined();

    process.kill(overflow.workerPid, 'SIGKILL');
    await Promise.all([lecturer, a, b].map((c) => c.next('room:rebuild', undefined, 5000)));
    expect(room.isClosed).toBe(true);
    expect(camera.producer.closed).toBe(true);
    await waitFor(() => (app.pool.stats().alive === 2 ? true : undefined), 10_000, 'the pool to replace the worker');
    expect(codeOf(await requestWithin(b, 'room:join', { seminarId }))).toBe('ok');
    const rebuilt = await roomOf(app, seminarId);
    expect(rebuilt).not.toBe(room);
    expect(rebuilt.routers().map((r) => r.workerPid)).not.toContain(overflow.workerPid);
  });
});
