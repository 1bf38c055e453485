import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
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

it("passes a viewer's player size to its simulcast consumer through the layer guard", async () => {
  const { room, lecturer, viewer } = await lecturerAndViewer();
  const send = await lecturer.createTransport('send');
  await viewer.createTransport('recv');
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
  const consumer = viewer.consumer(consumerId);
  expect(consumer.type).toBe('simulcast');
  // A phone showing the picture 300 px tall gets 360p; a desktop at 720 px, 720p.
  await viewer.fitConsumer(consumerId, 300);
  expect(consumer.preferredLayers?.spatialLayer).toBe(1);
  await viewer.fitConsumer(consumerId, 720);
  expect(consumer.preferredLayers?.spatialLayer).toBe(2);
  await expect(viewer.fitConsumer('no-such-consumer', 720)).rejects.toMatchObject({ code: 'consumer_not_found' });
});
