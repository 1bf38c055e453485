import { EventEmitter } from 'node:events';
import type { MediaKind, Producer, Router, RtpCapabilities, RtpParameters, WebRtcServer, Worker } from 'mediasoup/types';
import { routerMediaCodecs } from './codecs';
import type { MediaLogger } from './logger';
import { MediaError } from './media-error';
import { Peer, type Source } from './peer';
import type { WorkerPool } from './worker-pool';

export interface RoomOptions {
  pool: WorkerPool;
  logger: MediaLogger;
  /** Past this many consumers on a router, new viewers go to a router on another worker. */
  maxConsumersPerRouter: number;
  /** A WebRTC transport in use must finish DTLS within this time, or it is closed. */
  transportConnectTimeoutMs: number;
  /** The least time between two key-frame requests passed to a sender's camera or screen (Peer). */
  keyFrameRequestDelayMs?: number;
}

/** A producer of the room as the rest of the app sees it. */
export interface ProducerInfo {
  producerId: string;
  peerId: string;
  userId: string | null;
  kind: MediaKind;
  source: Source;
  paused: boolean;
}

interface RoomEvents {
  /** The room is gone; `workerdied` means clients should join again. */
  close: [reason: 'closed' | 'workerdied'];
  /** A producer is reachable from every router of the room. */
  producer: [info: ProducerInfo];
  /** A producer announced with `producer` closed. */
  producerclose: [info: { producerId: string; peerId: string }];
  producerpause: [info: { producerId: string; paused: boolean }];
}

interface RouterSlot {
  router: Router;
  webRtcServer: WebRtcServer;
  consumers: number;
  /** Pipes of producers into this router, by producer id: present once started, done once resolved. */
  piped: Map<string, Promise<void>>;
}

interface RoomProducer {
  producer: Producer;
  peerId: string;
  userId: string | null;
  source: Source;
  announced: boolean;
}

/**
 * A seminar's media. Producers live on the origin router; viewers are spread
 * over the origin and overflow routers on other workers, each fed through
 * pipeToRouter, so an audience can use every core. The room owns its routers
 * and peers, peers own their transports; each map entry goes when mediasoup
 * reports the close.
 */
export class Room extends EventEmitter<RoomEvents> {
  private readonly peers = new Map<string, Peer>();
  private readonly slots: RouterSlot[] = [];
  private readonly producers = new Map<string, RoomProducer>();
  private growing?: Promise<RouterSlot>;
  private closed = false;

  private constructor(
    readonly seminarId: string,
    private readonly opts: RoomOptions,
    private readonly logger: MediaLogger,
  ) {
    super();
  }

  static async create(seminarId: string, opts: RoomOptions): Promise<Room> {
    const room = new Room(seminarId, opts, opts.logger.child({ seminarId }));
    await room.addRouter(opts.pool.leastLoaded());
    return room;
  }

  /** The router producers live on (the recorder consumes from it). */
  get origin(): Router {
    const origin = this.slots[0];
    if (!origin) throw new MediaError('room_closed', 'The room closed');
    return origin.router;
  }

  get rtpCapabilities(): RtpCapabilities {
    return this.origin.rtpCapabilities;
  }

  /** The routers in use, with their consumer counts: origin first. */
  routers(): Array<{ routerId: string; workerPid: number; consumers: number }> {
    return this.slots.map((s) => ({
      routerId: s.router.id,
      workerPid: (s.router.appData.workerPid as number) ?? 0,
      consumers: s.consumers,
    }));
  }

  listProducers(): ProducerInfo[] {
    return [...this.producers.values()].filter((p) => p.announced).map(producerInfo);
  }

  producerSource(producerId: string): Source | undefined {
    const entry = this.producers.get(producerId);
    return entry?.announced ? entry.source : undefined;
  }

  /** A peer whose sending goes to the origin and whose receiving goes to a router with room. */
  async join(peerId: string, userId: string | null): Promise<Peer> {
    this.assertOpen();
    const existing = this.peers.get(peerId);
    if (existing) return existing;
    const slot = await this.slotForConsumers();
    this.assertOpen();
    // Another join of the same peer may have finished while this one waited for a router.
    const raced = this.peers.get(peerId);
    if (raced) return raced;
    const origin = this.slots[0]!;
    const peer = new Peer({
      id: peerId,
      userId,
      send: { router: origin.router, webRtcServer: origin.webRtcServer },
      recv: { router: slot.router, webRtcServer: slot.webRtcServer },
      connectTimeoutMs: this.opts.transportConnectTimeoutMs,
      ...(this.opts.keyFrameRequestDelayMs ? { keyFrameRequestDelayMs: this.opts.keyFrameRequestDelayMs } : {}),
      logger: this.logger,
    });
    this.peers.set(peerId, peer);
    return peer;
  }

  leave(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    peer.close();
  }

  peer(peerId: string): Peer | undefined {
    return this.peers.get(peerId);
  }

