import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import {
  Clients,
  createSeminar,
  injectCamera,
  peerOf,
  registerFor,
  roomOf,
  routersOf,
  transportIdsOn,
  waitFor,
  type InjectedCamera,
} from './support';

// A viewer's transports and consumers live in mediasoup only as long as its
// socket: however the socket goes, they are closed within a few seconds.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;
const cameras: InjectedCamera[] = [];

beforeAll(async () => {
  app = await startTestApp('live_disconnect', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => {
  clients.closeAll();
  for (const c of cameras.splice(0)) c.stop();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await app?.stop();
});

/** A live seminar with the lecturer in its room publishing a camera, and a viewer receiving it over a WebRTC transport. */
async function viewerReceiving() {
  const seminarId = await createSeminar(api, people.lecturer);
  await registerFor(api, seminarId, people.learner);
  const { client: lecturer } = await clients.join(seminarId, people.lecturer);
  const room = await roomOf(app, seminarId);
  const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: false });
  cameras.push(camera);

  const { client: viewer, joined } = await clients.join(seminarId, people.learner);
  expect(joined.producers.map((p: { producerId: string }) => p.producerId)).toEqual([camera.producer.id]);
  const recv = await viewer.ok('transport:create', { direction: 'recv' });
  const consumed = await viewer.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joined.routerRtpCapabilities });

  const peer = peerOf(room, viewer);
  const transport = peer.transport(recv.id);
  const consumer = peer.consumer(consumed.consumerId);
  expect(transport.closed).toBe(false);
  expect(consumer.closed).toBe(false);
  expect(await transportIdsOn([peer.recvRouter])).toContain(recv.id);
  return { seminarId, room, lecturer, viewer, peer, transport, consumer, socketId: viewer.socket.id! };
}

/** Within a few seconds: the viewer's peer, transport and consumer are gone from the room and from mediasoup. */
async function expectCleanedUp(setup: Awaited<ReturnType<typeof viewerReceiving>>) {
  const { room, peer, transport, consumer, socketId, lecturer } = setup;
  await waitFor(
    () => (!room.hasPeer(socketId) && transport.closed && consumer.closed ? true : undefined),
    5000,
    "the viewer's media to be closed",
  );
  expect(peer.isClosed).toBe(true);
  expect(peer.counts().transports).toBe(0);
  expect(peer.counts().consumers).toBe(0);
  const onRouters = await transportIdsOn(routersOf(room));
  expect(onRouters).not.toContain(transport.id);
  // mediasoup's own view of the receive router: the camera ingest is all that is left there.
  expect((await peer.recvRouter.dump()).transportIds).not.toContain(transport.id);
  // The rest of the room is untouched.
  expect(room.isClosed).toBe(false);
  expect(room.hasPeer(lecturer.socket.id!)).toBe(true);
  expect(app.live.viewerCount(setup.seminarId)).toBe(0);
}

describe("a viewer's media after its socket goes", () => {
  it('is closed when the client disconnects', async () => {
    const setup = await viewerReceiving();
    setup.viewer.close();
    await expectCleanedUp(setup);
  });

  it('is closed when the connection is closed abruptly (socket.io.engine.close())', async () => {
    const setup = await viewerReceiving();
    setup.viewer.socket.io.engine.close();
    await expectCleanedUp(setup);
  });

  it('is closed when the TCP connection drops without a WebSocket close frame', async () => {
    const setup = await viewerReceiving();
    const ws = (setup.viewer.socket.io.engine.transport as unknown as { ws: { _socket: { destroy(): void } } }).ws;
    ws._socket.destroy();
    await expectCleanedUp(setup);
  });

  it('is closed when the viewer is removed by the lecturer', async () => {
    const setup = await viewerReceiving();
    await setup.lecturer.ok('moderation:remove', { userId: people.learner.id });
    expect(await setup.viewer.next('room:removed')).toEqual({ reason: 'removed' });
    await expectCleanedUp(setup);
  });

  it('leaves no peer behind when the socket goes while its room:join is still in flight', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    await registerFor(api, seminarId, people.learner);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const room = await roomOf(app, seminarId);

    const viewer = await clients.connect(people.learner);
    const socketId = viewer.socket.id!;
    // Hold the viewer's access check until its socket has gone: the join then finishes for a socket that left.
    const access = app.domain.live.access.bind(app.domain.live);
    let gone = () => {};
    const disconnected = new Promise<void>((resolve) => (gone = resolve));
    vi.spyOn(app.domain.live, 'access').mockImplementation(async (actor, id) => {
      if (actor.kind === 'user' && actor.userId === people.learner.id) await disconnected;
      return access(actor, id);
    });
    viewer.socket.emit('room:join', { seminarId });
    await new Promise((r) => setTimeout(r, 100));
    viewer.socket.io.engine.close();
    const serverSockets = (app.live as unknown as { deps: { nsp: { sockets: Map<string, unknown> } } }).deps.nsp.sockets;
    await waitFor(() => (serverSockets.has(socketId) ? undefined : true), 5000, 'the server to see the disconnect');
    gone();

    // Give the join time to finish, then nothing of the viewer may remain.
    await new Promise((r) => setTimeout(r, 1000));
    const attendance = await app.repos.live.attendance(seminarId);
    expect({
      peerOfTheGoneSocket: room.hasPeer(socketId),
      peers: room.peerIds(),
      viewers: app.live.viewerCount(seminarId),
      openAttendance: attendance.filter((a) => a.userId === people.learner.id && a.leftAt === null).length,
    }).toEqual({ peerOfTheGoneSocket: false, peers: [lecturer.socket.id], viewers: 0, openAttendance: 0 });
  });
});
