import { EventEmitter } from 'node:events';
import type {
  Consumer,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  Producer,
  Router,
  RtpCapabilities,
  RtpParameters,
  WebRtcServer,
  WebRtcTransport,
} from 'mediasoup/types';
import { LayerGuard } from './layer-guard';
import type { MediaLogger } from './logger';
import { MediaError } from './media-error';

export type Source = 'camera' | 'mic' | 'screen';
export type Direction = 'send' | 'recv';

const MAX_CONSUMERS = 64;

/**
 * The floor of mediasoup's bandwidth estimate for what a viewer receives: the camera's lowest
 * simulcast layer (180p, capped at 150 kbit/s by the studio, web/src/media.ts) and the voice
 * (Opus, ~40 kbit/s) with a little to spare. mediasoup forwards no video layer at all while
 * its estimate is below the lowest layer's bitrate, and once it forwards none, the estimate
 * (0.85 of what the viewer acknowledges) falls further, to the voice alone: on a ~400 kbit/s
 * link the estimate went down to 72 kbit/s and the picture froze for up to 23 s. With the
 * floor a weak link gets the smallest picture at the full frame rate, never none. A link
 * below it gets more than it carries (the voice as well as the picture suffer), as it would
 * from any viewer who keeps the smallest picture.
 */
export const MIN_OUTGOING_BITRATE = 200_000;

/** A router and the WebRtcServer of its worker, through which the peer's transports listen. */
export interface PeerSide {
  router: Router;
  webRtcServer: WebRtcServer;
}

export interface PeerOptions {
  id: string;
  userId: string | null;
  /** Where this peer sends (the room's origin router) and where it receives. */
  send: PeerSide;
  recv: PeerSide;
  /** A transport in use (connect, produce or consume asked of it) must finish DTLS within this time. */
  connectTimeoutMs: number;
  /**
   * The least time between two key-frame requests the SFU passes to this peer's camera or screen
   * (mediasoup's keyFrameRequestDelay); those in between wait and go as one. 0: each passes.
   */
  keyFrameRequestDelayMs?: number;
  logger: MediaLogger;
}

/** What a client needs to build its side of a transport. */
export interface TransportParameters {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface ConsumerParameters {
  consumerId: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  source: Source;
}

interface PeerEvents {
  /** One of the peer's consumers closed (its producer went, or the peer left). */
  consumerclose: [consumerId: string];
}

interface TransportEntry {
  transport: WebRtcTransport;
  direction: Direction;
  /** Runs from the transport's first use until DTLS connects. */
  deadline?: NodeJS.Timeout;
}

/**
 * The sender's encodings without their maxBitrate. mediasoup takes a consumer's desired
 * bitrate as the larger of what its best layer measures and the highest maxBitrate, and
 * probes each viewer's link up to that: with a camera whose top layer is capped at
 * 1.5 Mbit/s but sends 0.5 (a lecturer before a plain wall), every viewer's estimate
 * floated at 1.5 Mbit/s on padding, and had to fall threefold before a narrowing link
 * moved it to a lower layer. Without it, the desired bitrate is what is really sent. The
 * browser still enforces the caps itself; they mean nothing else to the SFU.
 */
function withoutMaxBitrate(rtpParameters: RtpParameters): RtpParameters {
  if (!rtpParameters.encodings) return rtpParameters;
  return { ...rtpParameters, encodings: rtpParameters.encodings.map(({ maxBitrate: _ignored, ...rest }) => rest) };
}

/** Layers the viewer sees up to, from the size their player shows the video at. */
function spatialLayerFor(height: number): number {
  return height >= 540 ? 2 : height >= 270 ? 1 : 0;
}

/**
 * One participant's media: at most one send and one receive transport, and the
 * producers and consumers on them. The maps are the peer's own; callers act
 * through its methods. Closing the peer closes its transports, which closes
 * everything on them; each map entry goes when mediasoup reports the close.
 */
export class Peer extends EventEmitter<PeerEvents> {
  readonly id: string;
  readonly userId: string | null;
  private readonly transports = new Map<string, TransportEntry>();
  private readonly producers = new Map<string, { producer: Producer; source: Source }>();
  private readonly consumers = new Map<string, { consumer: Consumer; source: Source; guard?: LayerGuard }>();
  /** The viewer's simulcast consumers held at their lowest layer for congestion (media/layer-guard.ts). */
  private readonly heldLow = new Set<string>();
  /** Producers whose consumer is being created right now. */
  private readonly consuming = new Set<string>();
  /** Directions and sources being set up right now: two requests at once get one of each. */
  private readonly opening = new Set<Direction>();
  private readonly starting = new Set<Source>();
  private readonly logger: MediaLogger;
  private closed = false;

  constructor(private readonly opts: PeerOptions) {
    super();
    this.id = opts.id;
    this.userId = opts.userId;
    this.logger = opts.logger.child({ peerId: opts.id });
  }

  /** The router this peer receives on: the origin or an overflow router. */
  get recvRouter(): Router {
    return this.opts.recv.router;
  }

