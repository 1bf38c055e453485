import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { routerMediaCodecs, WorkerPool, type MediaLogger } from '../../media';
import { alive, createTestPool, freePortRun, portFree, waitFor } from '../support/media';

let pool: WorkerPool | undefined;
const extraPools: WorkerPool[] = [];
afterEach(() => {
  pool?.close();
  for (const p of extraPools.splice(0)) p.close();
});

/** What mediasoup itself reports for the worker's WebRtcServers: ids, sockets and transports. */
async function serversOf(p: WorkerPool, index: number) {
  const worker = p.workers[index]!;
  const ids = (await worker.dump()).webRtcServerIds;
  const server = p.webRtcServer(worker);
  const dump = await server.dump();
  return { ids, serverId: server.id, udp: dump.udpSockets, tcp: dump.tcpServers, transports: dump.webRtcTransportIds };
}

/** The kernel's receive and send buffer of the UDP socket bound to `port` (ss's rb and tb, in bytes). */
async function udpBuffers(port: number): Promise<{ rb: number; tb: number }> {
  const { stdout } = await promisify(execFile)('ss', ['-uamnH', `sport = :${port}`]);
  const rb = /rb(\d+)/.exec(stdout);
  const tb = /tb(\d+)/.exec(stdout);
  if (!rb || !tb) throw new Error(`no UDP socket on port ${port}: ${stdout}`);
  return { rb: Number(rb[1]), tb: Number(tb[1]) };
}

const sysctl = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim());

