// The soak's verdict and table, from its samples: for each figure, the median of the samples just
// after the warm-up (the baseline) against the median of the last window, and the figure once
// everyone has left against the one before anyone joined.
import { isMain, reportFromResults } from '../lib/readme-block';
import type { AudienceStats, SessionRecord } from './audience';
import type { AllocationSite } from './allocation';
import type { MallocHeap, MallocTrim, Sample } from './probes';

export interface Figure {
  name: string;
  unit: string;
  read(s: Sample): number | null;
  /** Counts must come back exactly; memory within the same 10 %. */
  exact: boolean;
}

export const FIGURES: Figure[] = [
  { name: 'Node RSS', unit: 'MiB', read: (s) => s.node.rssMiB, exact: false },
  { name: 'Node heap retained (after a full GC)', unit: 'MiB', read: (s) => s.node.heapRetainedMiB, exact: false },
  { name: 'mediasoup worker RSS', unit: 'MiB', read: (s) => s.worker.rssMiB, exact: false },
  { name: 'Node open fds', unit: '', read: (s) => s.node.fds, exact: false },
  { name: 'worker open fds', unit: '', read: (s) => s.worker.fds, exact: false },
  { name: 'routers (mediasoup objects in Node)', unit: '', read: (s) => s.mediasoup.routers, exact: true },
  { name: 'transports (mediasoup objects in Node)', unit: '', read: (s) => s.mediasoup.transports, exact: true },
  { name: 'producers (mediasoup objects in Node)', unit: '', read: (s) => s.mediasoup.producers, exact: true },
  { name: 'consumers (mediasoup objects in Node)', unit: '', read: (s) => s.mediasoup.consumers, exact: true },
  { name: 'transports held by the worker', unit: '', read: (s) => s.workerHolds?.transports ?? null, exact: true },
  { name: 'consumers held by the worker', unit: '', read: (s) => s.workerHolds?.consumers ?? null, exact: true },
  { name: "worker's channel request handlers", unit: '', read: (s) => s.workerHolds?.requestHandlers ?? null, exact: true },
  { name: "Lectern's rooms: transports", unit: '', read: (s) => s.app.transports, exact: true },
  { name: "Lectern's rooms: consumers", unit: '', read: (s) => s.app.consumers, exact: true },
];

/**
 * V8's own count of its heap's pages in memory (physical_space_size over its spaces: the pages it
 * has touched and not handed back, not read from /proc), and Node's anonymous memory less that.
 */
export const V8_PAGES = "Node RSS: V8's heap (pages in memory)";
export const OUTSIDE_V8 = "Node RSS: anonymous outside V8's heap (malloc, stacks)";
/** V8 grows it under allocation and shrinks it only once allocation falls below a threshold (bench/soak/young-generation.ts measures it). */
export const YOUNG_GENERATION = "Node RSS: V8's young generation (of V8's heap)";

/** Shown for context, not judged: they swing with the collector, or belong to another process. */
export const CONTEXT: Figure[] = [
  { name: 'Node heapUsed (as sampled)', unit: 'MiB', read: (s) => s.node.heapUsedMiB, exact: false },
  { name: 'FerretDB RSS', unit: 'MiB', read: (s) => s.databaseRssMiB, exact: false },
  { name: 'worker RSS: anonymous (heap)', unit: 'MiB', read: (s) => s.worker.anonMiB ?? null, exact: false },
  { name: 'worker RSS: file-backed (code paged in)', unit: 'MiB', read: (s) => s.worker.fileMiB ?? null, exact: false },
  { name: V8_PAGES, unit: 'MiB', read: (s) => s.node.v8MiB ?? null, exact: false },
  {
    name: OUTSIDE_V8,
    unit: 'MiB',
    read: (s) => (s.node.anonMiB == null || s.node.v8MiB === undefined ? null : Math.round((s.node.anonMiB - s.node.v8MiB) * 10) / 10),
    exact: false,
  },
  { name: 'Node RSS: file-backed (code paged in)', unit: 'MiB', read: (s) => s.node.fileMiB ?? null, exact: false },
  { name: YOUNG_GENERATION, unit: 'MiB', read: (s) => s.node.v8SpacesMiB?.new_space ?? null, exact: false },
];

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const round = (n: number | null, d = 1) => (n === null ? null : Math.round(n * 10 ** d) / 10 ** d);

