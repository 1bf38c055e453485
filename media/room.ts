import { EventEmitter } from 'node:events';
import type { Producer, Router, TransportListenInfo, Worker } from 'mediasoup/types';
import { routerMediaCodecs } from './codecs';
import type { MediaLogger } from './logger';
import { MediaError, Peer, type Source } from './peer';
import type { WorkerPool } from './worker-pool';

export interface RoomOptions {
  pool: WorkerPool;
  logger: MediaLogger;
  /** Past this many consumers on a router, new viewers go to a router on another worker. */
  maxConsumersPerRouter: number;
}

interface RoomEvents {
  /** The room is gone; `workerdied` means clients should join again. */
  close: [reason: 'closed' | 'workerdied'];
  producer: [info: { producer: Producer; peerId: string; userId: string | null; source: Source }];
}

interface RouterSlot {
  router: Router;
  consumers: number;
  /** Producers piped into this router, by producer id. */
  piped: Set<string>;
}

/**
 * A seminar's media. Producers live on the origin router; viewers are spread
 * over the origin and overflow routers on other workers, each fed through
 * pipeToRouter, so an audience can use every core. The room owns its routers,
 * and peers own their transports.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly peers = new Map<string, Peer>();
  private readonly slots: RouterSlot[] = [];
  private readonly producers = new Map<string, { producer: Producer; peerId: string; userId: string | null; source: Source }>();
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
    await room.addRouter(new Set());
    return room;
  }

  get origin(): Router {
    return this.slots[0]!.router;
  }

  get rtpCapabilities() {
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

  listProducers() {
    return [...this.producers.values()];
  }

  /** A peer whose sending goes to the origin and whose receiving goes to a router with room. */
  async join(peerId: string, userId: string | null): Promise<Peer> {
    this.assertOpen();
    const existing = this.peers.get(peerId);
    if (existing) return existing;
    const slot = await this.slotForConsumers();
    const peer = new Peer(peerId, userId, this.origin, slot.router, this.listenInfos());
    this.peers.set(peerId, peer);
    return peer;
  }

  leave(peerId: string): void {
    this.peers.get(peerId)?.close();
    this.peers.delete(peerId);
  }

  /** Makes a producer (always on the origin) reachable from every router of the room. */
  async publish(peer: Peer, producer: Producer, source: Source): Promise<void> {
    const entry = { producer, peerId: peer.id, userId: peer.userId, source };
    this.producers.set(producer.id, entry);
    producer.observer.once('close', () => this.producers.delete(producer.id));
    for (const slot of this.slots.slice(1)) await this.pipe(producer.id, slot);
    this.emit('producer', entry);
  }

  producerSource(producerId: string): Source | undefined {
    return this.producers.get(producerId)?.source;
  }

  /** Closes every router, and with them all transports. Safe to call twice. */
  close(reason: 'closed' | 'workerdied' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    for (const slot of this.slots) slot.router.close();
    this.logger.info({ reason }, 'room closed');
    this.emit('close', reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private listenInfos(): TransportListenInfo[] {
    return [this.opts.pool.listenInfo('udp'), this.opts.pool.listenInfo('tcp')];
  }

  private async slotForConsumers(): Promise<RouterSlot> {
    const free = this.slots.find((s) => s.consumers < this.opts.maxConsumersPerRouter);
    if (free) return free;
    // One new router at a time, however many viewers arrive at once.
    this.growing ??= this.addRouter(new Set(this.slots.map((s) => s.router.appData.worker as Worker))).finally(() => {
      this.growing = undefined;
    });
    return this.growing;
  }

  private async addRouter(busy: Set<Worker>): Promise<RouterSlot> {
    // Prefer a worker the room does not use yet; share one only when every worker is in use.
    const worker = this.opts.pool.leastLoaded(busy) ?? this.opts.pool.leastLoaded();
    if (!worker) throw new MediaError('no_worker', 'No media worker is available right now');
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs, appData: { worker, workerPid: worker.pid } });
    if (this.closed) {
      router.close();
      throw new MediaError('room_closed', 'The room closed');
    }
    const slot: RouterSlot = { router, consumers: 0, piped: new Set() };
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
    if (this.slots.length > 0) {
      // Piped before it is offered, so no viewer lands on a router without the streams.
      for (const producerId of this.producers.keys()) await this.pipe(producerId, slot);
      this.logger.info({ routers: this.slots.length + 1, workerPid: worker.pid }, 'room grew onto another router');
    }
    this.slots.push(slot);
    return slot;
  }

  private async pipe(producerId: string, slot: RouterSlot): Promise<void> {
    if (slot.piped.has(producerId)) return;
    slot.piped.add(producerId);
    await this.origin.pipeToRouter({ producerId, router: slot.router });
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('room_closed', 'The room closed');
  }
}
