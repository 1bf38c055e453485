// Benchmark: the join storm (issue 17). `npm run bench -- fanout-storm`. A seminar is live with
// the simulcast source; N viewers arrive within T seconds (default 10), each at its own moment,
// all joining at once through Lectern's signalling (bench/fanout-verified.ts has the set-up).
// Each N in BENCH_STORM_VIEWERS (default 100,500) is a storm of its own, on a fresh Lectern: the
// smaller one is the same run's reference, a size the load generator's one core still carries.
// BENCH_STORM_KEY_FRAME_DELAYS (default 0,500,1000; Lectern's is 500) repeats each size at each
// KEY_FRAME_REQUEST_DELAY_MS: the trade between the lecturer's key frames and the joins' wait.
// Measured: join → first decodable frame per viewer from the moment its socket starts to connect
// (p50, p95, max, failures); the key-frame requests the source receives per second while they
// arrive, per layer (the lecturer's encoder answers each with a key frame); then one health
// window over everyone, as in the ramp.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mediasoupVersion } from '../../media';
import { busyBetween, cpuTimes, hasTaskset, taskset } from '../fanout/measure';
import { buildViewers, layerFor, measure, startRig, stopRig, type Rig, type StepResult } from '../fanout-verified';
import { machine, sourceState } from '../lib/machine';
import type { FromSignaller } from './signaller';

const here = path.dirname(fileURLToPath(import.meta.url));
const sizes = (process.env.BENCH_STORM_VIEWERS ?? '100,500').split(',').map(Number);
const keyFrameDelays = (process.env.BENCH_STORM_KEY_FRAME_DELAYS ?? '0,500,1000').split(',').map(Number);
const spreadSeconds = Number(process.env.BENCH_STORM_SECONDS ?? 10);
const joinTimeoutMs = Number(process.env.BENCH_STORM_JOIN_TIMEOUT_MS ?? 30_000);
const target = { joinP95Ms: 1000, failures: 0 };
const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;
const log = (msg: string) => process.stderr.write(`[bench fanout-storm] ${msg}\n`);

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

type Machine = ReturnType<typeof machine>;

export async function run(): Promise<void> {
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(spreadSeconds >= 0))
    throw new Error('BENCH_STORM_VIEWERS (a comma-separated list of counts) / BENCH_STORM_SECONDS are invalid');
  if (keyFrameDelays.some((n) => !Number.isInteger(n) || n < 0 || n > 10_000))
    throw new Error('BENCH_STORM_KEY_FRAME_DELAYS is a comma-separated list of milliseconds, 0-10000');
  const m = machine();
  const pin = hasTaskset() && m.nproc >= 2 && process.env.BENCH_FV_PIN !== '0';
  const viewersBin = buildViewers();
  const storms: Storm[] = [];
  for (const viewers of sizes)
    for (const keyFrameDelayMs of keyFrameDelays) {
      // What the last storm's viewers and FerretDB left running settles first.
      if (storms.length) await new Promise((r) => setTimeout(r, 15_000));
      storms.push(await storm(viewers, keyFrameDelayMs, m, pin, viewersBin));
    }
  const date = new Date().toISOString();
  const database = process.env.MONGODB_URI ? 'MongoDB (MONGODB_URI)' : 'embedded FerretDB on SQLite';
  const pct = (r: number) => `${round(100 * r, 1)} %`;
  const md = [
    `Join storms, ${date.slice(0, 16).replace('T', ' ')} UTC, ${m.nproc} cores (${m.cpuModel}), ${database}; each on a fresh Lectern.`,
    '',
    '| viewers / within | key-frame delay | load average before | joined | failed | join → first frame p50 / p95 / max (from socket connect) | socket connect p95 | key-frame requests to the source, per s: max / mean (per layer, max) | after: unhealthy, frames worst / p5, loss worst | load core busy | worker waited for its core |',
    '| --- | ---: | --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: |',
    ...storms.map((r) => {
      const j = r.joinToFirstFrameMs;
      const k = r.keyFrameRequestsPerSecond;
      const pool = r.healthAfter.pool;
      return `| ${r.viewers} / ${spreadSeconds} s | ${r.keyFrameDelayMs} ms | ${r.loadBefore[0]} | ${r.joined} | ${r.failed} | ${j ? `${j.p50} / ${j.p95} / ${j.max} ms` : '–'} | ${r.connectMsP95 ?? '–'} ms | ${k.maxTotal} / ${k.meanTotal} (${k.maxByLayer.join(', ')}) | ${pool ? `${pool.unhealthy}, ${pct(pool.worstFrameRatio)} / ${pct(pool.p5FrameRatio)}, ${round(pool.worstVideoLossPct, 2)} %` : '–'} | ${pct(r.healthAfter.coreBusy.at(-1) ?? NaN)} | ${r.healthAfter.workerWaitFraction === null ? '–' : pct(r.healthAfter.workerWaitFraction)} |`;
    }),
    '',
    ...storms.map(
      (r) =>
        `Target at ${r.viewers}, delay ${r.keyFrameDelayMs} ms (p95 ≤ ${target.joinP95Ms} ms, no failures): ${r.met ? 'met' : 'not met'}.`,
    ),
  ].join('\n');
  const result = {
    benchmark: 'fanout-storm',
    date,
    machine: m,
    mediasoup: mediasoupVersion,
    database,
    source: sourceState(),
    pinned: pin ? `mediasoup worker alone on core 0; Lectern, FerretDB, source and load on 1-${m.nproc - 1}` : 'not pinned',
    spreadSeconds,
    target,
    storms,
  };
  await mkdir(path.join(here, '..', 'results'), { recursive: true });
  await writeFile(path.join(here, '..', 'results', 'fanout-storm.json'), JSON.stringify({ ...result, markdown: md }, null, 2) + '\n');
  process.stdout.write(`\n${md}\n\n`);
}

