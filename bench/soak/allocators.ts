// The worker's malloc compared in short soaks: `node --import tsx bench/soak/allocators.ts [--readme]`
// renders bench/results/soak-allocators/*.json (each a soak result with an `allocatorRun` saying
// how its worker was started) as the README's table. A run on another malloc:
// MEDIASOUP_WORKER_ALLOCATOR=system|mimalloc SOAK_MINUTES=3 SOAK_SECOND_ROUND_SECONDS=90 npm run bench -- soak,
// then copy bench/results/soak-short.json there with an `allocatorRun` added.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMain, reportFromResults } from '../lib/readme-block';
import { cell, median, onGlibc, pct, type SoakResult } from './report';

export interface AllocatorRun extends SoakResult {
  allocatorRun: { name: string; how: string; started: string };
}

/** Rows in this order; files with other names follow. */
const order = ['glibc', 'glibc-perturb', 'jemalloc', 'jemalloc-decay', 'mimalloc'];

const mib = (v: number | null | undefined) => cell(v ?? null, 'MiB');

/** Cores a process used in the judged churn: its CPU seconds from the first to the last churn sample. */
export function churnCores(r: SoakResult, who: 'node' | 'worker'): number | null {
  const churn = r.samples.filter((s) => s.phase === 'churn');
  const [first, last] = [churn[0], churn.at(-1)];
  const [from, to] = [first?.cpuSeconds[who], last?.cpuSeconds[who]];
  if (!first || !last || last.t <= first.t || from === null || from === undefined || to === null || to === undefined) return null;
  return Math.round(((to - from) / (last.t - first.t)) * 1000) / 1000;
}

export function renderAllocators(runs: AllocatorRun[]): string {
  const rows = runs.map((r) => {
    const rss = r.figures.find((f) => f.name === 'mediasoup worker RSS');
    const anon = (phase: 'pre-join' | 'after-leave' | 'second-leave') =>
      median(r.samples.filter((s) => s.phase === phase).flatMap((s) => (typeof s.worker.anonMiB === 'number' ? [s.worker.anonMiB] : [])));
    const glibc = onGlibc(r);
    const trimmed = (t: SoakResult['workerTrim']) => (glibc && t && !('error' in t) ? t.after.anonMiB : null);
    const secondAfter = glibc ? trimmed(r.secondRound?.workerTrim) : anon('second-leave');
    return (
      `| ${r.allocatorRun.how} | ${r.date.slice(0, 16).replace('T', ' ')}, load average ${r.load.before[0]} before; ${r.audience.joins} + ${r.secondRound?.joins ?? 0} joins | ` +
      `${mib(rss?.preJoin)} → ${mib(rss?.afterLeave)} (${pct(rss?.afterLeaveVsPreJoinPct ?? null)}) | ` +
      `${mib(anon('pre-join'))} → ${mib(anon('after-leave'))} | ${glibc ? mib(trimmed(r.workerTrim)) : 'not glibc’s: no trim'} | ${mib(secondAfter)} | ${cell(churnCores(r, 'worker'))} |`
    );
  });
  return [
    `Short soaks (${[...new Set(runs.map((r) => r.minutes))].join(', ')} min of churn, then everyone back for ${[...new Set(runs.map((r) => r.secondRound?.seconds ?? 0))].join(', ')} s), ${runs[0]?.machine.nproc} cores, ${runs[0]?.database}, one run each; the worker alone on a core. ` +
      `"After everyone left" is ${[...new Set(runs.map((r) => r.settings.drainSeconds))].join(', ')} s after the last viewer left${runs.some((r) => r.rssSettledSeconds) ? ' (then, in runs that have it, the wait for Node’s RSS to settle)' : ', from before the soak waited for Node’s RSS to settle'}.`,
    '',
    '| worker’s malloc | run (UTC); joins: first + second round | worker RSS: before anyone joined → after everyone left | anonymous: before → after | anonymous after malloc_trim | anonymous after the second round (glibc: trimmed) | worker cores during the churn |',
    '| --- | --- | --- | --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** The runs kept in bench/results/<folder> (the worker's allocators by default), in the table's order. */
export function readAllocatorRuns(resultsDir: string, folder = 'soak-allocators'): AllocatorRun[] {
  const dir = path.join(resultsDir, folder);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as AllocatorRun)
    .sort((a, b) => rank(a.allocatorRun.name) - rank(b.allocatorRun.name));
}

if (isMain(import.meta.url))
  reportFromResults<AllocatorRun[]>('soak-allocators', 'bench/soak/allocators.ts', renderAllocators, readAllocatorRuns);