describe('WorkerPool', () => {
  it('starts one live worker process per slot', async () => {
    pool = await createTestPool(2);
    const { size, alive: count, workers } = pool.stats();
    expect({ size, count }).toEqual({ size: 2, count: 2 });
    expect(new Set(workers.map((w) => w.pid)).size).toBe(2);
    for (const w of workers) expect(alive(w.pid)).toBe(true);
  });

  it("gives each worker's WebRTC UDP socket the buffers asked for, says when the kernel caps them, and leaves the default at 0", async () => {
    const [rmemMax, wmemMax] = [sysctl('rmem_max'), sysctl('wmem_max')];
    const start = async (udpBufferBytes: number) => {
      const warnings: Array<{ sysctl?: string }> = [];
      const logger: MediaLogger = {
        info: () => undefined,
        warn: (o) => void warnings.push(o),
        error: () => undefined,
        child: () => logger,
      };
      const p = await WorkerPool.create({
        size: 1,
        listenIp: '127.0.0.1',
        rtcPort: 0,
        rtcMinPort: 41000,
        rtcMaxPort: 49999,
        udpBufferBytes,
        allocator: 'mimalloc',
        logger,
      });
      extraPools.push(p);
      return { buffers: await udpBuffers(p.ports()[0]!.udp), warned: warnings.map((w) => w.sysctl).sort() };
    };
    // Linux keeps twice what SO_RCVBUF / SO_SNDBUF ask, after capping the ask at rmem_max / wmem_max.
    const within = Math.min(1 << 20, rmemMax, wmemMax);
    expect(await start(within)).toEqual({ buffers: { rb: 2 * within, tb: 2 * within }, warned: [] });
    const above = Math.max(rmemMax, wmemMax) + 4096;
    expect(await start(above)).toEqual({
      buffers: { rb: 2 * rmemMax, tb: 2 * wmemMax },
      warned: ['net.core.rmem_max', 'net.core.wmem_max'],
    });
    expect((await start(0)).buffers).toEqual({ rb: sysctl('rmem_default'), tb: sysctl('wmem_default') });
  });

  it('runs each worker on mimalloc when asked, a replacement too, without preloading it into anything else', async () => {
    const preloadBefore = process.env.LD_PRELOAD;
    const maps = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8');
    pool = await createTestPool(2, { allocator: 'mimalloc' });
    expect(process.env.LD_PRELOAD).toBe(preloadBefore);
    for (const { pid } of pool.stats().workers) expect(maps(pid)).toContain('/libmimalloc.so.2');
    const replaced = once(pool, 'workerreplaced');
    process.kill(pool.stats().workers[0]!.pid, 'SIGKILL');
    const [event] = (await replaced) as [{ pid: number }];
    expect(maps(event.pid)).toContain('/libmimalloc.so.2');
    // A child this process starts afterwards gets no preload.
    const { stdout } = await promisify(execFile)('sh', ['-c', 'echo "[$LD_PRELOAD]"']);
    expect(stdout.trim()).toBe(`[${preloadBefore ?? ''}]`);

    const plain = await createTestPool(1, { allocator: 'system' });
    extraPools.push(plain);
    expect(maps(plain.stats().workers[0]!.pid)).not.toContain('mimalloc');
  });

  it("leaves mimalloc out of a `system` worker when Lectern's own process was started with it preloaded", async () => {
    const preloadBefore = process.env.LD_PRELOAD;
    // As `npm start` leaves it if nothing confined the preload, with another library beside it.
    process.env.LD_PRELOAD = 'libmimalloc.so.2 libm.so.6';
    try {
      pool = await createTestPool(1, { allocator: 'system' });
      const pid = pool.stats().workers[0]!.pid;
      expect(readFileSync(`/proc/${pid}/maps`, 'utf8')).not.toContain('mimalloc');
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('LD_PRELOAD=libm.so.6');
      expect(process.env.LD_PRELOAD).toBe('libmimalloc.so.2 libm.so.6');
    } finally {
      if (preloadBefore === undefined) delete process.env.LD_PRELOAD;
      else process.env.LD_PRELOAD = preloadBefore;
    }
  });

  it('places routers on the least-loaded worker', async () => {
    pool = await createTestPool(2);
    const a = await pool.leastLoaded()!.createRouter({ mediaCodecs: routerMediaCodecs });
    const b = await pool.leastLoaded()!.createRouter({ mediaCodecs: routerMediaCodecs });
    expect(pool.stats().workers.map((w) => w.routers)).toEqual([1, 1]);
    a.close();
    expect(
      pool
        .stats()
        .workers.map((w) => w.routers)
        .sort(),
    ).toEqual([0, 1]);
    b.close();
  });

  it('replaces a worker killed with SIGKILL', async () => {
    pool = await createTestPool(2);
    const victim = pool.stats().workers[0]!.pid;
    const replaced = once(pool, 'workerreplaced');
    process.kill(victim, 'SIGKILL');
    const [event] = (await replaced) as [{ oldPid: number; pid: number; slot: number }];
    expect(event.oldPid).toBe(victim);
    expect(event.pid).not.toBe(victim);
    expect(alive(event.pid)).toBe(true);
    const stats = pool.stats();
    expect(stats).toMatchObject({ size: 2, alive: 2, replaced: 1 });
    expect(stats.workers.map((w) => w.pid)).not.toContain(victim);
    // The replacement is a working worker.
    const router = await pool.workers.find((w) => w.pid === event.pid)!.createRouter({ mediaCodecs: routerMediaCodecs });
    expect(router.closed).toBe(false);
  });

  it('closes every worker process, and close() is safe twice', async () => {
    pool = await createTestPool(2);
    const pids = pool.stats().workers.map((w) => w.pid);
    pool.close();
    pool.close();
    await waitFor(() => (pids.every((pid) => !alive(pid)) ? true : undefined), 5000, 'worker processes to exit');
    expect(pool.stats().alive).toBe(0);
  });

  it('gives worker i one WebRtcServer on UDP and TCP port base + i, shared by all its WebRTC transports', async () => {
    const base = await freePortRun(2);
    pool = await createTestPool(2, { rtcPort: base });
    expect(pool.ports().map(({ slot, udp, tcp }) => ({ slot, udp, tcp }))).toEqual([
      { slot: 0, udp: base, tcp: base },
      { slot: 1, udp: base + 1, tcp: base + 1 },
    ]);
    for (const i of [0, 1]) {
      const s = await serversOf(pool, i);
      expect(s.ids).toEqual([s.serverId]);
      expect(s.udp).toEqual([{ ip: '127.0.0.1', port: base + i }]);
      expect(s.tcp).toEqual([{ ip: '127.0.0.1', port: base + i }]);
      expect(s.transports).toEqual([]);
    }
    // The ports are really held.
    expect(await portFree(base)).toBe(false);
    expect(await portFree(base + 1)).toBe(false);

    // Three transports on worker 0, one port: every candidate is base, UDP and TCP.
    const worker = pool.workers[0]!;
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
    const webRtcServer = pool.webRtcServer(worker);
    const transports = await Promise.all(
      [1, 2, 3].map(() => router.createWebRtcTransport({ webRtcServer, enableUdp: true, enableTcp: true })),
    );
    for (const t of transports) {
      expect(t.iceCandidates.map((c) => `${c.protocol}:${c.port}`).sort()).toEqual([`tcp:${base}`, `udp:${base}`]);
    }
    expect((await serversOf(pool, 0)).transports.sort()).toEqual(transports.map((t) => t.id).sort());
    router.close();
    expect((await serversOf(pool, 0)).transports).toEqual([]);
  });

  it("puts a replaced worker back on its slot's ports", async () => {
    const base = await freePortRun(2);
    pool = await createTestPool(2, { rtcPort: base });
    const victim = pool.stats().workers[0]!.pid;
    const replaced = once(pool, 'workerreplaced');
    process.kill(victim, 'SIGKILL');
    const [event] = (await replaced) as [{ slot: number; pid: number }];
    expect(event.slot).toBe(0);
    expect(pool.ports().find((p) => p.slot === 0)).toEqual({ slot: 0, pid: event.pid, udp: base, tcp: base });
    const index = pool.workers.findIndex((w) => w.pid === event.pid);
    const s = await serversOf(pool, index);
    expect(s.udp).toEqual([{ ip: '127.0.0.1', port: base }]);
    expect(s.tcp).toEqual([{ ip: '127.0.0.1', port: base }]);
  });

  it('with port 0 takes free ports from the internal range, so pools side by side never collide', async () => {
    pool = await createTestPool(2);
    extraPools.push(await createTestPool(2));
    const ports = [...pool.ports(), ...extraPools[0]!.ports()].flatMap((p) => [`udp:${p.udp}`, `tcp:${p.tcp}`]);
    expect(new Set(ports).size).toBe(8);
    for (const p of [...pool.ports(), ...extraPools[0]!.ports()]) {
      for (const port of [p.udp, p.tcp]) {
        expect(port).toBeGreaterThanOrEqual(41000);
        expect(port).toBeLessThanOrEqual(49999);
      }
    }
  });

  it("refuses to start when a worker's port is taken, naming the port, and leaves no worker behind", async () => {
    const base = await freePortRun(2);
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(base + 1, '127.0.0.1', resolve));
    try {
      await expect(createTestPool(2, { rtcPort: base })).rejects.toThrow(new RegExp(`media worker 1 cannot listen .*port ${base + 1}`));
      // Worker 0 started fine and was closed again: its port is free.
      await waitFor(async () => ((await portFree(base)) ? true : undefined), 5000, 'worker 0 to let its port go');
    } finally {
      squatter.close();
    }
  });
});