export interface Windows {
  /** [from, to] seconds since the soak started. */
  baseline: [number, number];
  last: [number, number];
}

export interface FigureResult {
  name: string;
  unit: string;
  judged: boolean;
  preJoin: number | null;
  baseline: number | null;
  last: number | null;
  max: number | null;
  growthPct: number | null;
  afterLeave: number | null;
  afterLeaveVsPreJoinPct: number | null;
  grewUnder10Pct: boolean | null;
  returned: boolean | null;
}

export function judge(samples: Sample[], windows: Windows, limitPct = 10): FigureResult[] {
  const inWindow = (s: Sample, [a, b]: [number, number]) => s.phase === 'churn' && s.t >= a && s.t <= b;
  const values = (f: Figure, keep: (s: Sample) => boolean) =>
    samples.filter(keep).flatMap((s) => {
      const v = f.read(s);
      return v === null ? [] : [v];
    });
  return [...FIGURES.map((f) => ({ f, judged: true })), ...CONTEXT.map((f) => ({ f, judged: false }))].map(({ f, judged }) => {
    const preJoin = median(values(f, (s) => s.phase === 'pre-join'));
    const baseline = median(values(f, (s) => inWindow(s, windows.baseline)));
    const last = median(values(f, (s) => inWindow(s, windows.last)));
    const churn = values(f, (s) => s.phase === 'churn');
    const afterLeave = median(values(f, (s) => s.phase === 'after-leave'));
    const growthPct = baseline !== null && last !== null && baseline !== 0 ? (100 * (last - baseline)) / baseline : null;
    const vsPre = preJoin !== null && afterLeave !== null && preJoin !== 0 ? (100 * (afterLeave - preJoin)) / preJoin : null;
    return {
      name: f.name,
      unit: f.unit,
      judged,
      preJoin: round(preJoin),
      baseline: round(baseline),
      last: round(last),
      max: churn.length ? Math.max(...churn) : null,
      growthPct: round(growthPct),
      afterLeave: round(afterLeave),
      afterLeaveVsPreJoinPct: round(vsPre),
      grewUnder10Pct: growthPct === null ? null : growthPct < limitPct,
      returned:
        afterLeave === null || preJoin === null ? null : f.exact ? afterLeave === preJoin : afterLeave <= preJoin * (1 + limitPct / 100),
    };
  });
}

export interface SessionSummary {
  sessions: number;
  withoutFrames: number;
  frameRatio: { worst: number | null; p5: number | null; median: number | null };
  videoLossPct: { worst: number | null; p95: number | null };
  firstFrameMs: { p50: number | null; p95: number | null; max: number | null };
  /** Viewers (of all) that had at least one session checked, and those whose every session got frames. */
  viewersChecked: number;
  viewersAlwaysGotFrames: number;
}

/** Sessions shorter than this are not judged on their frame ratio (the stop cut them short). */
const MIN_WATCHED_SECONDS = 5;

export function summariseSessions(list: SessionRecord[]): SessionSummary {
  const judged = list.filter((s) => s.watchedSeconds >= MIN_WATCHED_SECONDS);
  const ratios = judged.map((s) => s.frameRatio);
  const byViewer = new Map<number, SessionRecord[]>();
  for (const s of list) byViewer.set(s.viewer, [...(byViewer.get(s.viewer) ?? []), s]);
  const first = list.map((s) => s.firstFrameMs);
  return {
    sessions: list.length,
    withoutFrames: list.filter((s) => s.framesDecodable === 0).length,
    frameRatio: {
      worst: round(ratios.length ? Math.min(...ratios) : null, 3),
      p5: round(percentile(ratios, 5), 3),
      median: round(median(ratios), 3),
    },
    videoLossPct: {
      worst: round(list.length ? Math.max(...list.map((s) => s.videoLossPct)) : null, 2),
      p95: round(
        percentile(
          list.map((s) => s.videoLossPct),
          95,
        ),
        2,
      ),
    },
    firstFrameMs: {
      p50: round(percentile(first, 50), 0),
      p95: round(percentile(first, 95), 0),
      max: round(first.length ? Math.max(...first) : null, 0),
    },
    viewersChecked: byViewer.size,
    viewersAlwaysGotFrames: [...byViewer.values()].filter((l) => l.every((s) => s.framesDecodable > 0)).length,
  };
}

