import * as mediasoup from 'mediasoup';
import type { Worker } from 'mediasoup/types';
import { describe, expect, it, vi } from 'vitest';
import { verifyAllocator } from '../../media/worker-allocator';
import { alive, createTestPool, waitFor } from '../support/media';

// What a machine without libmimalloc2.0 does: ld.so cannot preload it, says so on the worker's
// stderr, and the worker runs on glibc's malloc. Here the preload is simply not set.
vi.mock(import('../../media/worker-allocator'), async (original) => ({
  ...(await original()),
  spawnWithAllocator: <T>(_allocator: unknown, spawn: () => T): T => spawn(),
}));

describe('a worker without the allocator asked for', () => {
  it('stops the pool from starting, naming the package and the setting, and leaves no worker running', async () => {
    const started: Worker[] = [];
    const seen = (worker: Worker) => void started.push(worker);
    mediasoup.observer.on('newworker', seen);
    try {
      await expect(createTestPool(1, { allocator: 'mimalloc' })).rejects.toThrow(
        /did not load libmimalloc\.so\.2: install it \(Debian: libmimalloc2\.0\) or set MEDIASOUP_WORKER_ALLOCATOR=system/,
      );
    } finally {
      mediasoup.observer.off('newworker', seen);
    }
    expect(started).toHaveLength(1);
    await waitFor(() => (alive(started[0]!.pid) ? undefined : true), 5000, 'the refused worker to exit');
  });

  it('is not checked for the C library’s own malloc', async () => {
    const pool = await createTestPool(1, { allocator: 'system' });
    try {
      expect(pool.stats().alive).toBe(1);
      expect(() => verifyAllocator(pool.stats().workers[0]!.pid, 'system')).not.toThrow();
    } finally {
      pool.close();
    }
  });
});
