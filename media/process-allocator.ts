import { readFileSync } from 'node:fs';
import { setPreload, withoutAllocatorPreloads, type WorkerAllocator } from './worker-allocator';

/** The malloc a process runs on: one a worker may run on, or another preloaded one (jemalloc, tcmalloc). */
export type ProcessAllocator = WorkerAllocator | 'other';

/**
 * Which malloc process `pid` runs on, by the libraries it has mapped; null where /proc cannot
 * say. For Lectern's own Node process, which `npm start` and the systemd unit start on mimalloc.
 */
export function mappedAllocator(pid: number | 'self'): ProcessAllocator | null {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return null;
  }
  if (/\/libmimalloc\.so/.test(maps)) return 'mimalloc';
  if (/\/lib(jemalloc|tcmalloc\w*)\.so/.test(maps)) return 'other';
  return 'system';
}

/**
 * For a process started with an allocator preloaded (Lectern under `npm start`, the systemd
 * unit, the benchmarks, the demo): takes the allocators' libraries out of its LD_PRELOAD, so
 * that its children (ffmpeg, the embedded database, the slide renderer, a benchmark's browser
 * and viewers) start on the malloc they always did; each worker still gets its pool's
 * (spawnWithAllocator). Says which malloc the process runs on, and whether LD_PRELOAD named
 * mimalloc but ld.so did not load it (not installed: ld.so only says so on stderr).
 */
export function confineAllocatorPreload(): ConfinedPreload {
  const asked = process.env.LD_PRELOAD;
  const others = withoutAllocatorPreloads(asked);
  // withoutAllocatorPreloads gives a list naming no allocator back as it was (an empty one as undefined).
  const namedOne = others !== (asked || undefined);
  if (namedOne) setPreload(others);
  const runsOn = mappedAllocator('self');
  // Where /proc cannot say, there is nothing to warn about.
  return { runsOn, preloadNotLoaded: namedOne && runsOn !== null && runsOn !== 'mimalloc' };
}

export interface ConfinedPreload {
  runsOn: ProcessAllocator | null;
  preloadNotLoaded: boolean;
}

/** What confineAllocatorPreload found, in the words each entry point (Lectern, the demo, the benchmarks) says it. */
export function describePreload({ runsOn, preloadNotLoaded }: ConfinedPreload): { warn: boolean; message: string } {
  if (preloadNotLoaded)
    return {
      warn: true,
      message: "LD_PRELOAD named mimalloc but Node did not load it (Debian: install libmimalloc2.0); Node runs on the C library's malloc",
    };
  return {
    warn: false,
    message: `Node runs on ${runsOn === 'system' ? "the C library's malloc" : (runsOn ?? 'a malloc /proc does not name')}`,
  };
}
