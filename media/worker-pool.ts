import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import * as mediasoup from 'mediasoup';
import type { Router, TransportListenInfo, WebRtcServer, Worker, WorkerLogLevel } from 'mediasoup/types';
import type { MediaLogger } from './logger';
import { MediaError } from './media-error';
import { spawnWithAllocator, verifyAllocator, type WorkerAllocator } from './worker-allocator';

export interface WorkerPoolOptions {
  size: number;
  listenIp: string;
  announcedAddress?: string;
  /**
   * WebRTC port of the first worker: worker i takes UDP and TCP port rtcPort + i
   * for every one of its WebRTC transports. 0: each worker takes free ports
   * (from the internal range) when it starts, as tests running side by side need.
   */
  rtcPort: number;
  /** Ports for the transports that never face clients: pipes between workers and PlainTransports. */
  rtcMinPort: number;
  rtcMaxPort: number;
  /**
   * Receive and send buffer of each worker's WebRTC UDP socket, which every viewer's feedback
   * (transport-cc, receiver reports, NACKs, STUN) shares: a busy worker reads it in bursts.
   * The kernel caps it at net.core.rmem_max / wmem_max. 0 or unset: the kernel's default.
   */
  udpBufferBytes?: number;
  /** The malloc each worker runs on (worker-allocator.ts). */
  allocator: WorkerAllocator;
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

/** Where one worker's WebRtcServer listens: the ports to open in the firewall. */
export interface WorkerPorts {
  slot: number;
  pid: number;
  udp: number;
  tcp: number;
}

interface WorkerPoolEvents {
  workerdied: [{ slot: number; pid: number; error: Error }];
  workerreplaced: [{ slot: number; oldPid: number; pid: number }];
}

interface Slot {
  worker: Worker;
  webRtcServer: WebRtcServer;
  ports: { udp: number; tcp: number };
  routers: number;
}

/**
 * Owns the mediasoup workers: one per slot, normally one per core, each with
 * one WebRtcServer, so every WebRTC transport of a worker shares its one UDP
 * and one TCP port. A worker that dies is replaced in its slot, on the same
 * ports; routers on it are gone with it, and the `workerdied` event lets their
 * owners (rooms) rebuild elsewhere.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: Array<Slot | undefined>;
  private replaced = 0;
  private closed = false;

  private constructor(private readonly opts: WorkerPoolOptions) {
    super();
    this.slots = new Array<Slot | undefined>(opts.size).fill(undefined);
  }

  static async create(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    warnIfKernelCaps(opts);
    const started = await Promise.allSettled(pool.slots.map((_, slot) => pool.fill(slot)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      pool.close();
      throw failed.reason;
    }
    return pool;
  }

  /**
   * The listen info for PlainTransports (ingest, probes): the listen IP with a
   * port from the internal range. WebRTC transports use webRtcServer() instead.
   */
  listenInfo(protocol: 'udp' | 'tcp' = 'udp'): TransportListenInfo {
    return {
      protocol,
      ip: this.opts.listenIp,
      ...(this.opts.announcedAddress ? { announcedAddress: this.opts.announcedAddress } : {}),
      portRange: { min: this.opts.rtcMinPort, max: this.opts.rtcMaxPort },
    };
  }

  /** The listen info for the pipes between workers: loopback, internal range. */
  pipeListenInfo(): TransportListenInfo {
    return { protocol: 'udp', ip: '127.0.0.1', portRange: { min: this.opts.rtcMinPort, max: this.opts.rtcMaxPort } };
  }

  /** The WebRtcServer that a router on `worker` creates its WebRTC transports through. */
  webRtcServer(worker: Worker): WebRtcServer {
    const slot = this.slots.find((s) => s?.worker === worker);
    if (!slot || slot.webRtcServer.closed) throw new MediaError('no_worker', 'That media worker is gone');
    return slot.webRtcServer;
  }

