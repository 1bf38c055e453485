// What the soak samples: the Lectern process's memory (RSS, V8 heap as used and as retained after
// a full collection) and open files; the mediasoup worker's RSS and open files (/proc); mediasoup's
// objects three ways: those alive in this process (mediasoup.observer, counted from creation to
// 'close'), those the worker itself holds (worker.dump(), router.dump(): what would leak in C++),
// and those Lectern's own maps hold (RoomRegistry.totals(), the figures its /metrics gauges read).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as mediasoup from 'mediasoup';
import type { Producer, Router, Worker } from 'mediasoup/types';
import type { Lectern } from '../../server/main';
import { processCpuSeconds } from '../lib/machine';
import type { GcCounter, GcCounts } from './allocation';

const KINDS = [
  'workers',
  'webRtcServers',
  'routers',
  'transports',
  'producers',
  'consumers',
  'dataProducers',
  'dataConsumers',
  'rtpObservers',
] as const;
type Kind = (typeof KINDS)[number];

/** mediasoup objects alive in this process, and how many were ever made. Install before the first worker starts. */
export class MediasoupCensus {
  readonly alive = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  readonly created = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  readonly workers = new Set<Worker>();
  readonly routers = new Map<string, Router>();
  private readonly producers = new Map<string, Producer>();

  constructor() {
    const track = (kind: Kind, observer: { once(event: 'close', fn: () => void): unknown }) => {
      this.alive[kind]++;
      this.created[kind]++;
      observer.once('close', () => this.alive[kind]--);
    };
    mediasoup.observer.on('newworker', (worker) => {
      track('workers', worker.observer);
      this.workers.add(worker);
      worker.observer.once('close', () => this.workers.delete(worker));
      worker.observer.on('newwebrtcserver', (server) => track('webRtcServers', server.observer));
      worker.observer.on('newrouter', (router) => {
        track('routers', router.observer);
        this.routers.set(router.id, router);
        router.observer.once('close', () => this.routers.delete(router.id));
        router.observer.on('newrtpobserver', (o) => track('rtpObservers', o.observer));
        router.observer.on('newtransport', (transport) => {
          track('transports', transport.observer);
          transport.observer.on('newproducer', (p) => {
            track('producers', p.observer);
            this.producers.set(p.id, p);
            p.observer.once('close', () => this.producers.delete(p.id));
          });
          transport.observer.on('newconsumer', (c) => track('consumers', c.observer));
          transport.observer.on('newdataproducer', (p) => track('dataProducers', p.observer));
          transport.observer.on('newdataconsumer', (c) => track('dataConsumers', c.observer));
        });
      });
    });
  }

  /** A producer alive now, by id (the source's, to hand to the recorder). */
  producer(id: string): Producer {
    const p = this.producers.get(id);
    if (!p) throw new Error(`no producer ${id}`);
    return p;
  }
}

/** What the worker process itself holds: routers, transports, producers, consumers, request handlers. */
export async function workerHolds(worker: Worker, routers: ReadonlyMap<string, Router>) {
  const dump = await worker.dump();
  let transports = 0;
  let producers = 0;
  let consumers = 0;
  for (const routerId of dump.routerIds) {
    // A router the worker holds but this process closed would be a leak in itself: counted apart.
    const r = await routers.get(routerId)?.dump();
    if (!r) continue;
    transports += r.transportIds.length;
    producers += r.mapProducerIdConsumerIds.length;
    consumers += r.mapConsumerIdProducerId.length;
  }
  return {
    routers: dump.routerIds.length,
    routersUnknownHere: dump.routerIds.filter((id) => !routers.has(id)).length,
    transports,
    producers,
    consumers,
    requestHandlers: dump.channelMessageHandlers.channelRequestHandlers.length,
    notificationHandlers: dump.channelMessageHandlers.channelNotificationHandlers.length,
  };
}

export interface ProcessMemory {
  rssMiB: number | null;
  anonMiB: number | null;
}

/**
 * What glibc's allocator in a process counts (malloc_info): bytes of live allocations, and
 * bytes of its arenas it keeps free. Both are counted whole: the RSS holds only the pages of
 * either that were touched and not handed back.
 */
export interface MallocHeap {
  inUseMiB: number;
  freeMiB: number;
}

/**
 * A process's memory before and after its allocator was asked to return free pages, what its
 * allocator holds after that, and how long gdb held the process stopped; or why it could not be asked.
 */
export type MallocTrim =
  // stoppedMs and heap: absent in older results.
  { before: ProcessMemory; after: ProcessMemory; heap?: MallocHeap | null; stoppedMs?: number } | { before: ProcessMemory; error: string };

