// Pairs what the viewer presented with when the same frame was captured. The clip loops, so an
// index comes back every loop: a presented frame is paired with the latest capture of its index
// at or before the presentation, and only when that capture is less than a loop old (else its own
// capture went unread and the pair would be a loop off).

/**
 * [index, wall ms as the camera track handed the frame to script, the frame's capture timestamp
 * (VideoFrame.timestamp, ms on Chromium's monotonic clock)].
 */
export type Capture = [number, number, number];
/** [index, wall ms of the frame callback, expected display ms | null, receive ms | null, width, height, capture ms | null] */
export type Present = [number, number, number | null, number | null, number, number, number | null];

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
  /**
   * Expected display − the capture time the receiving browser itself estimates for the frame
   * (requestVideoFrameCallback's captureTime: from RTCP sender reports), a cross-check.
   */
  byReceiverEstimate: number[];
  unmatched: number;
  /** Presented frame sizes, "WxH" → frames. */
  sizes: Record<string, number>;
}

/**
 * Capture times on the wall clock. A frame reaches script some time after its capture, and on a
 * busy machine that wait grows to a hundred milliseconds and more; the frame's own timestamp does
 * not wait. Its clock differs from the wall clock by a constant, taken as the smallest gap between
 * the two over all frames (a frame read at once): the capture times come out late by that
 * smallest wait, about a millisecond. Answers the times and how long frames waited to be read.
 */
export function captureTimes(captures: Capture[]): { times: Array<[number, number]>; readLag: number[] } {
  if (!captures.length) return { times: [], readLag: [] };
  const offset = Math.min(...captures.map(([, read, ts]) => read - ts));
  return {
    times: captures.map(([index, , ts]) => [index, ts + offset]),
    readLag: captures.map(([, read, ts]) => read - ts - offset),
  };
}

export function match(captures: Capture[], presents: Present[], loopMs: number): Matched {
  const byIndex = new Map<number, number[]>();
  for (const [index, t] of captureTimes(captures).times.sort((a, b) => a[1] - b[1])) {
    const list = byIndex.get(index) ?? [];
    list.push(t);
    byIndex.set(index, list);
  }
  const out: Matched = {
    toCallback: [],
    toDisplay: [],
    toReceive: [],
    receiveToDisplay: [],
    byReceiverEstimate: [],
    unmatched: 0,
    sizes: {},
  };
  for (const [index, called, display, receive, width, height, estimate] of presents) {
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
    if (estimate !== null && display !== null) out.byReceiverEstimate.push(display - estimate);
    const size = `${width}x${height}`;
    out.sizes[size] = (out.sizes[size] ?? 0) + 1;
  }
  return out;
}