  /** The live worker with the fewest routers, or undefined while every slot is respawning. */
  leastLoaded(exclude: ReadonlySet<Worker> = new Set()): Worker | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (!slot || exclude.has(slot.worker)) continue;
      if (!best || slot.routers < best.routers) best = slot;
    }
    return best?.worker;
  }

  get workers(): Worker[] {
    return this.slots.flatMap((s) => (s ? [s.worker] : []));
  }

  stats(): WorkerPoolStats {
    return {
      size: this.opts.size,
      alive: this.workers.length,
      replaced: this.replaced,
      workers: this.slots.flatMap((s, slot) => (s ? [{ slot, pid: s.worker.pid, routers: s.routers }] : [])),
    };
  }

  /** The UDP and TCP port of each live worker's WebRtcServer. */
  ports(): WorkerPorts[] {
    return this.slots.flatMap((s, slot) => (s ? [{ slot, pid: s.worker.pid, ...s.ports }] : []));
  }

  /** Closes every worker, and with them their WebRtcServers and routers. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) slot?.worker.close();
    this.slots.fill(undefined);
  }

  private async fill(index: number): Promise<Worker> {
    const allocator = this.opts.allocator;
    const worker = await spawnWithAllocator(allocator, () =>
      mediasoup.createWorker({
        logLevel: this.opts.logLevel ?? 'warn',
        // Any transport created without a port of its own (the recorder's
        // PlainTransports) draws from the internal range, never a WebRTC port.
        rtcMinPort: this.opts.rtcMinPort,
        rtcMaxPort: this.opts.rtcMaxPort,
        appData: { slot: index },
      }),
    );
    let webRtcServer: WebRtcServer;
    let ports: { udp: number; tcp: number };
    try {
      verifyAllocator(worker.pid, allocator);
      ({ webRtcServer, ports } = await this.listen(worker, index));
    } catch (err) {
      worker.close();
      throw err;
    }
    if (this.closed) {
      worker.close();
      throw new Error('worker pool closed while a worker was starting');
    }
    const slot: Slot = { worker, webRtcServer, ports, routers: 0 };
    this.slots[index] = slot;
    worker.observer.on('newrouter', (router: Router) => {
      slot.routers += 1;
      router.observer.once('close', () => (slot.routers -= 1));
    });
    worker.observer.once('close', () => {
      if (this.slots[index] === slot) this.slots[index] = undefined;
    });
    worker.on('died', (error) => this.onDied(index, slot, error));
    this.opts.logger.info({ slot: index, pid: worker.pid, allocator, ...ports }, 'mediasoup worker started');
    return worker;
  }

  private async listen(worker: Worker, slot: number): Promise<{ webRtcServer: WebRtcServer; ports: { udp: number; tcp: number } }> {
    const port = this.opts.rtcPort === 0 ? undefined : this.opts.rtcPort + slot;
    const buffer = this.opts.udpBufferBytes;
    const base = {
      ip: this.opts.listenIp,
      ...(this.opts.announcedAddress ? { announcedAddress: this.opts.announcedAddress } : {}),
      ...(port === undefined ? {} : { port }),
    };
    try {
      const webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ...base, ...(buffer ? { recvBufferSize: buffer, sendBufferSize: buffer } : {}) },
          { protocol: 'tcp', ...base },
        ],
        appData: { slot },
      });
      const dump = await webRtcServer.dump();
      return { webRtcServer, ports: { udp: dump.udpSockets[0]!.port, tcp: dump.tcpServers[0]!.port } };
    } catch (err) {
      const where = port === undefined ? 'a free port' : `port ${port}`;
      throw new Error(
        `media worker ${slot} cannot listen for WebRTC on ${this.opts.listenIp}, ${where} (UDP and TCP): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  private onDied(index: number, slot: Slot, error: Error): void {
    const pid = slot.worker.pid;
    this.opts.logger.error({ slot: index, pid, err: error }, 'mediasoup worker died; replacing it');
    if (this.slots[index] === slot) this.slots[index] = undefined;
    this.emit('workerdied', { slot: index, pid, error });
    void this.respawn(index, pid, this.opts.respawnDelayMs ?? 250);
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

/**
 * The kernel silently caps a socket's buffers at net.core.rmem_max / wmem_max (Debian's
 * default is 212992 bytes): said once at start, with what to raise, since the bigger
 * buffer is what keeps a busy worker from dropping its viewers' feedback.
 */
function warnIfKernelCaps(opts: WorkerPoolOptions): void {
  const wanted = opts.udpBufferBytes ?? 0;
  if (!wanted) return;
  for (const sysctl of ['rmem_max', 'wmem_max']) {
    let max: number;
    try {
      max = Number(readFileSync(`/proc/sys/net/core/${sysctl}`, 'utf8').trim());
    } catch {
      return; // not Linux, or /proc hidden: nothing to say
    }
    if (max < wanted)
      opts.logger.warn(
        { sysctl: `net.core.${sysctl}`, max, wanted },
        `the kernel caps the media workers' UDP buffers at net.core.${sysctl} = ${max} bytes: set it to ${wanted} (deploy/99-lectern.conf) or lower RTC_UDP_BUFFER_BYTES`,
      );
  }
}
