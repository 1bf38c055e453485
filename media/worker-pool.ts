import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { Router, TransportListenInfo, Worker, WorkerLogLevel } from 'mediasoup/types';
import type { MediaLogger } from './logger';

export interface WorkerPoolOptions {
  size: number;
  listenIp: string;
  announcedAddress?: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  logger: MediaLogger;
  logLevel?: WorkerLogLevel;
  /** Delay before a dead worker's replacement starts; doubled on each failed try. */
  respawnDelayMs?: number;
}

export interface WorkerPoolStats {
  size: number;
  alive: number;
  replaced: number;
  workers: Array<{ slot: number; pid: number; routers: number }>;
}

interface WorkerPoolEvents {
  workerdied: [{ slot: number; pid: number; error: Error }];
  workerreplaced: [{ slot: number; oldPid: number; pid: number }];
}

/**
 * Owns the mediasoup workers: one per slot, normally one per core. A worker
 * that dies is replaced in its slot; routers on it are gone with it, and the
 * `workerdied` event lets their owners (rooms) rebuild elsewhere.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: Array<Worker | undefined>;
  private readonly routerCounts = new Map<Worker, number>();
  private replaced = 0;
  private closed = false;

  private constructor(private readonly opts: WorkerPoolOptions) {
    super();
    this.slots = new Array<Worker | undefined>(opts.size).fill(undefined);
  }

  static async create(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    try {
      await Promise.all(pool.slots.map((_, slot) => pool.fill(slot)));
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  /** The listen info for every transport this pool's routers create. */
  listenInfo(protocol: 'udp' | 'tcp' = 'udp'): TransportListenInfo {
    return {
      protocol,
      ip: this.opts.listenIp,
      ...(this.opts.announcedAddress ? { announcedAddress: this.opts.announcedAddress } : {}),
      portRange: { min: this.opts.rtcMinPort, max: this.opts.rtcMaxPort },
    };
  }

  /** The live worker with the fewest routers, or undefined while every slot is respawning. */
  leastLoaded(exclude: ReadonlySet<Worker> = new Set()): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.slots) {
      if (!worker || exclude.has(worker)) continue;
      if (!best || this.routerCount(worker) < this.routerCount(best)) best = worker;
    }
    return best;
  }

  get workers(): Worker[] {
    return this.slots.filter((w): w is Worker => w !== undefined);
  }

  stats(): WorkerPoolStats {
    return {
      size: this.opts.size,
      alive: this.workers.length,
      replaced: this.replaced,
      workers: this.slots.flatMap((w, slot) => (w ? [{ slot, pid: w.pid, routers: this.routerCount(w) }] : [])),
    };
  }

  /** Closes every worker, and with them their routers. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const worker of this.slots) worker?.close();
    this.slots.fill(undefined);
  }

  private routerCount(worker: Worker): number {
    return this.routerCounts.get(worker) ?? 0;
  }

  private async fill(slot: number): Promise<Worker> {
    const worker = await mediasoup.createWorker({
      logLevel: this.opts.logLevel ?? 'warn',
      appData: { slot },
    });
    if (this.closed) {
      worker.close();
      throw new Error('worker pool closed while a worker was starting');
    }
    this.slots[slot] = worker;
    this.routerCounts.set(worker, 0);
    worker.observer.on('newrouter', (router: Router) => {
      this.routerCounts.set(worker, this.routerCount(worker) + 1);
      router.observer.once('close', () => this.routerCounts.set(worker, Math.max(0, this.routerCount(worker) - 1)));
    });
    worker.observer.once('close', () => {
      this.routerCounts.delete(worker);
      if (this.slots[slot] === worker) this.slots[slot] = undefined;
    });
    worker.on('died', (error) => this.onDied(slot, worker, error));
    this.opts.logger.info({ slot, pid: worker.pid }, 'mediasoup worker started');
    return worker;
  }

  private onDied(slot: number, worker: Worker, error: Error): void {
    this.opts.logger.error({ slot, pid: worker.pid, err: error }, 'mediasoup worker died; replacing it');
    if (this.slots[slot] === worker) this.slots[slot] = undefined;
    this.emit('workerdied', { slot, pid: worker.pid, error });
    void this.respawn(slot, worker.pid, this.opts.respawnDelayMs ?? 250);
  }

  private async respawn(slot: number, oldPid: number, delayMs: number): Promise<void> {
    await new Promise((r) => setTimeout(r, delayMs));
    if (this.closed) return;
    try {
      const worker = await this.fill(slot);
      this.replaced += 1;
      this.emit('workerreplaced', { slot, oldPid, pid: worker.pid });
    } catch (err) {
      if (this.closed) return;
      this.opts.logger.error({ slot, err }, 'mediasoup worker replacement failed; retrying');
      void this.respawn(slot, oldPid, Math.min(delayMs * 2, 10_000));
    }
  }
}
