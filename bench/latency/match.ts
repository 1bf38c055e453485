// Pairs what the viewer presented with when the same frame was captured. The clip loops, so an
// index comes back every loop: a presented frame is paired with the latest capture of its index
// at or before the presentation, and only when that capture is less than a loop old (else its own
// capture went unread and the pair would be a loop off).

/** [index, wall ms] as the studio's camera track handed the frame to script. */
export type Capture = [number, number];
/** [index, wall ms of the frame callback, expected display ms | null, receive ms | null, width, height] */
export type Present = [number, number, number | null, number | null, number, number];

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! * 10) / 10;
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

export interface Matched {
  /** Capture → the frame callback on the viewer (the frame is on its way to the screen). */
  toCallback: number[];
  /** Capture → the time the compositor expected to show the frame (requestVideoFrameCallback's expectedDisplayTime). */
  toDisplay: number[];
  /** Capture → the last packet of the frame received (WebRTC's receiveTime), where the browser gives it. */
  toReceive: number[];
  /** Received → expected display: the receiver's jitter buffer, decoding and rendering. */
  receiveToDisplay: number[];
  unmatched: number;
  /** Presented frame sizes, "WxH" → frames. */
  sizes: Record<string, number>;
}

export function match(captures: Capture[], presents: Present[], loopMs: number): Matched {
  const byIndex = new Map<number, number[]>();
  for (const [index, t] of [...captures].sort((a, b) => a[1] - b[1])) {
    const list = byIndex.get(index) ?? [];
    list.push(t);
    byIndex.set(index, list);
  }
  const out: Matched = { toCallback: [], toDisplay: [], toReceive: [], receiveToDisplay: [], unmatched: 0, sizes: {} };
  for (const [index, called, display, receive, width, height] of presents) {
    const times = byIndex.get(index) ?? [];
    // The latest capture at or before the callback (binary search on the sorted times).
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! <= called) lo = mid + 1;
      else hi = mid;
    }
    const captured = lo > 0 ? times[lo - 1] : undefined;
    if (captured === undefined || called - captured > loopMs * 0.9) {
      out.unmatched++;
      continue;
    }
    out.toCallback.push(called - captured);
    if (display !== null) out.toDisplay.push(display - captured);
    if (receive !== null) out.toReceive.push(receive - captured);
    if (receive !== null && display !== null) out.receiveToDisplay.push(display - receive);
    const size = `${width}x${height}`;
    out.sizes[size] = (out.sizes[size] ?? 0) + 1;
  }
  return out;
}