/**
 * glibc keeps the pages of what a process frees for its next allocations; the soak's worker on
 * glibc stayed about 8 MiB above its pre-join memory after everyone left. gdb calls
 * malloc_trim(0) in the process (the worker, or Lectern's own Node process), which hands every
 * free page back: what remains is what the process still holds. The growth and after-leave
 * figures are read before it; a worker stopped while gdb is attached (about half a second)
 * still carries the lecturer's stream to the recording.
 * gdb attaches to a process it did not start: with Yama's ptrace_scope at 1 or more, only root may.
 */
export async function trimMalloc(pid: number): Promise<MallocTrim> {
  const read = (): ProcessMemory => ({ rssMiB: kibToMib(statusKiB(pid, 'VmRSS')), anonMiB: kibToMib(statusKiB(pid, 'RssAnon')) });
  const before = read();
  const from = performance.now();
  const said = await askAllocator(pid, true);
  const stoppedMs = Math.round(performance.now() - from);
  if ('error' in said) return { before, error: said.error };
  return { before, after: read(), heap: said.heap, stoppedMs };
}

/** What a process's allocator holds, without trimming: for the figure before anyone joined. */
export async function mallocHeap(pid: number): Promise<MallocHeap | { error: string }> {
  const said = await askAllocator(pid, false);
  if ('error' in said) return said;
  return said.heap ?? { error: 'malloc_info wrote nothing that parses' };
}

/**
 * gdb calls malloc_trim(0) (when asked) and malloc_info in the process; malloc_info's XML is
 * parsed for its totals. The calls go in a command file so that malloc_info runs only on a
 * file that opened (given none, it would crash the process), and a signal inside a call is
 * unwound rather than left to kill the process once gdb detaches.
 */
async function askAllocator(pid: number, trim: boolean): Promise<{ heap: MallocHeap | null } | { error: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-malloc-'));
  const xml = path.join(dir, 'malloc.xml');
  const script = path.join(dir, 'calls.gdb');
  await writeFile(
    script,
    [
      'set unwindonsignal on',
      ...(trim ? ['printf "malloc_trim %d\\n", (int)malloc_trim(0)'] : []),
      `set $out = (void *)fopen("${xml}", "w")`,
      'if $out != 0',
      '  call (int)malloc_info(0, $out)',
      '  call (int)fclose($out)',
      'end',
    ].join('\n') + '\n',
  );
  try {
    const said = await promisify(execFile)('gdb', ['-p', String(pid), '-batch', '-x', script], { timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ stdout, stderr }),
      (err: Error & { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr || err.message }),
    );
    // malloc_trim's value: 1 (memory was released) or 0.
    if (trim && !/^malloc_trim [01]$/m.test(said.stdout)) {
      const why =
        said.stderr.split('\n').find((line) => /ptrace|not permitted|No such|not found/i.test(line)) ??
        said.stderr.trim().split('\n').pop();
      return { error: `gdb did not call malloc_trim: ${why ?? 'no output'}` };
    }
    const heap = parseMallocInfo(await readFile(xml, 'utf8').catch(() => ''));
    if (!heap && !trim) return { error: `malloc_info gave nothing: ${said.stderr.trim().split('\n').pop() ?? 'no output'}` };
    return { heap };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The totals after the last <heap> of malloc_info's XML: free chunks (fast bins and the rest), mmapped chunks, and what the arenas have from the system. */
export function parseMallocInfo(xml: string): MallocHeap | null {
  // Each arena (<heap>) has totals of its own; the process's follow the last one.
  const lastHeap = xml.lastIndexOf('</heap>');
  if (lastHeap < 0) return null;
  const tail = xml.slice(lastHeap);
  const size = (re: RegExp) => {
    const m = re.exec(tail);
    return m ? Number(m[1]) : null;
  };
  const fast = size(/<total type="fast" count="\d+" size="(\d+)"/);
  const rest = size(/<total type="rest" count="\d+" size="(\d+)"/);
  const mmap = size(/<total type="mmap" count="\d+" size="(\d+)"/);
  const system = size(/<system type="current" size="(\d+)"/);
  if (fast === null || rest === null || mmap === null || system === null) return null;
  const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 100) / 100;
  return { inUseMiB: mib(system - fast - rest + mmap), freeMiB: mib(fast + rest) };
}

