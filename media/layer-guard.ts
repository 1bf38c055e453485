import type { Consumer, ConsumerLayers, ConsumerTraceEventData } from 'mediasoup/types';
import type { MediaLogger } from './logger';

/** What the guard uses of a simulcast consumer (a mediasoup Consumer fits). */
export type GuardedConsumer = Pick<Consumer, 'id' | 'closed' | 'enableTraceEvent' | 'getStats' | 'setPreferredLayers'> & {
  readonly currentLayers: ConsumerLayers | undefined;
  on(event: 'trace', listener: (trace: ConsumerTraceEventData) => void): unknown;
};

/** Half a second of NACKs asking for this share of what was sent or more: the link is congested. */
export const CONGESTED_NACK_RATIO = 0.1;
/** How long a congested viewer is held at the lowest layer before the layers above may be tried again; doubled after each try that congests again. */
export const FIRST_HOLD_MS = 15_000;
export const LONGEST_HOLD_MS = 80_000;
const SAMPLE_MS = 500;
/** No NACK for this long: sampling stops until the next one. */
const QUIET_MS = 3000;
/** Congested this soon after a hold ended: the try upward failed, and the next hold is twice as long. */
const RETRY_FAILED_MS = 8000;
/** Fewer packets than this in a sample (a paused or tiny stream) say nothing about the link. */
const MIN_PACKETS = 10;

/**
 * Drops one viewer's picture to the smallest simulcast layer as soon as its link loses
 * packets, and lets mediasoup take it back up later.
 *
 * mediasoup's estimate of a viewer's link falls slowly when the link polices rather than
 * queues, as mobile links often do: with a 100 ms queue the delay never grows enough to
 * signal, and the loss-based part cuts at most (1 − loss/2) per receiver report (one a
 * second). A link 20 % too narrow for the top layer took 3.5–4.6 s to move the viewer down,
 * while every frame of it lost packets (README, "Adaptation on a weak link"). The viewer
 * says so at once: its NACKs name every packet missing. The guard watches them (a trace
 * event mediasoup raises only when a NACK comes, so a clean link costs nothing), reads the
 * consumer's counters twice a second while they come, and when half a second's NACKed
 * packets are ≥ 10 % of those sent (Chromium asks again for a packet whose resend was lost
 * too, so the ratio can pass 1), it prefers the lowest layer for a while and holds the
 * viewer's whole link (`limitLink`) below what it carried, so that mediasoup stops padding
 * toward the top layer's bitrate meanwhile.
 *
 * The lowest layer, not the next one down: the switch happens at a key frame of the new
 * layer, which mediasoup forwards as the lecturer's browser sent it, in one burst, into the
 * link that is dropping packets. A 360p key frame lost most of its packets there and took
 * 2.5–6 s to get through (the picture frozen meanwhile); a 180p one took 0.4–2 s. So the
 * picture is the smallest for FIRST_HOLD_MS; then the viewer's own layer (what its player's
 * size asks for) is preferred again and mediasoup's estimate, settled by then, picks the
 * layer that fits. A link that congests again right after gets twice the hold, up to
 * LONGEST_HOLD_MS. LiveKit's allocator reads the NACK ratio for the same reason.
 */
export class LayerGuard {
  /** The layer the viewer's player asks for (by its shown size). */
  private wanted: number;
  /** Set while the viewer is held at the lowest layer. */
  private hold?: NodeJS.Timeout;
  private holdMs = FIRST_HOLD_MS;
  private releasedAt = -Infinity;
  private lastNackAt = -Infinity;
  private sampler?: NodeJS.Timeout;
  private last?: { nacked: number; sent: number };
  private reading = false;
  private closed = false;

  constructor(
    private readonly consumer: GuardedConsumer,
    wanted: number,
    private readonly logger: MediaLogger,
    /** Holds the viewer's whole link below what it carried (true) while the picture is held low, and lifts that (false). */
    private readonly limitLink: (congested: boolean) => Promise<void> = async () => undefined,
  ) {
    this.wanted = wanted;
  }

  /** Starts listening for the viewer's NACKs. */
  async start(): Promise<void> {
    this.consumer.on('trace', (trace) => {
      if (trace.type === 'nack') this.onNack();
    });
    await this.consumer.enableTraceEvent(['nack']);
  }

  /** The layer the viewer's player asks for now; a hold at the lowest stays. */
  async want(spatialLayer: number): Promise<void> {
    this.wanted = spatialLayer;
    await this.apply();
  }

  /** The spatial layer preferred now: the player's, or the lowest while held. */
  get preferred(): number {
    return this.hold ? 0 : this.wanted;
  }

  /** Stops the timers. Safe to call twice; the consumer's close calls it. */
  close(): void {
    this.closed = true;
    this.stopSampling();
    clearTimeout(this.hold);
    this.hold = undefined;
  }

  private onNack(): void {
    this.lastNackAt = Date.now();
    if (this.sampler || this.closed) return;
    this.last = undefined;
    void this.sample();
    this.sampler = setInterval(() => void this.sample(), SAMPLE_MS);
    this.sampler.unref();
  }

  private stopSampling(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private async sample(): Promise<void> {
    if (this.closed || this.consumer.closed) return this.close();
    if (Date.now() - this.lastNackAt > QUIET_MS) return this.stopSampling();
    // A busy worker may answer later than the next sample: one read at a time keeps the windows in order.
    if (this.reading) return;
    this.reading = true;
    const stats = (await this.consumer.getStats().catch(() => [])).find((s) => s.type === 'outbound-rtp');
    this.reading = false;
    if (!stats) return;
    const now = { nacked: stats.nackPacketCount, sent: stats.packetCount };
    const before = this.last;
    this.last = now;
    if (!before) return;
    const sent = now.sent - before.sent;
    if (sent < MIN_PACKETS) return;
    const ratio = (now.nacked - before.nacked) / sent;
    if (ratio >= CONGESTED_NACK_RATIO) await this.stepDown(ratio);
  }

  private async stepDown(ratio: number): Promise<void> {
    const now = Date.now();
    const current = this.consumer.currentLayers?.spatialLayer;
    // Once held, what the viewer NACKs for a while is the higher layer's lost packets again
    // (and mediasoup's padding): no verdict on the lowest layer, which is as low as it goes.
    if (this.hold || current === undefined || current === 0) return;
    // Congested right after the last try upward: the layers above still do not fit, wait longer.
    this.holdMs = now - this.releasedAt < RETRY_FAILED_MS ? Math.min(this.holdMs * 2, LONGEST_HOLD_MS) : FIRST_HOLD_MS;
    this.logger.info(
      { consumerId: this.consumer.id, nackRatio: Math.round(ratio * 100) / 100, from: current, holdMs: this.holdMs },
      'viewer link congested; held at the lowest layer',
    );
    this.hold = setTimeout(() => {
      this.hold = undefined;
      this.releasedAt = Date.now();
      void this.limitLink(false).catch(() => undefined);
      void this.apply();
    }, this.holdMs);
    this.hold.unref();
    await Promise.all([this.apply(), this.limitLink(true).catch(() => undefined)]);
  }

  private async apply(): Promise<void> {
    if (this.closed || this.consumer.closed) return;
    await this.consumer.setPreferredLayers({ spatialLayer: this.preferred, temporalLayer: 2 }).catch(() => undefined);
  }
}
