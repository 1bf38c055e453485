import type { Interval } from '../progress/intervals';

// The watch heatmap of a lesson: the video cut into equal buckets, and for each the number of
// learners whose watched intervals (merged, as progress keeps them) cover at least half of it.
// Half, not any: a seek that grazes a bucket is not watching it.

export const HEATMAP_BUCKETS = 100;

export class Heatmap {
  readonly viewers: number[];
  readonly bucketSeconds: number;

  constructor(readonly durationSeconds: number) {
    this.viewers = new Array<number>(HEATMAP_BUCKETS).fill(0);
    this.bucketSeconds = durationSeconds / HEATMAP_BUCKETS;
  }

  /** Adds one learner's watched intervals. */
  add(intervals: readonly Interval[]): void {
    const w = this.bucketSeconds;
    if (!(w > 0)) return;
    const covered = new Float64Array(HEATMAP_BUCKETS);
    for (const [from, to] of intervals) {
      const a = Math.max(0, from);
      const b = Math.min(this.durationSeconds, to);
      if (b <= a) continue;
      const last = Math.min(HEATMAP_BUCKETS - 1, Math.floor(b / w));
      for (let i = Math.floor(a / w); i <= last; i++) covered[i]! += Math.max(0, Math.min(b, (i + 1) * w) - Math.max(a, i * w));
    }
    for (let i = 0; i < HEATMAP_BUCKETS; i++) if (covered[i]! >= w / 2 - 1e-9) this.viewers[i]!++;
  }
}
