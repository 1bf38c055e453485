import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
}

export function machine(): Machine {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where unreadable. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** How busy all cores were over `ms`, from /proc/stat: 100 means every core was busy. */
export async function machineBusyPercent(ms = 2000): Promise<number | undefined> {
  const read = () => {
    try {
      const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
      const v = line.trim().split(/\s+/).slice(1).map(Number);
      const idle = (v[3] ?? 0) + (v[4] ?? 0);
      return { idle, total: v.reduce((a, b) => a + b, 0) };
    } catch {
      return undefined;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (!a || !b || b.total === a.total) return undefined;
  return Math.round((1 - (b.idle - a.idle) / (b.total - a.total)) * 100);
}

/** Which code was measured: the commit, and how many files (the bench's own code included, its results not) differed from it. */
export function sourceState(): { commit: string; uncommittedFiles: number } | undefined {
  try {
    const opts = {
      cwd: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
      encoding: 'utf8' as const,
      stdio: ['ignore', 'pipe', 'ignore'] as Array<'ignore' | 'pipe'>,
    };
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).trim();
    // The bench's own code counts (a run with uncommitted load-generator changes says so); the
    // results it is writing do not.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.', ':!bench/results'], opts).split('\n').filter(Boolean).length;
    return { commit, uncommittedFiles: dirty };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  /** Busy jiffies of all cores together, and all jiffies. */
  busy: number;
  total: number;
}

/** All cores' CPU counters now, from /proc/stat, for `busyCoresSince`. */
export function machineCpuSnapshot(): CpuSnapshot | undefined {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** How many cores were busy on average since `before`, whoever used them. */
export function busyCoresSince(before: CpuSnapshot | undefined): number | undefined {
  const now = machineCpuSnapshot();
  if (!before || !now || now.total === before.total) return undefined;
  return Math.round(((now.busy - before.busy) / (now.total - before.total)) * availableParallelism() * 100) / 100;
}