type Storm = Awaited<ReturnType<typeof storm>>;

/** One storm on a fresh Lectern and source: N viewers arrive, then one health window over all of them. */
async function storm(viewers: number, keyFrameDelayMs: number, m: Machine, pin: boolean, viewersBin: string) {
  const others = `1-${m.nproc - 1}`;
  const idle0 = cpuTimes();
  await new Promise((r) => setTimeout(r, 2000));
  const backgroundBusy = busyBetween(idle0, cpuTimes()).map((b) => round(b, 3));
  const loadBefore = loadavg().map((l) => round(l, 2));
  if (pin) taskset(others, process.pid);
  const tmp = await mkdtemp(path.join(tmpdir(), 'lectern-fanout-storm-'));
  let rig: Rig | undefined;
  try {
    rig = await startRig(tmp, pin ? others : undefined, viewersBin, joinTimeoutMs, {
      KEY_FRAME_REQUEST_DELAY_MS: String(keyFrameDelayMs),
    });
    await new Promise((r) => setTimeout(r, 2000));
    log(
      `${viewers} viewers arriving within ${spreadSeconds} s, key-frame delay ${keyFrameDelayMs} ms; load average ${loadBefore.join(' ')}`,
    );
    // The source's key-frame requests, sampled every second while the audience arrives.
    const perSecond: number[][] = [];
    let last = (await rig.source.stats()).layers.map((l) => l.keyFrameRequests);
    const r = rig;
    const sampler = setInterval(() => {
      r.source.stats().then(
        (s) => {
          const now = s.layers.map((l) => l.keyFrameRequests);
          perSecond.push(now.map((n, i) => n - (last[i] ?? 0)));
          last = now;
        },
        () => undefined,
      );
    }, 1000);
    const t0 = performance.now();
    const added = await rig.audience.request<Extract<FromSignaller, { type: 'added' }>>({
      type: 'add',
      layers: Array.from({ length: viewers }, (_, i) => layerFor(i)),
      concurrency: viewers,
      spacingMs: (spreadSeconds * 1000) / viewers,
    });
    const stormSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const first = added.joins.map((j) => j.firstFrameMs);
    log(
      `${added.ok}/${viewers} joined in ${round(stormSeconds, 1)} s; p95 ${round(percentile(first, 95))} ms${added.errors.length ? `; errors: ${added.errors.join(' | ')}` : ''}`,
    );
    await new Promise((r2) => setTimeout(r2, 3000));
    const after: Omit<StepResult, 'joined' | 'joinFailures' | 'joinErrors' | 'join' | 'verdict'> = await measure(rig, added.ok);
    const totals = perSecond.map((l) => l.reduce((a, b) => a + b, 0));
    const joinToFirstFrameMs = first.length
      ? { p50: round(percentile(first, 50)), p95: round(percentile(first, 95)), max: round(Math.max(...first)) }
      : null;
    return {
      viewers,
      keyFrameDelayMs,
      date: new Date().toISOString(),
      backgroundBusy,
      loadBefore,
      loadAfter: loadavg().map((l) => round(l, 2)),
      joined: added.ok,
      failed: added.failed,
      errors: added.errors,
      stormSeconds: round(stormSeconds, 1),
      joinToFirstFrameMs,
      connectMsP95: added.joins.length
        ? round(
            percentile(
              added.joins.map((j) => j.connectMs),
              95,
            ),
          )
        : null,
      keyFrameRequestsPerSecond: {
        byLayerEachSecond: perSecond,
        maxByLayer: (perSecond[0] ?? []).map((_, i) => Math.max(...perSecond.map((l) => l[i] ?? 0))),
        maxTotal: Math.max(0, ...totals),
        meanTotal: totals.length ? round(totals.reduce((a, b) => a + b, 0) / totals.length, 1) : 0,
      },
      healthAfter: after,
      met: joinToFirstFrameMs !== null && joinToFirstFrameMs.p95 <= target.joinP95Ms && added.failed === 0,
    };
  } finally {
    await stopRig(rig);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (pin) taskset(`0-${m.nproc - 1}`, process.pid);
  }
}
