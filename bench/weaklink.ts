// Benchmark: a viewer on a weak link. Run: `npm run bench -- weaklink` (BENCH_ROUNDS rounds, default 5).
// The lecturer's and the viewer's Chromium each run in a network namespace of their own
// (test/support/network-scene.ts); each round limits the viewer's downlink with `tc tbf` between
// what the 360p and the 720p simulcast layers need (a TBF_LATENCY ms queue, default 100), holds it
// ~8 s past the switch, then lifts it (bench/weaklink/round.ts). Per round: time to a lower layer,
// frames kept on it, time back to 720p, freezes, and the machine's load; then the median and the worst.
// This was a test in test/e2e/network.test.ts with the same targets; on a loaded 2-core machine it
// met them in too few runs to be one, so it is measured here and every round is reported.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../server/logger';
import { start } from '../server/main';
import { ADMIN_EMAIL } from '../test/support/api';
import { startNetworkScene, type NetworkScene } from '../test/support/network-scene';
import { intEnv } from './lib/env';
import { benchConfig } from './lib/lectern';
import { busyCoresSince, machine, machineBusyPercent, machineCpuSnapshot, sourceState } from './lib/machine';
import { BACK_WAIT_MS, FREEZE_MS, measureRound, SWITCH_WAIT_MS, TOP, type RoundFigures } from './weaklink/round';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const settings = {
  rounds: intEnv('BENCH_ROUNDS', 5),
  latencyMs: intEnv('TBF_LATENCY', 100),
  camera: process.env.CAMFILE ?? "Chromium's fake camera",
  // The bounds test/e2e/network.test.ts asserted: a switch within 5 s, ≥ 90 % of the frames on the
  // lower layer, and back at 720p within the 30 s it waited.
  target: { switchMs: 5000, framesKept: 0.9, backMs: BACK_WAIT_MS },
};

function log(msg: string): void {
  process.stderr.write(`[bench weaklink] ${msg}\n`);
}

interface Round extends RoundFigures {
  round: number;
  /** One-minute load average when the round began, and cores busy (anyone's) during it. */
  loadAverage: number;
  busyCores: number | null;
  met: boolean;
  missed: string[];
}

/** What a round missed of the target; empty when it met every bound. */
function misses(f: RoundFigures): string[] {
  if (f.void) return [`void: ${f.void}`];
  const t = settings.target;
  const why: string[] = [];
  if (f.switchMs === null) why.push(`no switch within ${SWITCH_WAIT_MS / 1000} s`);
  else if (f.switchMs > t.switchMs) why.push(`switch ${s(f.switchMs)} > ${s(t.switchMs)}`);
  if (f.heightsLower.some((h) => h >= TOP)) why.push('back at 720p before the lift');
  if (f.framesKept < t.framesKept) why.push(`${pct(f.framesKept)} of the frames < ${pct(t.framesKept)}`);
  if (f.topSentKbit <= 100) why.push(`the studio stopped sending 720p (${f.topSentKbit} kbit/s)`);
  if (f.heightAtLift === 0 || f.heightAtLift >= TOP) why.push(`at ${f.heightAtLift}p when the limit lifted`);
  if (f.backMs === null) why.push(`not back at 720p within ${s(t.backMs)}`);
  return why;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (x: number) => `${Math.round(x * 100)} %`;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Median and worst of the measured rounds; a bound never reached counts as the worst possible. */
function spread(values: number[], worse: 'higher' | 'lower'): { median: number; worst: number } | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, worst: worse === 'higher' ? sorted[sorted.length - 1]! : sorted[0]! };
}

/** Lectern's log level: BENCH_WEAKLINK_DEBUG=info shows the layer guard's decisions, any other value warnings only. */
function lecternLogLevel(debug: string | undefined): 'silent' | 'warn' | 'info' {
  if (!debug) return 'silent';
  return debug === 'info' ? 'info' : 'warn';
}

