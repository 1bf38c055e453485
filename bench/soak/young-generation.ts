// When V8 gives back its young generation: `node --import tsx bench/soak/young-generation.ts`
// measures and writes bench/results/soak-young-generation.json; `--readme` (or `--print`) renders it.
// For each allocation rate, a fresh Node first churns objects that survive a while (as a room's
// sockets and packets do), which grows the young generation to its largest; then it allocates
// short-lived objects at the given rate for 30 s, with a full collection every 5 s (the soak
// forces them while it waits for Node's RSS to settle), and prints the young generation's pages.
// The soak's "after everyone left" reading depends on which side of V8's threshold Lectern's
// own allocation falls with nobody in the room (bench/soak/allocation.ts).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMain, reportFromResults } from '../lib/readme-block';
import { machine } from '../lib/machine';
import { profileAllocations } from './allocation';

const RATES_KIB_PER_S = [0, 512, 1024, 2048, 4096];

async function child(rateKiBs: number): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const youngMiB = () => (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.physical_space_size / 2 ** 20).toFixed(1);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let kept: object[] = [];
  for (let i = 0; i < 200; i++) {
    for (let j = 0; j < 20_000; j++) kept.push({ i, j, s: `x${j}` });
    if (kept.length > 200_000) kept = kept.slice(100_000);
    await sleep(5);
  }
  kept.length = 0;
  const readings = [youngMiB()];
  // About 64 bytes an object (header, two fields, the array's slot): rate × 10 ms of them per tick.
  const perTick = Math.round((rateKiBs * 1024 * 0.01) / 64);
  let sink = 0;
  const tick = setInterval(() => {
    const junk: object[] = [];
    for (let j = 0; j < perTick; j++) junk.push({ a: j, b: j });
    sink += junk.length;
  }, 10);
  // The rate asked for is a guess at object sizes; V8's sampling profiler measures what it was.
  const [measured] = await Promise.all([
    profileAllocations(30, undefined, 0),
    (async () => {
      for (let k = 0; k < 6; k++) {
        await sleep(5000);
        gc();
        readings.push(youngMiB());
      }
    })(),
  ]);
  clearInterval(tick);
  process.stdout.write(
    JSON.stringify({ rateKiBs, measuredKiBs: Math.round((measured.totalMiB * 1024) / 30), readings, objects: sink }) + '\n',
  );
}

interface Row {
  askedKiBs: number;
  measuredKiBs: number;
  /** MiB of young-generation pages after the churn, then every 5 s. */
  readings: string[];
}
interface YoungGenerationResult {
  benchmark: 'soak-young-generation';
  date: string;
  node: string;
  machine: string;
  rows: Row[];
}

export function renderYoungGeneration(r: YoungGenerationResult): string {
  return [
    `${r.date.slice(0, 16).replace('T', ' ')} UTC, Node ${r.node.replace(/^v/, '')}, ${r.machine}: V8's young generation (MiB of pages) after a churn, then while allocating short-lived objects at each rate for 30 s, a full collection every 5 s.`,
    '',
    '| allocating (V8 sampling profiler) | after the churn | 5 s | 10 s | 15 s | 20 s | 25 s | 30 s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map((row) => `| ${row.measuredKiBs} KiB/s | ${row.readings.join(' | ')} |`),
  ].join('\n');
}

if (!isMain(import.meta.url)) {
  // Imported (a test, a report): nothing runs.
} else if (process.argv[2] === 'child') await child(Number(process.argv[3]));
else if (process.argv.includes('--readme') || process.argv.includes('--print'))
  reportFromResults<YoungGenerationResult>('soak-young-generation', 'bench/soak/young-generation.ts', renderYoungGeneration);
else {
  const rows: Row[] = [];
  for (const rate of RATES_KIB_PER_S) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', String(rate)], {
      encoding: 'utf8',
    });
    const { readings, measuredKiBs } = JSON.parse(out.trim().split('\n').at(-1)!) as { readings: string[]; measuredKiBs: number };
    rows.push({ askedKiBs: rate, measuredKiBs, readings });
  }
  const m = machine();
  const result: YoungGenerationResult = {
    benchmark: 'soak-young-generation',
    date: new Date().toISOString(),
    node: process.version,
    machine: `${m.nproc} cores (${m.cpuModel})`,
    rows,
  };
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', 'soak-young-generation.json');
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(renderYoungGeneration(result) + '\n');
}
