import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Which malloc a mediasoup worker runs on. glibc's keeps the pages a worker freed when its
 * viewers left (the 30-minute soak: 29.3 MiB RSS after everyone left, against 20.6 before anyone
 * joined; 23.3 even after malloc_trim, the rest most likely fragmentation); mimalloc hands
 * freed pages back by itself (a 3-minute soak: 23.1 against 21.3; the 30-minute soak: 23
 * against 21) at about the same worker CPU (README, soak).
 * `system`: whatever the C library's malloc is.
 */
export const workerAllocators = ['mimalloc', 'system'] as const;
export type WorkerAllocator = (typeof workerAllocators)[number];

/** The library preloaded into the worker, by soname so that ld.so finds it on any architecture. */
const preloads: Record<WorkerAllocator, string | undefined> = { mimalloc: 'libmimalloc.so.2', system: undefined };

/**
 * Runs `spawn` with LD_PRELOAD naming the allocator's library, so that the worker it starts,
 * and nothing else, loads it. mediasoup takes no environment per worker: it copies
 * process.env when it spawns, which `mediasoup.createWorker` does before its first await.
 * So the variable is set only for that synchronous call and restored at once; no other code
 * of this process runs in between. An allocator this process was itself started with is left
 * out, so that `system` means glibc's malloc whatever Lectern runs on.
 */
export function spawnWithAllocator<T>(allocator: WorkerAllocator, spawn: () => T): T {
  const before = process.env.LD_PRELOAD;
  const forWorker = [preloads[allocator], withoutAllocatorPreloads(before)].filter(Boolean).join(' ') || undefined;
  if (forWorker === before) return spawn();
  setPreload(forWorker);
  try {
    return spawn();
  } finally {
    setPreload(before);
  }
}

/** Sets or removes this process's LD_PRELOAD, which the children it starts afterwards inherit. */
export function setPreload(value: string | undefined): void {
  if (value === undefined) delete process.env.LD_PRELOAD;
  else process.env.LD_PRELOAD = value;
}

/** An allocator's library as LD_PRELOAD or a mapping may name it: by soname, or the file it links to. */
const allocatorLibrary = /^libmimalloc\.so(\.\d+)*$/;

/**
 * LD_PRELOAD without the allocators' libraries (undefined when nothing else is left). A process
 * started on mimalloc gives its children this, so that they start on the malloc they always
 * did, and each worker gets only the allocator its pool names.
 */
export function withoutAllocatorPreloads(ldPreload: string | undefined): string | undefined {
  // ld.so splits the list on spaces and colons.
  const entries = (ldPreload ?? '').split(/[\s:]+/).filter(Boolean);
  const rest = entries.filter((entry) => !allocatorLibrary.test(path.basename(entry)));
  // Unchanged, as given, when it names no allocator.
  if (rest.length === entries.length) return ldPreload || undefined;
  return rest.length ? rest.join(' ') : undefined;
}

/**
 * Throws unless process `pid` has the allocator's library mapped. A preload that ld.so cannot
 * find is only a line on the worker's stderr, and the worker runs on glibc's malloc instead,
 * so without this a missing package would pass unnoticed.
 */
export function verifyAllocator(pid: number, allocator: WorkerAllocator): void {
  const library = preloads[allocator];
  if (!library) return;
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot tell whether media worker ${pid} loaded ${library} (${(err as Error).message}); set MEDIASOUP_WORKER_ALLOCATOR=system`,
      { cause: err },
    );
  }
  // The mapping names the file the soname links to (libmimalloc.so.2.0), which starts the same.
  if (!maps.includes(`/${library}`))
    throw new Error(
      `media worker ${pid} did not load ${library}: install it (Debian: libmimalloc2.0) or set MEDIASOUP_WORKER_ALLOCATOR=system`,
    );
}
