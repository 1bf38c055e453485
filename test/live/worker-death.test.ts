import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import {
  alive,
  bytesFlow,
  Clients,
  codeOf,
  createSeminar,
  injectCamera,
  peerOf,
  probeMedia,
  registerFor,
  requestWithin,
  roomOf,
  waitFor,
  type InjectedCamera,
  type MediaProbe,
} from './support';

// The mediasoup worker under a room dies (SIGKILL): clients are told to
// rebuild, the pool replaces the worker, a rejoin on the same socket lands in
// a new room on a live worker, and media flows again within seconds.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;
const cameras: InjectedCamera[] = [];
const probes: MediaProbe[] = [];

beforeAll(async () => {
  app = await startTestApp('live_worker_death', { MEDIASOUP_WORKERS: '2' });
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

describe('when the worker under a room is killed', () => {
  it('clients get room:rebuild, the worker is replaced, and after a rejoin media flows again', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    await registerFor(api, seminarId, people.learner);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer, joined: firstJoin } = await clients.join(seminarId, people.learner);

    // Media flows in the first room.
    const oldRoom = await roomOf(app, seminarId);
    const oldCamera = await injectCamera(app, oldRoom, peerOf(oldRoom, lecturer), { ffmpeg: true });
    cameras.push(oldCamera);
    await viewer.ok('transport:create', { direction: 'recv' });
    const oldConsumer = await viewer.ok('consume', { producerId: oldCamera.producer.id, rtpCapabilities: firstJoin.routerRtpCapabilities });
    const oldViewerPeer = peerOf(oldRoom, viewer);
    const oldProbe = await probeMedia(oldViewerPeer.recvRouter, oldCamera.producer.id);
    probes.push(oldProbe);
    await bytesFlow(oldProbe, 10_000, 5_000);

    const victim = oldRoom.routers()[0]!.workerPid;
    expect(app.pool.stats().workers.map((w) => w.pid)).toContain(victim);
    const replacedBefore = app.pool.stats().replaced;
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');

    // Both clients are told to rebuild; the old room and everything in it is closed.
    const [lecturerRebuild, viewerRebuild] = await Promise.all([
      lecturer.next('room:rebuild', undefined, 5000),
      viewer.next('room:rebuild', undefined, 5000),
    ]);
    expect(lecturerRebuild).toEqual({ reason: expect.any(String) });
    expect(viewerRebuild).toEqual({ reason: expect.any(String) });
    expect(oldRoom.isClosed).toBe(true);
    expect(oldRoom.counts().peers).toBe(0);
    expect(oldViewerPeer.isClosed).toBe(true);
    expect(oldCamera.producer.closed).toBe(true);
    expect(oldViewerPeer.hasConsumer(oldConsumer.consumerId)).toBe(false);
    // Until it joins again, the socket is told the room is being rebuilt.
    expect(codeOf(await requestWithin(viewer, 'transport:create', { direction: 'recv' }))).toBe('room_rebuilding');

    // The pool puts a new worker in the dead one's slot.
    const stats = await waitFor(
      () => {
        const s = app.pool.stats();
        return s.alive === 2 && s.replaced === replacedBefore + 1 ? s : undefined;
      },
      10_000,
      'the pool to replace the killed worker',
    );
    expect(stats.workers.map((w) => w.pid)).not.toContain(victim);
    expect(alive(victim)).toBe(false);
    for (const w of stats.workers) expect(alive(w.pid)).toBe(true);

    // Rejoining on the same sockets lands in a new room on a live worker.
    const lecturerJoin = await lecturer.ok('room:join', { seminarId });
    const viewerJoin = await viewer.ok('room:join', { seminarId });
    expect(lecturerJoin.role).toBe('lecturer');
    expect(viewerJoin.role).toBe('viewer');
    const room = await roomOf(app, seminarId);
    expect(room).not.toBe(oldRoom);
    expect(room.isClosed).toBe(false);
    const livePids = app.pool.stats().workers.map((w) => w.pid);
    for (const r of room.routers()) {
      expect(r.workerPid).not.toBe(victim);
      expect(livePids).toContain(r.workerPid);
    }
    expect(room.peerIds().sort()).toEqual([lecturer.socket.id, viewer.socket.id].sort());

    // The lecturer's camera comes back (here: a new ffmpeg RTP source into the new origin router)…
    const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: true });
    cameras.push(camera);
    const announced = await viewer.next('room:producer-added', (p) => p.producerId === camera.producer.id, 5000);
    expect(announced).toMatchObject({ kind: 'video', source: 'camera', userId: people.lecturer.id });

    // …the viewer's consume is accepted…
    const recv = await viewer.ok('transport:create', { direction: 'recv' });
    const consumed = await viewer.ok('consume', { producerId: camera.producer.id, rtpCapabilities: viewerJoin.routerRtpCapabilities });
    expect(consumed).toMatchObject({ producerId: camera.producer.id, kind: 'video', source: 'camera' });
    const viewerPeer = peerOf(room, viewer);
    expect(viewerPeer.hasTransport(recv.id)).toBe(true);
    expect(viewerPeer.hasConsumer(consumed.consumerId)).toBe(true);

    // …and bytes flow out of the viewer's receive router again, within seconds of the kill.
    const probe = await probeMedia(viewerPeer.recvRouter, camera.producer.id);
    probes.push(probe);
    const { first, later } = await bytesFlow(probe, 10_000);
    expect(later).toBeGreaterThan(first);
    expect(probe.packets()).toBeGreaterThan(0);
    const mediaBackMs = Date.now() - killedAt;
    expect(mediaBackMs).toBeLessThan(10_000);
  });

  it('a socket that has not rejoined yet has no peer in the new room until its own room:join', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: stale } = await clients.join(seminarId, people.otherLearner);
    const oldRoom = await roomOf(app, seminarId);
    process.kill(oldRoom.routers()[0]!.workerPid, 'SIGKILL');
    await stale.next('room:rebuild', undefined, 5000);
    await lecturer.next('room:rebuild', undefined, 5000);

    await lecturer.ok('room:join', { seminarId });
    const room = await roomOf(app, seminarId);
    expect(room).not.toBe(oldRoom);
    // The stale socket is in no room's media until it joins again.
    expect(room.hasPeer(stale.socket.id!)).toBe(false);
    expect(
      codeOf(
        await requestWithin(stale, 'consume', {
          producerId: 'p',
          rtpCapabilities: { codecs: [{ mimeType: 'video/VP8', kind: 'video', clockRate: 90000 }] },
        }),
      ),
    ).toBe('room_rebuilding');
    expect(codeOf(await requestWithin(stale, 'room:join', { seminarId }))).toBe('ok');
    expect(room.hasPeer(stale.socket.id!)).toBe(true);
    await waitFor(() => (app.pool.stats().alive === 2 ? true : undefined), 10_000, 'the pool to be whole again');
  });
});