export async function run(): Promise<void> {
  const before = { busyPercent: await machineBusyPercent(), loadAverage: round1(loadavg()[0]!) };
  log(`${settings.rounds} rounds; before: cores ${before.busyPercent ?? '?'} % busy, load average ${before.loadAverage}`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-bench-weaklink-'));
  let scene: NetworkScene | undefined;
  const rounds: Round[] = [];
  try {
    scene = await startNetworkScene(
      (env) =>
        start(benchConfig(dataDir, { ADMIN_EMAILS: ADMIN_EMAIL, ...env }), createLogger(lecternLogLevel(process.env.BENCH_WEAKLINK_DEBUG))),
      // Each round waits for 720p itself (or says it never came): on a loaded machine the
      // estimate may not climb there at the start, and that is a finding, not a reason to stop.
      { waitFor: 'frames' },
    );
    log('studio live with three layers, the viewer decoding');
    for (let i = 1; i <= settings.rounds; i++) {
      const loadAverage = round1(loadavg()[0]!);
      const cpu = machineCpuSnapshot();
      const figures = await measureRound(scene, settings.latencyMs);
      const missed = misses(figures);
      const r: Round = { round: i, loadAverage, busyCores: busyCoresSince(cpu) ?? null, ...figures, met: missed.length === 0, missed };
      rounds.push(r);
      log(`round ${i}: ${row(r)}`);
      log(
        `  mediasoup chose a lower layer at ${r.serverSwitchMs ?? '–'} ms; estimate ${r.estimateTrail.map(([t, k]) => `${t}:${k}`).join(' ')}`,
      );
    }
    if (scene.problems.length) log(`page errors: ${scene.problems.join('; ')}`);
  } finally {
    await scene?.close();
    if (process.env.BENCH_KEEP_DATA !== '1') await rm(dataDir, { recursive: true, force: true });
  }
  await report(rounds, before);
}

function row(r: Round): string {
  const n = `${r.round}${r.rejoined ? ' (new join)' : ''}`;
  if (r.void) return `| ${n} | ${r.loadAverage} | ${r.busyCores ?? '–'} | – | – | – | – | – | – | – | – | – | not met: ${r.void} |`;
  const to = r.heightsLower.length ? r.heightsLower.map((h) => `${h}p`).join(', ') : '–';
  return (
    `| ${n} | ${r.loadAverage} | ${r.busyCores ?? '–'} | ${r.limitKbit} | ${r.switchMs === null ? `> ${s(SWITCH_WAIT_MS)}` : s(r.switchMs)} | ${r.serverSwitchMs === null ? '–' : s(r.serverSwitchMs)} | ${to} | ` +
    `${pct(r.framesKept)} | ${r.backMs === null ? `> ${s(BACK_WAIT_MS)}` : s(r.backMs)} | ${r.freezes}${r.freezes ? ` (${s(r.longestFreezeMs)})` : ''} | ` +
    `${r.lowestEstimateKbit ?? '–'} | ${r.noLayerMs ? s(r.noLayerMs) : '0'} | ${r.met ? 'met' : `not met: ${r.missed.join('; ')}`} |`
  );
}

async function report(rounds: Round[], before: { busyPercent: number | undefined; loadAverage: number }): Promise<void> {
  const m = machine();
  const date = new Date().toISOString();
  const measured = rounds.filter((r) => !r.void);
  const t = settings.target;
  // A switch or return never reached counts as its wait (the worst), shown as "> wait".
  const switches = spread(
    measured.map((r) => r.switchMs ?? Infinity),
    'higher',
  );
  const kept = spread(
    measured.map((r) => r.framesKept),
    'lower',
  );
  const backs = spread(
    measured.map((r) => r.backMs ?? Infinity),
    'higher',
  );
  const freezes = spread(
    measured.map((r) => r.freezes),
    'higher',
  );
  const time = (ms: number, wait: number) => (Number.isFinite(ms) ? s(ms) : `> ${s(wait)}`);
  const met = rounds.filter((r) => r.met).length;
  const lines = [
    `| round | load avg | cores busy | limit kbit/s | switch (≤ ${s(t.switchMs)}) | mediasoup switched | to | frames kept (≥ ${pct(t.framesKept)}) | back to 720p (≤ ${s(t.backMs)}) | freezes ≥ ${FREEZE_MS} ms (longest) | lowest estimate kbit/s | no layer forwarded | target |`,
    `|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|`,
    ...rounds.map(row),
    ...(switches && kept && backs && freezes
      ? [
          `| median | | | | ${time(switches.median, SWITCH_WAIT_MS)} | | | ${pct(kept.median)} | ${time(backs.median, BACK_WAIT_MS)} | ${freezes.median} | | | |`,
          `| worst | | | | ${time(switches.worst, SWITCH_WAIT_MS)} | | | ${pct(kept.worst)} | ${time(backs.worst, BACK_WAIT_MS)} | ${freezes.worst} | | | |`,
        ]
      : []),
    '',
    `Target met in **${met} of ${rounds.length}** rounds${measured.length < rounds.length ? ` (${rounds.length - measured.length} void)` : ''}.`,
    '',
    `- A round: the viewer steady at 720p for 4 s, the studio's layers measured for 3 s, the limit set between what the 360p layer and what the viewer received at 720p need (+ 64 kbit/s for voice and RTCP) with \`tc tbf\` (${settings.latencyMs} ms queue) on the viewer's veth pair, ` +
      `8 s on the lower layer after the switch, then the limit lifted. "switch": from the limit to the viewer decoding a lower layer; "mediasoup switched": from the limit to mediasoup forwarding one (its \`layerschange\`, when the lower layer's key frame reached it); the rest is that key frame's way through the narrow link. "frames kept": frames decoded per second on the lower layer (from 1 s after the switch) over those at 720p before. ` +
      `A viewer still not at 720p 40 s after a round (that round says "not back") gets its page opened again, a new join, before the next round ("new join"). A round also needs the studio still sending 720p while the viewer is lower (its encoder not starved) and the viewer still lower when the limit lifts. "freezes": stretches of ${FREEZE_MS} ms or more without a new decoded frame, from the limit until back at 720p. ` +
      `"lowest estimate": mediasoup's bandwidth estimate for the viewer's receive transport (from its ${rounds.find((r) => r.bweType)?.bweType ?? '?'} feedback), lowest while limited; "no layer forwarded": how long, from the limit until back at 720p, mediasoup sent the viewer no video layer at all (its estimate below what the lowest layer needs). Camera: ${settings.camera}.`,
    `- Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}. ` +
      `Before the run the cores were ${before.busyPercent ?? '?'} % busy, load average ${before.loadAverage}; "load avg" is the one-minute load average as each round began, "cores busy" how many cores anyone kept busy during it (Lectern, both Chromiums and all other work).`,
    `- Lectern in-process (NODE_ENV=production, one mediasoup worker, the embedded FerretDB). Date: ${date}; source ${JSON.stringify(sourceState())}`,
  ];
  const table = lines.join('\n');
  process.stdout.write(`\n${table}\n`);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    path.join(resultsDir, 'weaklink.json'),
    JSON.stringify(
      {
        benchmark: 'weaklink',
        date,
        source: sourceState(),
        machine: m,
        otherWorkBefore: before,
        settings,
        met,
        rounds,
        summary: { switchMs: switches, framesKept: kept, backMs: backs, freezes },
        table,
      },
      (_k, v: unknown) => (v === Infinity ? null : v),
      2,
    ) + '\n',
  );
  await writeFile(path.join(resultsDir, 'weaklink.md'), `<!-- written by \`npm run bench -- weaklink\` -->\n${table}\n`);
  log('wrote bench/results/weaklink.json and weaklink.md');
}
