// Lectern's own Node process on glibc's malloc and on mimalloc, in short soaks:
// `node --import tsx bench/soak/node-allocators.ts [--readme]` renders
// bench/results/soak-node-allocators/*.json as the README's table. A run: SOAK_MINUTES=5
// SOAK_SECOND_ROUND_SECONDS=60 npm run bench -- soak (Node on mimalloc, as npm start runs it), or
// the same as `node --import tsx bench/run.ts soak` (glibc's); then copy bench/results/soak-short.json
// there with an `allocatorRun` added.
import { isMain, reportFromResults } from '../lib/readme-block';
import { churnCores, readAllocatorRuns, type AllocatorRun } from './allocators';
import { cell, OUTSIDE_V8, pct, V8_PAGES, type FigureResult } from './report';

const folder = 'soak-node-allocators';

export function renderNodeAllocators(runs: AllocatorRun[]): string {
  const figure = (r: AllocatorRun, name: string): FigureResult | undefined => r.figures.find((f) => f.name === name);
  const beforeAfter = (f: FigureResult | undefined) =>
    f ? `${cell(f.preJoin, 'MiB')} → ${cell(f.afterLeave, 'MiB')} (${pct(f.afterLeaveVsPreJoinPct)})` : '–';
  const trim = (r: AllocatorRun) => {
    const t = r.nodeTrim;
    if (!t) return 'not glibc’s: no trim';
    if ('error' in t) return `not read: ${t.error}`;
    const held = t.heap ? `; glibc then counted ${t.heap.inUseMiB} MiB in use, ${t.heap.freeMiB} MiB free` : '';
    return `${cell(t.before.rssMiB, 'MiB')} → ${cell(t.after.rssMiB, 'MiB')}${held}`;
  };
  const rows = runs.map(
    (r) =>
      `| ${r.allocatorRun.how} | ${r.date.slice(0, 16).replace('T', ' ')}, load average ${r.load.before[0]} before; ${r.audience.joins} + ${r.secondRound?.joins ?? 0} joins | ` +
      `${beforeAfter(figure(r, 'Node RSS'))} | ${beforeAfter(figure(r, V8_PAGES))} | ${beforeAfter(figure(r, OUTSIDE_V8))} | ` +
      `${trim(r)} | ${cell(churnCores(r, 'node'))} | ${cell(r.sessions.firstFrameMs.p95, 'ms')} |`,
  );
  const each = <T>(read: (r: AllocatorRun) => T) => [...new Set(runs.map(read))].join(', ');
  const unsettled = runs.filter((r) => r.rssUnsettled?.length || !r.rssSettledSeconds);
  return [
    `Short soaks (${each((r) => r.minutes)} min of churn, then everyone back for ${each((r) => r.secondRound?.seconds ?? 0)} s), ${runs[0]?.machine.nproc} cores, ${runs[0]?.database}, one run each; the worker on ${each((r) => r.workerAllocator ?? 'system')}. ` +
      (unsettled.length
        ? `**Node's RSS was read unsettled in: ${unsettled.map((r) => r.allocatorRun.name).join(', ')}.**`
        : `Before anyone joined and after everyone left, Node's RSS had settled (a full GC every 10 s until it moved less than 2 % in 10 s).`),
    '',
    '| Node’s malloc | run (UTC); joins: first + second round | Node RSS: before anyone joined → after everyone left | of it, V8’s heap pages | of it, anonymous outside V8’s heap | after everyone left, RSS before → after malloc_trim | Node cores during the churn | join → first frame p95 |',
    '| --- | --- | --- | --- | --- | --- | ---: | ---: |',
    ...rows,
  ].join('\n');
}

if (isMain(import.meta.url))
  reportFromResults<AllocatorRun[]>(folder, 'bench/soak/node-allocators.ts', renderNodeAllocators, (dir) => readAllocatorRuns(dir, folder));
