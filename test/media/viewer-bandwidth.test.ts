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

it("floors every viewer's estimate at the lowest layer and the voice, and leaves the lecturer's send side alone", async () => {
  const room = await Room.create(`seminar-${Math.random().toString(36).slice(2)}`, {
    pool,
    logger: silentLogger,
    maxConsumersPerRouter: 10,
    transportConnectTimeoutMs: 30_000,
  });
  rooms.push(room);
  const lecturer = await room.join('lecturer', 'u-lecturer');
  const viewer = await room.join('viewer', null);
  const send = await lecturer.createTransport('send');
  const recv = await viewer.createTransport('recv');

  const [recvStats] = await viewer.transport(recv.id).getStats();
  expect(recvStats!.minOutgoingBitrate).toBe(MIN_OUTGOING_BITRATE);
  // The camera's 180p layer (capped at 150 kbit/s by the studio) and Opus fit under the floor.
  expect(MIN_OUTGOING_BITRATE).toBeGreaterThanOrEqual(150_000 + 40_000);
  const [sendStats] = await lecturer.transport(send.id).getStats();
  expect(sendStats!.minOutgoingBitrate ?? 0).toBe(0);
});