export interface RecordingCheck {
  recordingId: string | null;
  status: string | null;
  playlist: string | null;
  segments: number | null;
  /** ffprobe's reading of the playlist. */
  probedSeconds: number | null;
  streams: string[];
  /** Frames ffprobe decoded from the last segment. */
  lastSegmentFrames: number | null;
  liveSeconds: number;
  error?: string;
}

/** Everyone back for a while after the judged figures, and gone again (absent in older results). */
export interface SecondRound {
  seconds: number;
  joins: number;
  joinFailures: number;
  sessions: SessionSummary;
  workerTrim: MallocTrim | null;
}

export type AllocationProfiles = Partial<
  Record<'pre-join' | 'after-leave', { seconds: number; totalMiB: number; sites: AllocationSite[] }>
>;

export interface SoakResult {
  benchmark: 'soak';
  date: string;
  machine: { nproc: number; cpuModel: string; memoryGiB: number; kernel: string; node: string };
  database: string;
  mediasoup: string;
  source: { commit: string; uncommittedFiles: number } | undefined;
  settings: Record<string, number>;
  minutes: number;
  windows: Windows;
  load: { before: number[]; during: { min: number; mean: number; max: number }; after: number[] };
  figures: FigureResult[];
  audience: Omit<AudienceStats, 'sessions'>;
  sessions: SessionSummary;
  recording: RecordingCheck;
  /**
   * The worker's malloc: MEDIASOUP_WORKER_ALLOCATOR, or what a comparison run preloaded
   * (bench/soak/allocators.ts). Absent in older results, which ran on glibc's. Only glibc's
   * is trimmed and counted through gdb.
   */
  workerAllocator?: string;
  /**
   * Seconds the samples of each quiet phase waited for Node's RSS to settle after a full GC
   * (absent in older results, whose samples did not wait).
   */
  rssSettledSeconds?: Partial<Record<Sample['phase'], number>>;
  /** Phases whose samples were read after 2 minutes of waiting although Node's RSS still moved. */
  rssUnsettled?: Sample['phase'][];
  /** Read after the judged samples (absent in older results). */
  workerTrim?: MallocTrim | null;
  /** What the worker's allocator held before anyone joined (absent in older results). */
  workerHeapBefore?: MallocHeap | null;
  /** The malloc Lectern's own Node process ran on: `system` (glibc's), or one a run preloaded (absent in older results). */
  nodeAllocator?: string;
  /** Lectern's own process on glibc's malloc, trimmed after the judged samples (absent in older results). */
  nodeTrim?: MallocTrim | null;
  nodeHeapBefore?: MallocHeap | null;
  secondRound?: SecondRound | null;
  /** A profiled run's (SOAK_ALLOCATION_PROFILES): what Node allocated with nobody in the room (absent in other and older results). */
  allocationProfiles?: AllocationProfiles;
  targetsMet: { growth: boolean; returned: boolean; frames: boolean; recording: boolean };
  samples: Sample[];
}

/**
 * Whether the worker ran on glibc's malloc, the only one malloc_trim and malloc_info reach.
 * Another (mimalloc) gives freed pages back itself, so it is neither trimmed nor asked through gdb.
 */
export const onGlibc = (r: Pick<SoakResult, 'workerAllocator'>) => r.workerAllocator === undefined || r.workerAllocator === 'system';

export const cell = (v: number | null, unit = '') => (v === null ? '–' : `${v}${unit ? ` ${unit}` : ''}`);
export const pct = (v: number | null) => (v === null ? '–' : `${v > 0 ? '+' : ''}${v} %`);

