// Runs benchmarks by name: `npm run bench -- progress`; with no name, all of them.
// Benchmarks are not tests: each prints a table whose ratios are against a baseline
// measured in the same run, and writes its numbers to bench/results/<name>.json.
import { confineAllocatorPreload, describePreload } from '../media';

const benchmarks: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  progress: () => import('./progress'),
  recording: () => import('./recording'),
  fanout: () => import('./fanout'),
  cadence: () => import('./cadence'),
  weaklink: () => import('./weaklink'),
  'weaklink-layers': () => import('./weaklink/layers'),
  chat: () => import('./chat'),
  'fanout-verified': () => import('./fanout-verified'),
  'fanout-storm': () => import('./fanout-verified/storm'),
  search: () => import('./search'),
  soak: () => import('./soak'),
  latency: () => import('./latency'),
};

async function main(): Promise<void> {
  // `npm run bench` starts this process on mimalloc, as `npm start` starts Lectern; the load's
  // own processes (viewers, browsers, ffmpeg) start on the malloc they always did.
  process.stderr.write(`[bench] Lectern's ${describePreload(confineAllocatorPreload()).message}\n`);
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !(n in benchmarks));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}\n`);
    process.exit(2);
  }
  for (const name of names.length ? names : Object.keys(benchmarks)) {
    process.stderr.write(`[bench] ${name}\n`);
    const mod = await benchmarks[name]!();
    await mod.run();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
