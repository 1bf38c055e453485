// Where this process allocates, and how often V8's young generation fills. V8 keeps its young
// generation at the size the churn grew it to while allocation goes on above a threshold, even
// through full collections (between 0.46 and 1.0 MiB/s: bench/soak/young-generation.ts), so what Node
// allocates with nobody in the room decides whether its RSS comes back. Two instruments:
// - GcCounter: collections V8 started itself (forced ones, the soak's own, left out) since the
//   last read, by kind, and their pause time;
// - profileAllocations: V8's sampling heap profiler with the objects the collections freed kept,
//   i.e. every allocation site, garbage included, summed by function and file.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface GcCounts {
  minor: number;
  major: number;
  pauseMs: number;
  /** Over how long they were counted; absent in the first runs that counted. */
  seconds?: number;
}

export class GcCounter {
  private counts: GcCounts = { minor: 0, major: 0, pauseMs: 0 };
  private since = performance.now();
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as PerformanceEntry & { detail?: { kind: number; flags: number } }).detail;
      // Forced: the soak's own gc(); all available garbage: a heap snapshot's or a memory-pressure collection.
      if (
        !detail ||
        detail.flags & (constants.NODE_PERFORMANCE_GC_FLAGS_FORCED | constants.NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE)
      )
        continue;
      // Incremental marking's steps are counted in the pause only: the major collection that ends them is counted once.
      if (detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) this.counts.minor++;
      else if (detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.counts.major++;
      this.counts.pauseMs += entry.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** What was counted since the last call. */
  take(): GcCounts {
    const now = performance.now();
    const c = { ...this.counts, pauseMs: Math.round(this.counts.pauseMs * 10) / 10, seconds: Math.round((now - this.since) / 100) / 10 };
    this.counts = { minor: 0, major: 0, pauseMs: 0 };
    this.since = now;
    return c;
  }

  close(): void {
    this.observer.disconnect();
  }
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

export interface AllocationSite {
  site: string;
  mib: number;
}

/** Samples allocations for `seconds`, writes V8's profile to `file` when given and returns the top sites by bytes allocated. */
export async function profileAllocations(seconds: number, file?: string, top = 25): Promise<{ totalMiB: number; sites: AllocationSite[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
    if (file) await writeFile(file, JSON.stringify(profile));
    const bySite = new Map<string, number>();
    const walk = (n: ProfileNode) => {
      const f = n.callFrame;
      const site = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|media|bench)\//, '$1/')}:${f.lineNumber + 1}`;
      bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
      n.children.forEach(walk);
    };
    walk(profile.head);
    const total = [...bySite.values()].reduce((a, b) => a + b, 0);
    const mib = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
    const sites = [...bySite.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([site, bytes]) => ({ site, mib: mib(bytes) }));
    return { totalMiB: mib(total), sites };
  } finally {
    session.disconnect();
  }
}
