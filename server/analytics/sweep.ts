import type { AttendanceSpan } from './model';

// Concurrent viewers from attendance spans. One user's spans are merged first (two nodes, or a
// rejoin before the old span closed, must not count them twice); then each merged span adds +1
// where it starts and -1 where it ends in a difference array with one cell per second of the
// session. Memory grows with the session's length, never with its audience.

/** The longest session the timeline covers; spans past it are left out of the timeline only. */
export const MAX_WINDOW_SECONDS = 24 * 3600;
/** The timeline is cut into at most this many steps, each showing the peak within it. */
export const MAX_TIMELINE_POINTS = 240;

export interface Span {
  fromMs: number;
  toMs: number;
}

/** One user's spans as disjoint, sorted ones; an open span ends at `openEndMs`. */
export function mergeSpans(spans: readonly AttendanceSpan[], openEndMs: number): Span[] {
  const all = spans
    .map((s) => ({ fromMs: s.joinedAt.getTime(), toMs: s.leftAt?.getTime() ?? Math.max(openEndMs, s.joinedAt.getTime()) }))
    .filter((s) => s.toMs > s.fromMs)
    .sort((a, b) => a.fromMs - b.fromMs);
  const out: Span[] = [];
  for (const s of all) {
    const last = out[out.length - 1];
    if (last && s.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, s.toMs);
    else out.push({ ...s });
  }
  return out;
}

export function spanSeconds(spans: readonly Span[]): number {
  return spans.reduce((sum, s) => sum + (s.toMs - s.fromMs), 0) / 1000;
}

/**
 * Viewers sampled at each whole second of the window: at second t (the instant fromMs + t s)
 * a user is counted when one of their merged spans holds it (joined at or before, left after).
 */
export class ViewerSweep {
  readonly seconds: number;
  private readonly diff: Int32Array;

  constructor(
    readonly fromMs: number,
    toMs: number,
  ) {
    this.seconds = Math.max(0, Math.min(MAX_WINDOW_SECONDS, Math.ceil((toMs - fromMs) / 1000)));
    this.diff = new Int32Array(this.seconds + 1);
  }

  /** Adds one user's merged (disjoint) spans. */
  add(spans: readonly Span[]): void {
    for (const s of spans) {
      const first = Math.max(0, Math.ceil((s.fromMs - this.fromMs) / 1000));
      const end = Math.min(this.seconds, Math.ceil((s.toMs - this.fromMs) / 1000));
      if (end <= first) continue;
      this.diff[first]!++;
      this.diff[end]!--;
    }
  }

  /** Viewers at each second, the peak, the mean, and the timeline of per-step peaks. */
  result(): { peak: number; average: number; stepSeconds: number; timeline: number[] } {
    const stepSeconds = Math.max(1, Math.ceil(this.seconds / MAX_TIMELINE_POINTS));
    const timeline: number[] = [];
    let running = 0;
    let peak = 0;
    let total = 0;
    for (let t = 0; t < this.seconds; t++) {
      running += this.diff[t]!;
      peak = Math.max(peak, running);
      total += running;
      const step = Math.floor(t / stepSeconds);
      timeline[step] = Math.max(timeline[step] ?? 0, running);
    }
    return { peak, average: this.seconds ? Math.round((100 * total) / this.seconds) / 100 : 0, stepSeconds, timeline };
  }
}

/** Groups batches of spans ordered by user into one group per user, across batch boundaries. */
export async function* byUser(batches: AsyncIterable<AttendanceSpan[]>): AsyncGenerator<{ userId: string; spans: AttendanceSpan[] }> {
  let current: { userId: string; spans: AttendanceSpan[] } | undefined;
  for await (const batch of batches) {
    for (const span of batch) {
      if (current?.userId !== span.userId) {
        if (current) yield current;
        current = { userId: span.userId, spans: [] };
      }
      current.spans.push(span);
    }
  }
  if (current) yield current;
}

/** Groups a stream into arrays of at most `size`. */
export async function* chunks<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
