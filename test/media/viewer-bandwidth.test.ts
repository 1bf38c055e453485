import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { Room, type WorkerPool } from '../../media';
import { MIN_OUTGOING_BITRATE } from '../../media/peer';
import { createTestPool, silentLogger } from '../support/media';

// A viewer's receive transport keeps mediasoup's bandwidth estimate at or above what the
// camera's lowest layer and the voice need: below it mediasoup forwards no video at all and
// the estimate spirals down (README, "Adaptation on a weak link").

let pool: WorkerPool;
const rooms: Room[] = [];

beforeAll(async () => {
  pool = await createTestPool(2);
});
afterEach(() => {
  for (const r of rooms.splice(0)) r.close();
});
afterAll(() => pool.close());

/** A room of its own with a lecturer and a viewer in it. */
async function lecturerAndViewer() {
  const room = await Room.create(`seminar-${Math.random().toString(36).slice(2)}`, {
    pool,
    logger: silentLogger,
    maxConsumersPerRouter: 10,
    transportConnectTimeoutMs: 30_000,
  });
  rooms.push(room);
  return { room, lecturer: await room.join('lecturer', 'u-lecturer'), viewer: await room.join('viewer', null) };
}

it("floors every viewer's estimate at the lowest layer and the voice, and leaves the lecturer's send side alone", async () => {
  const { lecturer, viewer } = await lecturerAndViewer();
  const send = await lecturer.createTransport('send');
  const recv = await viewer.createTransport('recv');

  const [recvStats] = await viewer.transport(recv.id).getStats();
  expect(recvStats!.minOutgoingBitrate).toBe(MIN_OUTGOING_BITRATE);
  // The camera's 180p layer (capped at 150 kbit/s by the studio) and Opus fit under the floor.
  expect(MIN_OUTGOING_BITRATE).toBeGreaterThanOrEqual(150_000 + 40_000);
  const [sendStats] = await lecturer.transport(send.id).getStats();
  expect(sendStats!.minOutgoingBitrate ?? 0).toBe(0);
});

/** The lecturer's camera (three simulcast layers) consumed by the viewer; the consumer and the viewer's receive transport. */
async function simulcastViewer() {
  const { room, lecturer, viewer } = await lecturerAndViewer();
  const send = await lecturer.createTransport('send');
  const recv = await viewer.createTransport('recv');
  // The studio's three layers, as Chromium signals them (RIDs, no SSRCs).
  const camera = await lecturer.produce(
    send.id,
    'video',
    {
      codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
      headerExtensions: [
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 },
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 2 },
      ],
      encodings: [{ rid: 'r0' }, { rid: 'r1' }, { rid: 'r2' }],
      mid: '0',
    },
    'camera',
  );
  const { consumerId } = await viewer.consume(camera.id, 'camera', room.rtpCapabilities);
  return { viewer, consumerId, consumer: viewer.consumer(consumerId), recv: viewer.transport(recv.id) };
}

it("passes a viewer's player size to its simulcast consumer through the layer guard", async () => {
  const { viewer, consumerId, consumer } = await simulcastViewer();
  expect(consumer.type).toBe('simulcast');
  // A phone showing the picture 300 px tall gets 360p; a desktop at 720 px, 720p.
  await viewer.fitConsumer(consumerId, 300);
  expect(consumer.preferredLayers?.spatialLayer).toBe(1);
  await viewer.fitConsumer(consumerId, 720);
  expect(consumer.preferredLayers?.spatialLayer).toBe(2);
  await expect(viewer.fitConsumer('no-such-consumer', 720)).rejects.toMatchObject({ code: 'consumer_not_found' });
});

it("caps a congested viewer's whole link while the guard holds it low, and lifts the cap when the consumer goes", async () => {
  const { consumer, recv } = await simulcastViewer();
  const maxOutgoing = async () => (await recv.getStats())[0]?.maxOutgoingBitrate ?? 0;
  expect(await maxOutgoing()).toBe(0);
  // No media flows here, so the viewer's side is played on the real consumer: it is on the top
  // layer, and its NACKs name half of what was sent in the last half second, well over the
  // guard's CONGESTED_NACK_RATIO.
  Object.defineProperty(consumer, 'currentLayers', { get: () => ({ spatialLayer: 2, temporalLayer: 0 }) });
  let sent = 0;
  vi.spyOn(consumer, 'getStats').mockImplementation(async () => {
    sent += 100;
    return [{ type: 'outbound-rtp', packetCount: sent, nackPacketCount: sent / 2 } as never];
  });
  consumer.emit('trace', { type: 'nack', timestamp: 0, direction: 'in', info: {} } as never);

  // Held: the lowest layer preferred, and the transport capped. It carried nothing here, so
  // the cap is the floor that keeps the lowest layer and the voice.
  await expect.poll(maxOutgoing, { timeout: 5000, interval: 100 }).toBe(MIN_OUTGOING_BITRATE);
  expect(consumer.preferredLayers?.spatialLayer).toBe(0);

  consumer.close();
  await expect.poll(maxOutgoing, { timeout: 5000, interval: 100 }).toBe(0);
});