function statusKiB(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function openFds(pid: number | 'self'): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** A full garbage collection, made available without --expose-gc (the bench runs under `node --import tsx`). */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

export interface Sample {
  /**
   * Seconds: pre-join samples since the bench started; the others since the churn started (the
   * second round's too, so that both rounds read on one clock).
   */
  t: number;
  /** second-round and second-leave: the second round, after the judged figures were read. */
  phase: 'pre-join' | 'churn' | 'after-leave' | 'second-round' | 'second-leave';
  joinedNow: number;
  loadAverage: number;
  /**
   * anonMiB and fileMiB: RssAnon and RssFile, as for the worker; v8MiB: the pages of V8's heap
   * in memory (physical_space_size over its spaces), part of anonMiB. Absent in older results.
   */
  node: {
    rssMiB: number;
    heapUsedMiB: number;
    heapRetainedMiB: number;
    externalMiB: number;
    fds: number | null;
    anonMiB?: number | null;
    fileMiB?: number | null;
    v8MiB?: number;
    /** v8MiB by V8's space (new_space, old_space, code_space, ...); absent in older results. */
    v8SpacesMiB?: Record<string, number>;
    /** Collections V8 started itself since the previous sample or the start of its phase (bench/soak/allocation.ts); absent in older results. */
    gc?: GcCounts;
  };
  /** anonMiB: RssAnon (the heap and other allocations); fileMiB: RssFile (code and libraries paged in). Absent in older results. */
  worker: { rssMiB: number | null; anonMiB?: number | null; fileMiB?: number | null; fds: number | null };
  databaseRssMiB: number | null;
  /** Alive in Lectern's process (mediasoup.observer). */
  mediasoup: Record<Kind, number>;
  /** Held by the worker process (dump). */
  workerHolds: Awaited<ReturnType<typeof workerHolds>> | null;
  /** Held by Lectern's own maps (what /metrics reads). */
  app: Awaited<ReturnType<Lectern['rooms']['totals']>>;
  /** CPU seconds used so far by Lectern's Node process, the worker and FerretDB (differences give each one's share). */
  cpuSeconds: { node: number; worker: number | null; database: number | null };
  /** The seminar's main recorder: its state, and ffmpeg restarts so far. */
  recorder: { state: string; restarts: number };
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const kibToMib = (kib: number | null) => (kib === null ? null : Math.round((kib / 1024) * 10) / 10);

export async function sample(
  app: Lectern,
  census: MediasoupCensus,
  t: number,
  phase: Sample['phase'],
  joinedNow: number,
  loadAverage: number,
  gc: GcCounter,
): Promise<Sample> {
  // Read together, before the collection below, as the RSS is.
  const m = process.memoryUsage();
  const anon = kibToMib(statusKiB(process.pid, 'RssAnon'));
  const file = kibToMib(statusKiB(process.pid, 'RssFile'));
  const spaces = getHeapSpaceStatistics();
  const v8 = mib(spaces.reduce((sum, space) => sum + space.physical_space_size, 0));
  const collections = gc.take();
  collectGarbage();
  const retained = process.memoryUsage().heapUsed;
  const worker = [...census.workers][0];
  const dbPid = app.embeddedDb?.pid;
  return {
    t: Math.round(t),
    phase,
    joinedNow,
    loadAverage,
    node: {
      rssMiB: mib(m.rss),
      heapUsedMiB: mib(m.heapUsed),
      heapRetainedMiB: mib(retained),
      externalMiB: mib(m.external),
      fds: openFds('self'),
      anonMiB: anon,
      fileMiB: file,
      v8MiB: v8,
      v8SpacesMiB: Object.fromEntries(spaces.map((space) => [space.space_name, mib(space.physical_space_size)])),
      gc: collections,
    },
    worker: worker
      ? {
          rssMiB: kibToMib(statusKiB(worker.pid, 'VmRSS')),
          anonMiB: kibToMib(statusKiB(worker.pid, 'RssAnon')),
          fileMiB: kibToMib(statusKiB(worker.pid, 'RssFile')),
          fds: openFds(worker.pid),
        }
      : { rssMiB: null, fds: null },
    databaseRssMiB: dbPid !== undefined ? kibToMib(statusKiB(dbPid, 'VmRSS')) : null,
    mediasoup: { ...census.alive },
    workerHolds: worker ? await workerHolds(worker, census.routers).catch(() => null) : null,
    app: await app.rooms.totals(),
    cpuSeconds: {
      node: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      worker: processCpuSeconds(worker?.pid) ?? null,
      database: processCpuSeconds(dbPid) ?? null,
    },
    recorder: { state: app.recorder.status().recorders.find((r) => r.kind === 'main')?.state ?? 'none', restarts: app.recorder.restarts },
  };
}