  /**
   * A WebRTC transport through the worker's WebRtcServer (its one UDP and TCP
   * port). One per direction: a client needs no more, and each costs the worker.
   */
  async createTransport(direction: Direction): Promise<TransportParameters> {
    this.assertOpen();
    if (this.opening.has(direction) || [...this.transports.values()].some((t) => t.direction === direction)) {
      throw new MediaError('too_many_transports', `One ${direction === 'send' ? 'send' : 'receive'} transport per participant`);
    }
    this.opening.add(direction);
    let transport: WebRtcTransport;
    try {
      const side = direction === 'send' ? this.opts.send : this.opts.recv;
      transport = await side.router.createWebRtcTransport({
        webRtcServer: side.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        // mediasoup's own default. The send-side estimate never caps below this value, and
        // mediasoup pads a viewer's link up to 85 % of that cap: at 1.5 Mbit/s every viewer
        // got ~1.3 Mbit/s of padding whatever the camera sent, and a phone whose link then
        // narrowed took 4-7 s to notice (see README, "Adaptation on a weak link").
        initialAvailableOutgoingBitrate: 600_000,
        appData: { direction, peerId: this.id },
      });
    } finally {
      this.opening.delete(direction);
    }
    // A transport closed meanwhile (its router went) throws here; it is gone either way.
    if (direction === 'recv') await transport.setMinOutgoingBitrate(MIN_OUTGOING_BITRATE).catch(() => undefined);
    if (this.closed) {
      transport.close();
      throw new MediaError('peer_closed', 'The participant left');
    }
    const entry: TransportEntry = { transport, direction };
    this.transports.set(transport.id, entry);
    transport.observer.once('close', () => {
      clearTimeout(entry.deadline);
      this.transports.delete(transport.id);
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'connected') clearTimeout(entry.deadline);
      // A client that fails DTLS leaves nothing behind.
      if (state === 'failed' || state === 'closed') transport.close();
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    const entry = this.entry(transportId);
    this.armDeadline(entry);
    await entry.transport.connect({ dtlsParameters });
  }

  /**
   * New ICE username and password for one of the peer's transports: the client
   * restarts ICE with them after its path to the server broke (a network change),
   * and the transport with all it carries goes on. Only its owner gets here: the
   * id is looked up among this peer's own transports.
   */
  async restartIce(transportId: string): Promise<IceParameters> {
    return this.entry(transportId).transport.restartIce();
  }

  /** A producer on the peer's send transport; one per source. */
  async produce(transportId: string, kind: MediaKind, rtpParameters: RtpParameters, source: Source): Promise<Producer> {
    const entry = this.entry(transportId);
    if (entry.direction !== 'send') throw new MediaError('wrong_transport', 'Produce on a send transport');
    if (this.starting.has(source) || [...this.producers.values()].some((p) => p.source === source)) {
      throw new MediaError('already_producing', `Already producing ${source}`);
    }
    this.starting.add(source);
    let producer: Producer;
    try {
      producer = await entry.transport.produce({
        kind,
        rtpParameters: withoutMaxBitrate(rtpParameters),
        // Every joining viewer, layer switch and lost packet asks for a key frame. Without a
        // pause between them a crowd makes the lecturer's encoder send key frames back to back,
        // each several times a normal frame, on the lecturer's own uplink.
        ...(kind === 'video' && this.opts.keyFrameRequestDelayMs ? { keyFrameRequestDelay: this.opts.keyFrameRequestDelayMs } : {}),
        appData: { source, peerId: this.id },
      });
    } finally {
      this.starting.delete(source);
    }
    this.producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => this.producers.delete(producer.id));
    this.armDeadline(entry);
    return producer;
  }

  /** A consumer of `producerId` on the peer's receive transport, paused until the client resumes it. */
  async consume(producerId: string, source: Source, rtpCapabilities: RtpCapabilities): Promise<ConsumerParameters> {
    const entry = [...this.transports.values()].find((t) => t.direction === 'recv');
    if (!entry) throw new MediaError('transport_not_found', 'Create a receive transport first');
    if (this.consumers.size + this.consuming.size >= MAX_CONSUMERS)
      throw new MediaError('too_many_consumers', `At most ${MAX_CONSUMERS} streams per participant`);
    // One consumer per stream: a second would only double what the peer receives (and costs).
    // Reserved before the await, so parallel requests for one stream cannot both pass.
    if (this.consuming.has(producerId) || [...this.consumers.values()].some((c) => c.consumer.producerId === producerId))
      throw new MediaError('already_consuming', 'This participant already receives that stream');
    if (!this.recvRouter.canConsume({ producerId, rtpCapabilities })) {
      throw new MediaError('cannot_consume', 'This device cannot receive that stream');
    }
    this.consuming.add(producerId);
    let consumer: Consumer;
    try {
      // Paused until the client has its track wired up, so no key frame is lost.
      consumer = await entry.transport.consume({ producerId, rtpCapabilities, paused: true, appData: { source } });
    } finally {
      this.consuming.delete(producerId);
    }
    // A viewer's picture drops to the smallest layer as soon as its link drops packets (media/layer-guard.ts).
    const guard =
      consumer.type === 'simulcast'
        ? new LayerGuard(consumer, 2, this.logger, (congested) => this.limitRecvLink(entry.transport, consumer.id, congested))
        : undefined;
    this.consumers.set(consumer.id, { consumer, source, guard });
    consumer.observer.once('close', () => {
      guard?.close();
      void this.limitRecvLink(entry.transport, consumer.id, false).catch(() => undefined);
      this.consumers.delete(consumer.id);
      this.emit('consumerclose', consumer.id);
    });
    this.armDeadline(entry);
    await guard?.start().catch(() => undefined);
    return { consumerId: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, source };
  }

