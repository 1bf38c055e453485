import { EventEmitter } from 'node:events';
import type { ConsumerLayers } from 'mediasoup/types';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { CONGESTED_NACK_RATIO, FIRST_HOLD_MS, LayerGuard, LONGEST_HOLD_MS, type GuardedConsumer } from '../../media/layer-guard';
import { silentLogger } from '../support/media';

// The guard's decisions on a stand-in consumer with mediasoup's counters, on a fake clock.
// What it does to a real viewer on a narrowed link is measured by `npm run bench -- weaklink`.

class FakeConsumer extends EventEmitter implements GuardedConsumer {
  readonly id = 'consumer-1';
  closed = false;
  currentLayers: ConsumerLayers | undefined = { spatialLayer: 2, temporalLayer: 2 };
  preferred: number[] = [];
  traced: string[] = [];
  statsRead = 0;
  private sent = 0;
  private nacked = 0;
  /** Each stats read first adds this much traffic: packets sent and the share of them NACKed. */
  traffic = { packets: 25, nackRatio: 0 };

  async enableTraceEvent(types?: string[]): Promise<void> {
    this.traced = types ?? [];
  }
  async getStats() {
    this.statsRead++;
    this.sent += this.traffic.packets;
    this.nacked += Math.round(this.traffic.packets * this.traffic.nackRatio);
    return [{ type: 'outbound-rtp', packetCount: this.sent, nackPacketCount: this.nacked }] as never;
  }
  async setPreferredLayers(layers: { spatialLayer: number }): Promise<void> {
    this.preferred.push(layers.spatialLayer);
  }
  nack(): void {
    this.emit('trace', { type: 'nack', direction: 'in', timestamp: Date.now(), info: {} });
  }
}

let consumer: FakeConsumer;
let link: boolean[];
let guard: LayerGuard;

beforeEach(async () => {
  vi.useFakeTimers();
  consumer = new FakeConsumer();
  link = [];
  guard = new LayerGuard(consumer, 2, silentLogger, async (congested) => void link.push(congested));
  await guard.start();
});
afterEach(() => {
  guard.close();
  vi.useRealTimers();
});

/** NACKs coming for `ms` at `nackRatio` of what is sent, as a viewer on a lossy link sends them. */
async function lossFor(ms: number, nackRatio: number): Promise<void> {
  consumer.traffic.nackRatio = nackRatio;
  for (let t = 0; t < ms; t += 100) {
    consumer.nack();
    await vi.advanceTimersByTimeAsync(100);
  }
}

it('listens for NACKs only, and reads no counters while none come', async () => {
  expect(consumer.traced).toEqual(['nack']);
  await vi.advanceTimersByTimeAsync(60_000);
  expect(consumer.statsRead).toBe(0);
  expect(consumer.preferred).toEqual([]);
});

it('drops to the lowest layer within a second of heavy NACKs, holds the link, and lets both go after the hold', async () => {
  await lossFor(1000, 0.5);
  expect(guard.preferred).toBe(0);
  expect(consumer.preferred).toEqual([0]);
  expect(link).toEqual([true]);
  // mediasoup moved the consumer down; the NACKs (of the old layer's packets) go on: nothing more.
  consumer.currentLayers = { spatialLayer: 0, temporalLayer: 2 };
  await lossFor(3000, 0.5);
  expect(consumer.preferred).toEqual([0]);
  expect(link).toEqual([true]);
  await vi.advanceTimersByTimeAsync(FIRST_HOLD_MS);
  expect(guard.preferred).toBe(2);
  expect(consumer.preferred).toEqual([0, 2]);
  expect(link).toEqual([true, false]);
});

it('leaves a link with a little loss alone, and stops reading counters once the NACKs stop', async () => {
  await lossFor(5000, CONGESTED_NACK_RATIO / 2);
  expect(consumer.preferred).toEqual([]);
  const reads = consumer.statsRead;
  expect(reads).toBeGreaterThan(5);
  await vi.advanceTimersByTimeAsync(10_000);
  expect(consumer.statsRead).toBeLessThanOrEqual(reads + 7);
  const after = consumer.statsRead;
  await vi.advanceTimersByTimeAsync(10_000);
  expect(consumer.statsRead).toBe(after);
});

it('doubles the hold when the link congests again right after a try upward, up to the longest, and starts over after a good stretch', async () => {
  const holds: number[] = [];
  for (let i = 0; i < 5; i++) {
    consumer.currentLayers = { spatialLayer: 2, temporalLayer: 2 };
    await lossFor(1000, 0.5);
    expect(guard.preferred).toBe(0);
    const heldAt = Date.now();
    while (guard.preferred === 0) await vi.advanceTimersByTimeAsync(500);
    holds.push(Math.round((Date.now() - heldAt) / 1000) * 1000);
  }
  expect(holds).toEqual([FIRST_HOLD_MS, 2 * FIRST_HOLD_MS, 4 * FIRST_HOLD_MS, LONGEST_HOLD_MS, LONGEST_HOLD_MS]);
  // A minute at the top layer without congestion: the next one holds the first hold again.
  await vi.advanceTimersByTimeAsync(60_000);
  await lossFor(1000, 0.5);
  const heldAt = Date.now();
  while (guard.preferred === 0) await vi.advanceTimersByTimeAsync(500);
  expect(Math.round((Date.now() - heldAt) / 1000) * 1000).toBe(FIRST_HOLD_MS);
});

it("follows the player's own layer, keeps the hold when the player asks for more, and takes no step from the lowest layer", async () => {
  await guard.want(1);
  expect(consumer.preferred).toEqual([1]);
  consumer.currentLayers = { spatialLayer: 1, temporalLayer: 2 };
  await lossFor(1000, 0.5);
  expect(guard.preferred).toBe(0);
  await guard.want(2);
  expect(guard.preferred).toBe(0);
  await vi.advanceTimersByTimeAsync(FIRST_HOLD_MS);
  expect(guard.preferred).toBe(2);

  const low = new FakeConsumer();
  low.currentLayers = { spatialLayer: 0, temporalLayer: 2 };
  const lowGuard = new LayerGuard(low, 2, silentLogger);
  await lowGuard.start();
  low.traffic.nackRatio = 0.9;
  for (let t = 0; t < 2000; t += 100) {
    low.nack();
    await vi.advanceTimersByTimeAsync(100);
  }
  expect(low.preferred).toEqual([]);
  lowGuard.close();
});

it('stops for good when closed (twice is safe), and when its consumer closes', async () => {
  guard.close();
  guard.close();
  await lossFor(2000, 0.5);
  expect(consumer.statsRead).toBe(0);
  expect(consumer.preferred).toEqual([]);

  const other = new FakeConsumer();
  const otherGuard = new LayerGuard(other, 2, silentLogger);
  await otherGuard.start();
  other.nack();
  await vi.advanceTimersByTimeAsync(100);
  const reads = other.statsRead;
  other.closed = true;
  other.traffic.nackRatio = 0.5;
  for (let t = 0; t < 2000; t += 100) {
    other.nack();
    await vi.advanceTimersByTimeAsync(100);
  }
  expect(other.statsRead).toBe(reads);
  expect(other.preferred).toEqual([]);
});