export function renderMarkdown(r: SoakResult): string {
  const m = r.machine;
  const w = r.windows;
  const lines = [
    `Soak, ${r.date.slice(0, 16).replace('T', ' ')} UTC: **${r.minutes} min** of churn, ${r.settings.viewers} viewers each coming and going about every ${r.settings.cycleSeconds} s; ` +
      `${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node.replace(/^v/, '')}, mediasoup ${r.mediasoup} (worker on ${onGlibc(r) ? "glibc's malloc" : r.workerAllocator}${r.nodeAllocator && r.nodeAllocator !== 'system' ? `, Node on ${r.nodeAllocator}` : ''}), ${r.database}; ` +
      `load average ${r.load.before.join(' ')} before, ${r.load.during.min}–${r.load.during.max} (mean ${r.load.during.mean}) during.`,
    '',
    `| figure | before anyone joined | baseline (t = ${w.baseline[0]}–${w.baseline[1]} s) | last window (t = ${w.last[0]}–${w.last[1]} s) | max | growth | < 10 % | after everyone left | vs before | back |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |',
    ...withContextAdded(r).map(
      (f) =>
        `| ${f.judged ? f.name : `${f.name} (not judged)`} | ${cell(f.preJoin, f.unit)} | ${cell(f.baseline, f.unit)} | ${cell(f.last, f.unit)} | ${cell(f.max, f.unit)} | ${pct(f.growthPct)} | ${f.judged ? (f.grewUnder10Pct === null ? '–' : f.grewUnder10Pct ? 'yes' : '**no**') : ''} | ${cell(f.afterLeave, f.unit)} | ${pct(f.afterLeaveVsPreJoinPct)} | ${f.judged ? (f.returned === null ? '–' : f.returned ? 'yes' : '**no**') : ''} |`,
    ),
    '',
    `- Audience: ${r.audience.joins} joins and ${r.audience.leaves} leaves (${r.audience.joinFailures} joins failed${r.audience.joinErrors.length ? `: ${r.audience.joinErrors.join(' | ')}` : ''}); ` +
      `every session checked as it left: ${r.sessions.sessions} sessions, ${r.sessions.withoutFrames} without a decodable frame; ${r.sessions.viewersAlwaysGotFrames} of ${r.sessions.viewersChecked} viewers got frames in every session; ` +
      `frames received / sent by the source (sessions ≥ 5 s): worst ${cell(r.sessions.frameRatio.worst)}, 5th percentile ${cell(r.sessions.frameRatio.p5)}, median ${cell(r.sessions.frameRatio.median)}; ` +
      `video loss worst ${cell(r.sessions.videoLossPct.worst, '%')}; join → first frame p50 / p95 / max ${r.sessions.firstFrameMs.p50} / ${r.sessions.firstFrameMs.p95} / ${r.sessions.firstFrameMs.max} ms.`,
    `- Chat: ${r.audience.chat.sent} messages sent (${r.audience.chat.refused} refused${r.audience.chat.firstError ? `: ${r.audience.chat.firstError}` : ''}), ${r.audience.chat.received} deliveries. ` +
      `Heartbeats: ${r.audience.heartbeats.sent} sent, ${r.audience.heartbeats.accepted} accepted (${r.audience.heartbeats.failed} failed${r.audience.heartbeats.firstError ? `: ${r.audience.heartbeats.firstError}` : ''}).`,
    `- Recording: ${r.recording.error ? `**${r.recording.error}**` : `${r.recording.status}, ${r.recording.segments} segments; ffprobe reads the playlist as ${r.recording.probedSeconds} s (${r.recording.streams.join(', ')}) for ${r.recording.liveSeconds} s live; the last segment decodes to ${r.recording.lastSegmentFrames} frames`}.`,
    `- Growth = (median of the last window − median of the baseline window) / baseline; the baseline starts after one full cycle (everyone has joined once). "After everyone left": ${r.settings.drainSeconds} s after the last viewer left and a full GC${r.rssSettledSeconds ? `, then a full GC every 10 s until Node's RSS moved less than 2 % in 10 s (${r.rssSettledSeconds['after-leave'] ?? '–'} s; ${r.rssSettledSeconds['pre-join'] ?? '–'} s before anyone joined, after the same wait)${r.rssUnsettled?.length ? `; **not settled within 2 minutes: ${r.rssUnsettled.join(', ')}**` : ''}` : ''}, against the same figures before anyone joined; counts must be back exactly, memory within 10 %.`,
    ...collectionsLine(r),
    ...trimLine(r, 'worker'),
    ...trimLine(r, 'node'),
    ...secondRoundLine(r),
    ...allocationLine(r),
    `- Targets: growth < 10 % for every judged figure: ${r.targetsMet.growth ? 'met' : '**not met**'}; back to the pre-join figures after everyone left: ${r.targetsMet.returned ? 'met' : '**not met**'}; every session got frames: ${r.targetsMet.frames ? 'yes' : '**no**'}; recording playable: ${r.targetsMet.recording ? 'yes' : '**no**'}.`,
  ];
  return lines.join('\n');
}

/** A profiled run's allocation with nobody in the room: the rate and the three largest sites, per phase. */
export function allocationLine(r: Pick<SoakResult, 'allocationProfiles'>): string[] {
  const phases = Object.entries(r.allocationProfiles ?? {});
  if (phases.length === 0) return [];
  const phase = ([name, p]: (typeof phases)[number]) => {
    const top = p.sites.slice(0, 3).map((x) => `${x.site} ${x.mib}`);
    return `${name} ${round(p.totalMiB / p.seconds, 2)} MiB/s (${p.totalMiB} MiB in ${p.seconds} s${top.length ? `; ${top.join(', ')}` : ''})`;
  };
  return [`- Allocated by Node with nobody in the room, under V8's sampling profiler: ${phases.map(phase).join('; ')}.`];
}

/**
 * How often V8 collected on its own in each phase, scavenges of its young generation and full
 * collections (the soak's forced ones left out), and the share of time they paused Node: what a
 * larger or smaller young generation trades against memory.
 */
export function collectionsLine(r: Pick<SoakResult, 'samples'>): string[] {
  const counted = r.samples.flatMap((s, i) => {
    const prev = r.samples[i - 1];
    // The first runs that counted kept no interval and began no phase's count afresh: their
    // first sample of each phase counted what came before it (start-up, the audience's coming
    // and going, the settle wait), so it is left out, and the others read the interval from the
    // previous sample of the same phase (one clock within a phase).
    const seconds = s.node.gc?.seconds ?? (prev?.phase === s.phase ? s.t - prev.t : null);
    return s.node.gc && seconds && seconds > 0 ? [{ phase: s.phase, gc: s.node.gc, seconds }] : [];
  });
  if (!counted.length) return [];
  const rate = (phase: Sample['phase']) => {
    const of = counted.filter((c) => c.phase === phase);
    const seconds = of.reduce((a, c) => a + c.seconds, 0);
    if (!seconds) return '–';
    const minor = of.reduce((a, c) => a + c.gc.minor, 0);
    const major = of.reduce((a, c) => a + c.gc.major, 0);
    const pause = of.reduce((a, c) => a + c.gc.pauseMs, 0);
    return `${round((minor * 60) / seconds)} scavenges and ${round((major * 60) / seconds)} full collections a minute, pausing ${round((100 * pause) / (seconds * 1000), 2)} % of the time`;
  };
  return [
    `- V8's own collections in the first round (the soak's forced ones left out): before anyone joined ${rate('pre-join')}; in the churn ${rate('churn')}; after everyone left ${rate('after-leave')}.`,
  ];
}

/**
 * The figures the run judged, with the context rows added since (judged again from its samples)
 * after them; the judged rows stay as the run judged them, so that they agree with its targets.
 */
function withContextAdded(r: Pick<SoakResult, 'figures' | 'samples' | 'windows'>): FigureResult[] {
  const added = judge(r.samples, r.windows).filter((f) => !f.judged && !r.figures.some((g) => g.name === f.name));
  return [...r.figures, ...added];
}

/** A process's memory once its allocator handed back the pages it kept free, against the pre-join figures. */
function trimLine(r: SoakResult, who: 'worker' | 'node'): string[] {
  const t = who === 'worker' ? r.workerTrim : r.nodeTrim;
  if (!t) return [];
  const memory = (s: Sample) => (who === 'worker' ? s.worker : s.node);
  const pre = r.samples.filter((s) => s.phase === 'pre-join');
  const preRss = median(pre.map((s) => memory(s).rssMiB).filter((v): v is number => v !== null));
  const preAnon = median(pre.map((s) => memory(s).anonMiB).filter((v): v is number => v !== null && v !== undefined));
  const name = who === 'worker' ? "The worker's" : "Lectern's Node process's";
  const intro = `- ${name} memory after everyone left, once its allocator was asked to return free pages (gdb calls \`malloc_trim(0)\` in it, after the judged samples)`;
  if ('error' in t) return [`${intro}: not read (${t.error}).`];
  const allocator = (h: MallocHeap | null | undefined) => (h ? `${h.inUseMiB} MiB in use, ${h.freeMiB} MiB free` : '–');
  const before = who === 'worker' ? r.workerHeapBefore : r.nodeHeapBefore;
  const held =
    t.heap === undefined
      ? ''
      : ` glibc's allocator (malloc_info) then counted ${allocator(t.heap)}; before anyone joined ${allocator(before)}.`;
  return [
    `${intro}: RSS ${cell(t.before.rssMiB, 'MiB')} → ${cell(t.after.rssMiB, 'MiB')}, anonymous ${cell(t.before.anonMiB, 'MiB')} → ${cell(t.after.anonMiB, 'MiB')}; before anyone joined ${cell(preRss, 'MiB')} and ${cell(preAnon, 'MiB')}${t.stoppedMs === undefined ? '' : ` (gdb held it stopped ${t.stoppedMs} ms)`}.${held}`,
  ];
}

/**
 * What a second round left on top of the first, per 1,000 joins so that rounds of different
 * lengths compare: memory paid once leaves the second round near zero, memory kept per join
 * gives both rounds about the same rate. Node's heap is read as in the table (after the same
 * drain and a full GC); the worker's anonymous memory after each malloc_trim, since the second
 * round starts from a trimmed worker.
 */
export function secondRoundLine(
  r: Pick<SoakResult, 'secondRound' | 'samples' | 'workerTrim' | 'workerAllocator'> & { audience: { joins: number } },
): string[] {
  const round = r.secondRound;
  if (!round) return [];
  const medianOf = (phase: Sample['phase'], read: (s: Sample) => number | null | undefined) =>
    median(
      r.samples
        .filter((s) => s.phase === phase)
        .map(read)
        .filter((v): v is number => v !== null && v !== undefined),
    );
  const heap = (phase: Sample['phase']) => medianOf(phase, (s) => s.node.heapRetainedMiB);
  const trimmed = (t: MallocTrim | null | undefined) => (t && !('error' in t) ? t.after.anonMiB : null);
  const preAnon = medianOf('pre-join', (s) => s.worker.anonMiB);
  const rate = (from: number | null, to: number | null, joins: number) =>
    from === null || to === null || joins === 0 ? null : Math.round(((to - from) / joins) * 1000 * 100) / 100;
  const rates = (from: number | null, mid: number | null, to: number | null) =>
    `${cell(rate(from, mid, r.audience.joins), 'MiB')} → ${cell(rate(mid, to, round.joins), 'MiB')}`;
  // Off glibc there is no trim: the worker as it is after each round's drain.
  const anonAfter = (phase: Sample['phase']) => medianOf(phase, (s) => s.worker.anonMiB);
  const firstTrim = !onGlibc(r) ? anonAfter('after-leave') : trimmed(r.workerTrim);
  const secondTrim = !onGlibc(r) ? anonAfter('second-leave') : trimmed(round.workerTrim);
  const secondHeap = round.workerTrim && !('error' in round.workerTrim) ? round.workerTrim.heap : null;
  const counts = (['transports', 'consumers', 'producers'] as const)
    .map(
      (k) =>
        `${k} ${cell(medianOf('second-leave', (s) => s.mediasoup[k]))} (before anyone joined ${cell(medianOf('pre-join', (s) => s.mediasoup[k]))})`,
    )
    .join(', ');
  return [
    `- Second round, after the judged figures: everyone came back for ${round.seconds} s (${round.joins} joins, ${round.joinFailures} failed; ${round.sessions.sessions} sessions, ${round.sessions.withoutFrames} without a decodable frame) and left again. ` +
      `Kept per 1,000 joins, first round (from before anyone joined) → second round (from the end of the first): Node heap retained ${rates(heap('pre-join'), heap('after-leave'), heap('second-leave'))} ` +
      `(${cell(heap('after-leave'), 'MiB')} after the first, ${cell(heap('second-leave'), 'MiB')} after the second); ` +
      `worker anonymous ${onGlibc(r) ? 'after malloc_trim' : 'after everyone left'} ${rates(preAnon, firstTrim, secondTrim)} (${cell(firstTrim, 'MiB')} after the first, ${cell(secondTrim, 'MiB')} after the second)${secondHeap ? `, glibc counting ${secondHeap.inUseMiB} MiB in use after the second` : ''}. After the second round: ${counts}.`,
  ];
}

// `node --import tsx bench/soak/report.ts [--readme]`: the last run's table, printed or put into README.md.
if (isMain(import.meta.url)) reportFromResults<SoakResult>('soak', 'bench/soak/report.ts', renderMarkdown);
