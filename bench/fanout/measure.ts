// What the fan-out benchmark reads from the machine: per-core busy time (/proc/stat), a
// process's CPU time (bench/lib/machine.ts), and the viewers' counters turned into loss and fps.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Counters } from './loadgen';

/** Busy and total jiffies per CPU, from /proc/stat. */
export function cpuTimes(): Array<{ busy: number; total: number }> {
  const out: Array<{ busy: number; total: number }> = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    out[Number(m[1])] = { busy: total - idle, total };
  }
  return out;
}

/** Fraction busy of each CPU between two cpuTimes() readings. */
export function busyBetween(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>): number[] {
  return b.map((x, i) => {
    const y = a[i];
    if (!y || x.total === y.total) return 0;
    return (x.busy - y.busy) / (x.total - y.total);
  });
}

export function taskset(cpus: string, pid: number): void {
  execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface WindowStats {
  viewers: number;
  /** Viewers that received nothing at all in the window. */
  silent: number;
  videoLossPct: number;
  audioLossPct: number;
  /** Mean over viewers of frames received / frames the source sent in the window. */
  fpsRatioMean: number;
  /** 10th percentile (the worst tenth of viewers) of the same ratio. */
  fpsRatioP10: number;
  fpsRatioMin: number;
  viewerFpsMean: number;
  viewerMbpsMean: number;
}

export function windowStats(a: Counters, b: Counters, sourceFrames: number, seconds: number): WindowStats {
  let vExp = 0;
  let vLost = 0;
  let aExp = 0;
  let aLost = 0;
  let silent = 0;
  let bytes = 0;
  const ratios: number[] = [];
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const [vp0, vh0, vf0, vb0, ap0, ah0] = a[i]!;
    const [vp1, vh1, vf1, vb1, ap1, ah1] = b[i]!;
    const vReceived = vp1! - vp0!;
    const vExpected = vh0! < 0 ? vReceived : vh1! - vh0!;
    vExp += vExpected;
    vLost += Math.max(0, vExpected - vReceived);
    const aReceived = ap1! - ap0!;
    const aExpected = ah0! < 0 ? aReceived : ah1! - ah0!;
    aExp += aExpected;
    aLost += Math.max(0, aExpected - aReceived);
    if (vReceived === 0) silent++;
    bytes += vb1! - vb0!;
    ratios.push(sourceFrames > 0 ? (vf1! - vf0!) / sourceFrames : 0);
  }
  ratios.sort((x, y) => x - y);
  const mean = ratios.length ? ratios.reduce((s, r) => s + r, 0) / ratios.length : 0;
  return {
    viewers: n,
    silent,
    videoLossPct: vExp > 0 ? (100 * vLost) / vExp : 0,
    audioLossPct: aExp > 0 ? (100 * aLost) / aExp : 0,
    fpsRatioMean: mean,
    fpsRatioP10: ratios.length ? ratios[Math.floor(0.1 * (ratios.length - 1))]! : 0,
    fpsRatioMin: ratios[0] ?? 0,
    viewerFpsMean: (mean * sourceFrames) / seconds,
    viewerMbpsMean: n ? (bytes * 8) / seconds / 1e6 / n : 0,
  };
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}

/** Nanoseconds a process's threads spent runnable but waiting for a CPU (/proc/<pid>/task/<tid>/schedstat). */
export function runqueueWaitNs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/);
      total += Number(f[1] ?? 0);
    }
    return total;
  } catch {
    return undefined;
  }
}
