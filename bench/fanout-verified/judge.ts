// Turns two readings of every viewer's counters (bench/viewers) into per-viewer health:
// frames decodable against the frame slots the source sent in the same window, video loss
// after NACK recovery, audio loss; and the worst viewer and 5th percentile across them.
import type { CountersReply } from './signaller';

export const limits = { minFrameRatio: 0.95, maxLossPct: 1 };

export interface ViewerWindow {
  viewer: string;
  askedLayer: number;
  /** Layer of the frames received at the end of the window (from the stream's SPS width); -1 if none. */
  receivedLayer: number;
  frameRatio: number;
  videoLossPct: number;
  audioLossPct: number;
  recovered: number;
  plis: number;
  /** PLIs to mediasoup-client's probator, as Chromium sends them (mediasoup drops them). */
  probatorPlis: number;
  mbps: number;
  healthy: boolean;
}

export interface PoolSummary {
  viewers: number;
  unhealthy: number;
  worstFrameRatio: number;
  p5FrameRatio: number;
  worstVideoLossPct: number;
  p95VideoLossPct: number;
  worstAudioLossPct: number;
  /** Viewers receiving a lower layer than they asked for (bandwidth estimation still ramping, or the SFU's choice). */
  belowAskedLayer: number;
  recoveredPackets: number;
  plisPerSecond: number;
  /** Absent in results written before the viewers sent them. */
  probatorPlisPerSecond?: number;
  meanMbps: number;
  worst: ViewerWindow | null;
}

function layerOfWidth(w: number): number {
  return w <= 0 ? -1 : w <= 320 ? 0 : w <= 640 ? 1 : 2;
}

export function judgeViewers(a: CountersReply, b: CountersReply, sourceFrames: number, seconds: number): ViewerWindow[] {
  const i = (n: string) => {
    const k = b.names.indexOf(n);
    if (k < 0) throw new Error(`the Go viewers report no ${n}`);
    return k;
  };
  const k = {
    expected: i('videoExpected'),
    lost: i('videoLost'),
    recovered: i('videoRecovered'),
    decodable: i('framesDecodable'),
    width: i('width'),
    aPackets: i('audioPackets'),
    aExpected: i('audioExpected'),
    bytes: i('bytes'),
    plis: i('plis'),
    probatorPlis: i('probatorPlis'),
  };
  const out: ViewerWindow[] = [];
  for (const [viewer, after] of Object.entries(b.viewers)) {
    const before = a.viewers[viewer];
    // A viewer that joined during the window is judged from the next one.
    if (!before) continue;
    const d = (n: number) => (after[n] ?? 0) - (before[n] ?? 0);
    const expected = d(k.expected);
    const aExpected = d(k.aExpected);
    const frameRatio = sourceFrames > 0 ? d(k.decodable) / sourceFrames : 0;
    const videoLossPct = expected > 0 ? (100 * d(k.lost)) / expected : 100;
    const audioLossPct = aExpected > 0 ? (100 * Math.max(0, aExpected - d(k.aPackets))) / aExpected : 100;
    out.push({
      viewer,
      askedLayer: b.layerOf[viewer] ?? -1,
      receivedLayer: layerOfWidth(after[k.width] ?? 0),
      frameRatio,
      videoLossPct,
      audioLossPct,
      recovered: d(k.recovered),
      plis: d(k.plis),
      probatorPlis: d(k.probatorPlis),
      mbps: (d(k.bytes) * 8) / seconds / 1e6,
      healthy: frameRatio >= limits.minFrameRatio && videoLossPct <= limits.maxLossPct && audioLossPct <= limits.maxLossPct,
    });
  }
  return out;
}

/** The value below which `p` % of the sorted values lie (nearest rank). */
export function percentileOf(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(list: ViewerWindow[], seconds: number): PoolSummary {
  const ratios = list.map((v) => v.frameRatio).sort((x, y) => x - y);
  const losses = list.map((v) => v.videoLossPct).sort((x, y) => x - y);
  const worst = [...list].sort((x, y) => Number(x.healthy) - Number(y.healthy) || x.frameRatio - y.frameRatio)[0] ?? null;
  return {
    viewers: list.length,
    unhealthy: list.filter((v) => !v.healthy).length,
    worstFrameRatio: ratios[0] ?? NaN,
    p5FrameRatio: percentileOf(ratios, 5),
    worstVideoLossPct: losses[losses.length - 1] ?? NaN,
    p95VideoLossPct: percentileOf(losses, 95),
    worstAudioLossPct: Math.max(0, ...list.map((v) => v.audioLossPct)),
    belowAskedLayer: list.filter((v) => v.receivedLayer < v.askedLayer).length,
    recoveredPackets: list.reduce((s, v) => s + v.recovered, 0),
    plisPerSecond: list.reduce((s, v) => s + v.plis, 0) / seconds,
    probatorPlisPerSecond: list.reduce((s, v) => s + v.probatorPlis, 0) / seconds,
    meanMbps: list.length ? list.reduce((s, v) => s + v.mbps, 0) / list.length : 0,
    worst,
  };
}
