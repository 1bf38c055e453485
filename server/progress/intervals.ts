// Watched spans in media seconds, kept as a sorted union of disjoint intervals.
export type Interval = [number, number];

/** Gaps smaller than this are closed: heartbeat boundaries jitter by a frame or two. */
const JOIN_GAP = 0.25;
const MAX_INTERVALS = 500;

export function mergeIntervals(a: readonly Interval[], b: readonly Interval[], durationSeconds?: number | null): Interval[] {
  const limit = durationSeconds ?? Infinity;
  const all = [...a, ...b]
    .map(([from, to]): Interval => [Math.max(0, from), Math.min(to, limit)])
    .filter(([from, to]) => to > from)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: Interval[] = [];
  for (const [from, to] of all) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + JOIN_GAP) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  // Bound the document: close the smallest gaps first (over-counts at most those gaps).
  while (out.length > MAX_INTERVALS) {
    let smallest = 1;
    for (let i = 1; i < out.length; i++) {
      if (out[i]![0] - out[i - 1]![1] < out[smallest]![0] - out[smallest - 1]![1]) smallest = i;
    }
    out[smallest - 1]![1] = out[smallest]![1];
    out.splice(smallest, 1);
  }
  return out;
}

export function coverage(intervals: readonly Interval[]): number {
  return Math.round(intervals.reduce((sum, [from, to]) => sum + (to - from), 0) * 1000) / 1000;
}
