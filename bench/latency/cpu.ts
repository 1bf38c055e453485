// CPU seconds of this process's descendants, grouped by what they are (Chromium, the mediasoup
// worker, FerretDB, others by name), from /proc: who used the cores during the measured window.
import { readdirSync, readFileSync } from 'node:fs';

export type CpuByGroup = Record<string, number>;

function group(comm: string): string {
  if (/chrom/i.test(comm)) return 'chromium';
  if (comm.startsWith('mediasoup')) return 'mediasoup worker';
  if (/ferret/i.test(comm)) return 'ferretdb';
  // The only ffmpeg while a phase is measured is the live seminar's recorder.
  if (comm === 'ffmpeg') return 'ffmpeg (recording)';
  return comm;
}

export function descendantCpu(root = process.pid): CpuByGroup {
  const procs: Array<{ pid: number; ppid: number; comm: string; cpu: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(entry), ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // The process ended while we looked.
    }
  }
  const mine = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) grew = mine.add(p.pid) !== undefined;
  }
  const out: CpuByGroup = {};
  for (const p of procs) {
    if (p.pid === root || !mine.has(p.pid)) continue;
    const g = group(p.comm);
    out[g] = (out[g] ?? 0) + p.cpu;
  }
  return out;
}

/** Cores each group used on average between two readings `seconds` apart (a process that ended is not counted). */
export function coresBetween(before: CpuByGroup, after: CpuByGroup, seconds: number): CpuByGroup {
  const out: CpuByGroup = {};
  for (const [g, v] of Object.entries(after)) out[g] = Math.round((Math.max(0, v - (before[g] ?? 0)) / seconds) * 100) / 100;
  return out;
}
