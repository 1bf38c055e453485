import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { WebRtcViewer } from '../support/webrtc-viewer';
import { Clients, codeOf, createSeminar, injectCamera, peerOf, requestWithin, roomOf, waitFor, type InjectedCamera } from './support';

// WebRTC transports go through the worker's one WebRtcServer (one UDP and one
// TCP port for all of them), a participant gets one per direction, and one in
// use that has not finished DTLS within RTC_CONNECT_TIMEOUT_MS is closed.

const CONNECT_TIMEOUT_MS = 1500;

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;
const cameras: InjectedCamera[] = [];
const viewers: WebRtcViewer[] = [];

beforeAll(async () => {
  app = await startTestApp('live_transports', { MEDIASOUP_WORKERS: '1', RTC_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => {
  for (const v of viewers.splice(0)) v.close();
  clients.closeAll();
  for (const c of cameras.splice(0)) c.stop();
});
afterAll(async () => {
  await app?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The WebRTC transports mediasoup's WebRtcServer of the (only) worker serves right now. */
async function onServer(): Promise<string[]> {
  return (await app.pool.webRtcServer(app.pool.workers[0]!).dump()).webRtcTransportIds;
}

async function liveRoom(opts: { camera?: 'none' | 'silent' | 'ffmpeg' } = {}) {
  const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
  const { client: lecturer } = await clients.join(seminarId, people.lecturer);
  const room = await roomOf(app, seminarId);
  let camera: InjectedCamera | undefined;
  if (opts.camera && opts.camera !== 'none') {
    camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: opts.camera === 'ffmpeg' });
    cameras.push(camera);
  }
  return { seminarId, lecturer, room, camera };
}

describe('WebRTC transports', () => {
  it("all listen on the worker's one UDP and one TCP port, through its WebRtcServer", async () => {
    const { seminarId, lecturer } = await liveRoom();
    const { udp, tcp } = app.pool.ports()[0]!;
    expect(udp).toBeGreaterThan(0);
    const send = await lecturer.ok('transport:create', { direction: 'send' });
    const recvs = [];
    for (let i = 0; i < 3; i++) {
      const { client } = await clients.join(seminarId);
      recvs.push(await client.ok('transport:create', { direction: 'recv' }));
    }
    const all = [send, ...recvs];
    for (const t of all) {
      expect(t.iceCandidates.map((c: { protocol: string; port: number }) => `${c.protocol}:${c.port}`).sort()).toEqual([
        `tcp:${tcp}`,
        `udp:${udp}`,
      ]);
    }
    expect(await onServer()).toEqual(expect.arrayContaining(all.map((t) => t.id)));
  });

  it('are one receive transport per viewer and one send transport per producer, even when asked twice at once', async () => {
    const { seminarId, lecturer, room } = await liveRoom();
    const { client: viewer } = await clients.join(seminarId);

    const recv = await Promise.all([1, 2].map(() => requestWithin(viewer, 'transport:create', { direction: 'recv' })));
    expect(recv.map(codeOf).sort()).toEqual(['ok', 'too_many_transports']);
    expect(codeOf(await requestWithin(viewer, 'transport:create', { direction: 'recv' }))).toBe('too_many_transports');
    const send = await Promise.all([1, 2].map(() => requestWithin(lecturer, 'transport:create', { direction: 'send' })));
    expect(send.map(codeOf).sort()).toEqual(['ok', 'too_many_transports']);

    expect(peerOf(room, viewer).counts().transports).toBe(1);
    expect(peerOf(room, lecturer).counts().transports).toBe(1);
    const ids = [...recv, ...send].flatMap((a) => (a !== 'no ack' && a.ok ? [(a.data as { id: string }).id] : []));
    expect((await onServer()).filter((id) => ids.includes(id))).toHaveLength(2);
    expect((await room.origin.dump()).transportIds).toEqual(expect.arrayContaining(ids));
  });

  it('in use but without DTLS after the timeout is closed, with its consumers; then a new one may be made', async () => {
    const { seminarId, camera } = await liveRoom({ camera: 'silent' });
    const { client: viewer, joined } = await clients.join(seminarId);
    const room = await roomOf(app, seminarId);
    const recv = await viewer.ok('transport:create', { direction: 'recv' });
    const usedAt = Date.now();
    const consumed = await viewer.ok('consume', { producerId: camera!.producer.id, rtpCapabilities: joined.routerRtpCapabilities });

    expect(await viewer.next('room:consumer-closed', (p) => p.consumerId === consumed.consumerId, CONNECT_TIMEOUT_MS + 3000)).toEqual({
      consumerId: consumed.consumerId,
    });
    expect(Date.now() - usedAt).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 100);
    expect(peerOf(room, viewer).counts()).toEqual({ transports: 0, producers: 0, consumers: 0 });
    expect(await onServer()).not.toContain(recv.id);
    expect((await room.origin.dump()).transportIds).not.toContain(recv.id);

    const again = await viewer.ok('transport:create', { direction: 'recv' });
    expect(await onServer()).toContain(again.id);
  });

  it('closes a send transport that produced without DTLS, and the room hears its producer go', async () => {
    const { seminarId, lecturer } = await liveRoom();
    const { client: viewer } = await clients.join(seminarId);
    const send = await lecturer.ok('transport:create', { direction: 'send' });
    const rtpParameters = { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 777_001 }] };
    const { producerId } = await lecturer.ok('produce', { transportId: send.id, kind: 'video', rtpParameters, source: 'camera' });
    await viewer.next('room:producer-added', (p) => p.producerId === producerId);
    expect(await viewer.next('room:producer-closed', (p) => p.producerId === producerId, CONNECT_TIMEOUT_MS + 3000)).toEqual({
      producerId,
    });
    expect(await onServer()).not.toContain(send.id);
    expect((await roomOf(app, seminarId)).listProducers()).toEqual([]);
  });

  it('unused, waits for the first stream (a viewer early in the room); the clock runs from its first use', async () => {
    const { seminarId, lecturer, room } = await liveRoom();
    const { client: viewer, joined } = await clients.join(seminarId);
    const recv = await viewer.ok('transport:create', { direction: 'recv' });
    await sleep(CONNECT_TIMEOUT_MS + 1000);
    expect(await onServer()).toContain(recv.id);
    expect(peerOf(room, viewer).transport(recv.id).closed).toBe(false);

    // The lecturer's camera arrives; the viewer consumes it and, here, never connects.
    const camera = await injectCamera(app, room, peerOf(room, lecturer), { ffmpeg: false });
    cameras.push(camera);
    await viewer.ok('consume', { producerId: camera.producer.id, rtpCapabilities: joined.routerRtpCapabilities });
    await waitFor(
      async () => ((await onServer()).includes(recv.id) ? undefined : true),
      CONNECT_TIMEOUT_MS + 3000,
      'the transport to close',
    );
  });

  it('that connects (ICE and DTLS with a real WebRTC peer) stays open past the timeout and delivers media', async () => {
    const { seminarId, camera, room } = await liveRoom({ camera: 'ffmpeg' });
    const { client, joined } = await clients.join(seminarId);
    const transport = await client.ok('transport:create', { direction: 'recv' });
    const consumer = await client.ok('consume', { producerId: camera!.producer.id, rtpCapabilities: joined.routerRtpCapabilities });
    const viewer = await WebRtcViewer.receive(client, transport, [consumer]);
    viewers.push(viewer);
    const mediasoupSide = peerOf(room, client).transport(transport.id);
    await waitFor(() => (mediasoupSide.dtlsState === 'connected' ? true : undefined), 10_000, 'DTLS to connect');

    await sleep(CONNECT_TIMEOUT_MS + 1000);
    expect(mediasoupSide.closed).toBe(false);
    expect(await onServer()).toContain(transport.id);
    const before = viewer.rtpPackets;
    await waitFor(() => (viewer.rtpPackets > before + 20 ? true : undefined), 10_000, 'RTP to keep arriving at the peer');
  });
});