  hasPeer(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  /** A producer on the peer's send transport, published to the room; closed again if publishing fails. */
  async produce(peer: Peer, transportId: string, kind: MediaKind, rtpParameters: RtpParameters, source: Source): Promise<ProducerInfo> {
    this.assertOpen();
    if (this.peers.get(peer.id) !== peer) throw new MediaError('peer_closed', 'The participant left');
    const producer = await peer.produce(transportId, kind, rtpParameters, source);
    await this.publish(peer, producer, source);
    return producerInfo({ producer, peerId: peer.id, userId: peer.userId, source, announced: true });
  }

  /**
   * Makes a producer on the origin reachable from every router of the room,
   * then announces it. A producer that cannot be published is closed: nobody
   * could receive it everywhere.
   */
  async publish(peer: Peer, producer: Producer, source: Source): Promise<void> {
    if (producer.closed) throw new MediaError('producer_not_found', 'The stream closed');
    const entry: RoomProducer = { producer, peerId: peer.id, userId: peer.userId, source, announced: false };
    try {
      this.assertOpen();
      this.producers.set(producer.id, entry);
      producer.observer.once('close', () => this.forget(entry));
      producer.observer.on('pause', () => entry.announced && this.emit('producerpause', { producerId: producer.id, paused: true }));
      producer.observer.on('resume', () => entry.announced && this.emit('producerpause', { producerId: producer.id, paused: false }));
      await Promise.all(this.slots.slice(1).map((slot) => this.pipe(producer.id, slot)));
    } catch (err) {
      producer.close();
      throw err;
    }
    // Closed meanwhile (by its peer, or with the room): nothing to announce.
    if (producer.closed || this.closed) return;
    entry.announced = true;
    this.emit('producer', producerInfo(entry));
  }

  /** Closes every peer and router, and with them all transports. Safe to call twice. */
  close(reason: 'closed' | 'workerdied' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of [...this.peers.values()]) peer.close();
    this.peers.clear();
    for (const slot of this.slots.splice(0)) slot.router.close();
    this.logger.info({ reason }, 'room closed');
    this.emit('close', reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** How many objects the room holds: for tests and diagnostics. */
  counts(): { peers: number; producers: number; routers: number; pipes: number } {
    return {
      peers: this.peers.size,
      producers: this.producers.size,
      routers: this.slots.length,
      pipes: this.slots.reduce((n, s) => n + s.piped.size, 0),
    };
  }

  private forget(entry: RoomProducer): void {
    const id = entry.producer.id;
    if (this.producers.get(id) === entry) this.producers.delete(id);
    for (const slot of this.slots) slot.piped.delete(id);
    if (entry.announced) this.emit('producerclose', { producerId: id, peerId: entry.peerId });
  }

  private async slotForConsumers(): Promise<RouterSlot> {
    const free = this.slots.find((s) => s.consumers < this.opts.maxConsumersPerRouter);
    if (free) return free;
    // One new router at a time, however many viewers arrive at once.
    if (this.growing) return this.growing;
    // Only onto a worker the room does not use yet: a second router on one worker adds no
    // CPU, and a piped producer keeps its id, which one worker can hold only once.
    const worker = this.opts.pool.leastLoaded(new Set(this.slots.map((s) => s.router.appData.worker as Worker)));
    if (!worker) return this.slots.reduce((least, s) => (s.consumers < least.consumers ? s : least));
    this.growing = this.addRouter(worker).finally(() => {
      this.growing = undefined;
    });
    return this.growing;
  }

  private async addRouter(worker: Worker | undefined): Promise<RouterSlot> {
    if (!worker) throw new MediaError('no_worker', 'No media worker is available right now');
    const webRtcServer = this.opts.pool.webRtcServer(worker);
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs, appData: { worker, workerPid: worker.pid } });
    const slot: RouterSlot = { router, webRtcServer, consumers: 0, piped: new Map() };
    try {
      this.assertOpen();
      // Piped before it is offered, so no viewer lands on a router without the streams;
      // again until no producer published meanwhile is missing.
      if (this.slots.length > 0) {
        for (;;) {
          const missing = [...this.producers.keys()].filter((id) => !slot.piped.has(id));
          if (missing.length === 0) break;
          await Promise.all(missing.map((id) => this.pipe(id, slot)));
          this.assertOpen();
        }
      }
    } catch (err) {
      router.close();
      throw err;
    }
    router.observer.on('newtransport', (transport) => {
      // Load is what viewers consume; pipe and recorder consumers do not count.
      if (transport.appData.direction !== 'recv') return;
      transport.observer.on('newconsumer', (consumer) => {
        slot.consumers += 1;
        consumer.observer.once('close', () => (slot.consumers -= 1));
      });
    });
    // A router closes under us only when its worker died: the room is rebuilt elsewhere.
    router.observer.once('close', () => {
      if (!this.closed) this.close('workerdied');
    });
    this.slots.push(slot);
    if (this.slots.length > 1) this.logger.info({ routers: this.slots.length, workerPid: worker.pid }, 'room grew onto another router');
    return slot;
  }

  /**
   * Pipes a producer into a slot's router once. It counts as piped only when
   * the pipe succeeded: a failed one is forgotten, so a later call tries again.
   * A producer that closed meanwhile needs no pipe.
   */
  private pipe(producerId: string, slot: RouterSlot): Promise<void> {
    const existing = slot.piped.get(producerId);
    if (existing) return existing;
    const origin = this.origin;
    const piping = origin.pipeToRouter({ producerId, router: slot.router, listenInfo: this.opts.pool.pipeListenInfo() }).then(
      () => undefined,
      (err: unknown) => {
        if (slot.piped.get(producerId) === piping) slot.piped.delete(producerId);
        if (!this.producers.has(producerId)) return;
        throw err;
      },
    );
    slot.piped.set(producerId, piping);
    return piping;
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('room_closed', 'The room closed');
  }
}

function producerInfo(p: RoomProducer): ProducerInfo {
  return {
    producerId: p.producer.id,
    peerId: p.peerId,
    userId: p.userId,
    kind: p.producer.kind,
    source: p.source,
    paused: p.producer.paused,
  };
}
