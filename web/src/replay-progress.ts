// What a learner actually watched, as merged [from, to] spans of media seconds,
// built from the player's time updates. A jump of more than MAX_STEP seconds
// (a seek, or the tab asleep) ends the span and starts a new one, so skipped
// parts never count.

export type Interval = [number, number];

const MAX_STEP = 2;
/** The server accepts at most 200 intervals per heartbeat. */
const MAX_INTERVALS = 200;

export class PlayedRanges {
  private done: Interval[] = [];
  private current: Interval | null = null;

  /** A time update while playing. */
  advance(t: number): void {
    if (!Number.isFinite(t) || t < 0) return;
    const c = this.current;
    if (c && t >= c[1] && t - c[1] <= MAX_STEP) {
      c[1] = t;
      return;
    }
    this.cut();
    this.current = [t, t];
  }

  /** A seek: the next update starts a new span. */
  cut(): void {
    if (this.current && this.current[1] > this.current[0]) this.done.push(this.current);
    this.current = null;
  }

  /** Everything watched since the page opened, merged and sorted (at most 200 spans). */
  intervals(): Interval[] {
    const all = [...this.done, ...(this.current && this.current[1] > this.current[0] ? [this.current] : [])];
    return limit(merge(all));
  }

  /** Seconds watched, overlaps counted once. */
  covered(): number {
    return this.intervals().reduce((s, [a, b]) => s + (b - a), 0);
  }
}

export function merge(list: Interval[]): Interval[] {
  const sorted = list.map(([a, b]) => [a, b] as Interval).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else out.push(iv);
  }
  return out.map(([a, b]) => [round(a), round(b)] as Interval);
}

/** Over the limit, the closest neighbours are joined (a tiny over-count beats a refused heartbeat). */
function limit(list: Interval[]): Interval[] {
  const out = list.slice();
  while (out.length > MAX_INTERVALS) {
    let best = 1;
    for (let i = 2; i < out.length; i++) if (out[i]![0] - out[i - 1]![1] < out[best]![0] - out[best - 1]![1]) best = i;
    out[best - 1] = [out[best - 1]![0], out[best]![1]];
    out.splice(best, 1);
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
