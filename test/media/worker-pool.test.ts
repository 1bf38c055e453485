import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { routerMediaCodecs, type WorkerPool } from '../../media';
import { alive, createTestPool, waitFor } from '../support/media';

let pool: WorkerPool | undefined;
afterEach(() => pool?.close());

describe('WorkerPool', () => {
  it('starts one live worker process per slot', async () => {
    pool = await createTestPool(2);
    const { size, alive: count, workers } = pool.stats();
    expect({ size, count }).toEqual({ size: 2, count: 2 });
    expect(new Set(workers.map((w) => w.pid)).size).toBe(2);
    for (const w of workers) expect(alive(w.pid)).toBe(true);
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
});
