import { afterEach, describe, expect, it } from 'vitest';
import { confineAllocatorPreload, mappedAllocator } from '../../media/process-allocator';
import { spawnWithAllocator, withoutAllocatorPreloads } from '../../media/worker-allocator';

const preloadBefore = process.env.LD_PRELOAD;
afterEach(() => {
  if (preloadBefore === undefined) delete process.env.LD_PRELOAD;
  else process.env.LD_PRELOAD = preloadBefore;
});

describe("the allocators' preloads", () => {
  it('are taken out of LD_PRELOAD by soname or path, keeping every other library; a list without one is left as given', () => {
    expect(withoutAllocatorPreloads(undefined)).toBeUndefined();
    expect(withoutAllocatorPreloads('libmimalloc.so.2')).toBeUndefined();
    expect(withoutAllocatorPreloads('/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0:libfoo.so  /opt/libbar.so')).toBe(
      'libfoo.so /opt/libbar.so',
    );
    expect(withoutAllocatorPreloads('libmimalloc-debug.so:libfoo.so')).toBe('libmimalloc-debug.so:libfoo.so');
  });

  it('are confined to the process started with them: its LD_PRELOAD loses them, and it says whether the preload took', () => {
    // vitest runs on glibc's malloc: a preload named now is one that did not load.
    const runsOn = mappedAllocator('self');
    expect(runsOn).toBe('system');
    process.env.LD_PRELOAD = 'libmimalloc.so.2 libm.so.6';
    expect(confineAllocatorPreload()).toEqual({ runsOn, preloadNotLoaded: true });
    expect(process.env.LD_PRELOAD).toBe('libm.so.6');
    // Nothing asked for: nothing to say, and LD_PRELOAD as it was, an empty one too (a unit's opt-out).
    expect(confineAllocatorPreload()).toEqual({ runsOn, preloadNotLoaded: false });
    expect(process.env.LD_PRELOAD).toBe('libm.so.6');
    process.env.LD_PRELOAD = '';
    expect(confineAllocatorPreload()).toEqual({ runsOn, preloadNotLoaded: false });
    expect(process.env.LD_PRELOAD).toBe('');
    expect(mappedAllocator(2 ** 22 + 1)).toBeNull();
  });

  it("are restored when a worker's spawn throws", () => {
    process.env.LD_PRELOAD = 'libm.so.6';
    expect(() =>
      spawnWithAllocator('mimalloc', () => {
        expect(process.env.LD_PRELOAD).toBe('libmimalloc.so.2 libm.so.6');
        throw new Error('spawn failed');
      }),
    ).toThrow('spawn failed');
    expect(process.env.LD_PRELOAD).toBe('libm.so.6');
  });
});