  async pauseProducer(producerId: string): Promise<void> {
    await this.producer(producerId).pause();
  }

  async resumeProducer(producerId: string): Promise<void> {
    await this.producer(producerId).resume();
  }

  closeProducer(producerId: string): void {
    this.producer(producerId).close();
  }

  /** Pauses every producer of this source (a moderator's mute). */
  async pauseProducers(source: Source): Promise<void> {
    const of = [...this.producers.values()].filter((p) => p.source === source);
    await Promise.all(of.map(({ producer }) => producer.pause()));
  }

  /** Stops everything the peer sends (taken off the stage); its transports stay. */
  closeProducers(): void {
    for (const { producer } of [...this.producers.values()]) producer.close();
  }

  /** Starts a consumer the client has wired up, with a key frame for video. */
  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.consumer(consumerId);
    await consumer.resume();
    if (consumer.kind === 'video') await consumer.requestKeyFrame();
  }

  /** Sends the simulcast layer that fits the height the client shows the video at. */
  async fitConsumer(consumerId: string, height: number): Promise<void> {
    const entry = this.consumers.get(consumerId);
    if (!entry) throw new MediaError('consumer_not_found', 'No such consumer of yours');
    await entry.guard?.want(spatialLayerFor(height));
  }

  producer(producerId: string): Producer {
    const entry = this.producers.get(producerId);
    if (!entry) throw new MediaError('producer_not_found', 'No such producer of yours');
    return entry.producer;
  }

  consumer(consumerId: string): Consumer {
    const entry = this.consumers.get(consumerId);
    if (!entry) throw new MediaError('consumer_not_found', 'No such consumer of yours');
    return entry.consumer;
  }

  transport(transportId: string): WebRtcTransport {
    return this.entry(transportId).transport;
  }

  hasTransport(transportId: string): boolean {
    return this.transports.has(transportId);
  }

  hasConsumer(consumerId: string): boolean {
    return this.consumers.has(consumerId);
  }

  /** How many objects the peer holds: for tests and diagnostics. */
  counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.transports.size, producers: this.producers.size, consumers: this.consumers.size };
  }

  /** Closes the peer's media. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { transport } of [...this.transports.values()]) transport.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * While any of the viewer's pictures is held low for congestion, its receive link is capped
   * at 3/4 of what it carried (never below the floor): mediasoup otherwise keeps padding it
   * toward the top layer's bitrate, and the padding is lost with everything else.
   */
  private async limitRecvLink(transport: WebRtcTransport, consumerId: string, congested: boolean): Promise<void> {
    const wasHeld = this.heldLow.size > 0;
    if (congested) this.heldLow.add(consumerId);
    else this.heldLow.delete(consumerId);
    if (transport.closed || wasHeld === this.heldLow.size > 0) return;
    if (!congested) return transport.setMaxOutgoingBitrate(0);
    const [stats] = await transport.getStats();
    await transport.setMaxOutgoingBitrate(Math.max(MIN_OUTGOING_BITRATE, Math.round(0.75 * (stats?.sendBitrate ?? 0))));
  }

  private entry(transportId: string): TransportEntry {
    const entry = this.transports.get(transportId);
    if (!entry) throw new MediaError('transport_not_found', 'No such transport of yours');
    return entry;
  }

  /**
   * From its first use, a transport has connectTimeoutMs to finish DTLS, or it
   * is closed. An unused one is not expected to connect (mediasoup-client
   * connects on the first produce or consume, and a viewer may wait for the
   * lecturer's first stream); one per direction bounds those.
   */
  private armDeadline(entry: TransportEntry): void {
    if (entry.deadline || entry.transport.closed || entry.transport.dtlsState === 'connected') return;
    entry.deadline = setTimeout(() => {
      if (entry.transport.closed || entry.transport.dtlsState === 'connected') return;
      this.logger.info(
        { transportId: entry.transport.id, dtlsState: entry.transport.dtlsState },
        'transport did not connect in time; closed',
      );
      entry.transport.close();
    }, this.opts.connectTimeoutMs);
    entry.deadline.unref();
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('peer_closed', 'The participant left');
  }
}
