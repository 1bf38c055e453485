// Benchmark: the join storm (issue 17). `npm run bench -- fanout-storm`. A seminar is live with
// the simulcast source; N viewers (default 500) arrive within T seconds (default 10), each at its
// own moment, all joining at once through Lectern's signalling (bench/fanout-verified.ts has the
// set-up). Measured: join → first decodable frame per viewer from the moment its socket starts
// to connect (p50, p95, max, failures); the key-frame requests the source receives per second
// while they arrive, per layer (the lecturer's encoder answers each with a key frame); then one
// health window over everyone, as in the ramp.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mediasoupVersion } from '../../media';
import { busyBetween, cpuTimes, hasTaskset, taskset } from '../fanout/measure';
import { buildViewers, layerFor, measure, startRig, stopRig, type Rig, type StepResult } from '../fanout-verified';
import { machine } from '../lib/machine';
import type { FromSignaller } from './signaller';

const here = path.dirname(fileURLToPath(import.meta.url));
const viewers = Number(process.env.BENCH_STORM_VIEWERS ?? 500);
const spreadSeconds = Number(process.env.BENCH_STORM_SECONDS ?? 10);
const joinTimeoutMs = Number(process.env.BENCH_STORM_JOIN_TIMEOUT_MS ?? 30_000);
const target = { joinP95Ms: 1000, failures: 0 };
const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;
const log = (msg: string) => process.stderr.write(`[bench fanout-storm] ${msg}\n`);

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

export async function run(): Promise<void> {
  if (!Number.isInteger(viewers) || viewers < 1 || !(spreadSeconds >= 0))
    throw new Error('BENCH_STORM_VIEWERS / BENCH_STORM_SECONDS are invalid');
  const m = machine();
  const pin = hasTaskset() && m.nproc >= 2 && process.env.BENCH_FV_PIN !== '0';
  const others = `1-${m.nproc - 1}`;
  const idle0 = cpuTimes();
  await new Promise((r) => setTimeout(r, 2000));
  const backgroundBusy = busyBetween(idle0, cpuTimes()).map((b) => round(b, 3));
  const loadBefore = loadavg().map((l) => round(l, 2));
  if (pin) taskset(others, process.pid);
  const viewersBin = buildViewers();
  const tmp = await mkdtemp(path.join(tmpdir(), 'lectern-fanout-storm-'));
  let rig: Rig | undefined;
  try {
    rig = await startRig(tmp, pin ? others : undefined, viewersBin, joinTimeoutMs);
    await new Promise((r) => setTimeout(r, 2000));
    log(`${viewers} viewers arriving within ${spreadSeconds} s; load average ${loadBefore.join(' ')}`);
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
    const result = {
      benchmark: 'fanout-storm',
      date: new Date().toISOString(),
      machine: m,
      mediasoup: mediasoupVersion,
      database: process.env.MONGODB_URI ? 'MongoDB (MONGODB_URI)' : 'embedded FerretDB on SQLite',
      pinned: pin ? `mediasoup worker alone on core 0; Lectern, FerretDB, source and load on ${others}` : 'not pinned',
      backgroundBusy,
      loadBefore,
      loadAfter: loadavg().map((l) => round(l, 2)),
      viewers,
      spreadSeconds,
      joined: added.ok,
      failed: added.failed,
      errors: added.errors,
      stormSeconds: round(stormSeconds, 1),
      joinToFirstFrameMs: first.length
        ? { p50: round(percentile(first, 50)), p95: round(percentile(first, 95)), max: round(Math.max(...first)) }
        : null,
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
        maxTotal: Math.max(0, ...totals),
        meanTotal: totals.length ? round(totals.reduce((a, b) => a + b, 0) / totals.length, 1) : 0,
      },
      healthAfter: after,
      target,
    };
    const j = result.joinToFirstFrameMs;
    const md = [
      `Join storm, ${result.date.slice(0, 16).replace('T', ' ')} UTC, ${m.nproc} cores (${m.cpuModel}), ${result.database}; load average ${loadBefore.join(' ')} before, ${result.loadAfter.join(' ')} after.`,
      '',
      '| viewers / within | joined | failed | join → first frame p50 / p95 / max (from socket connect) | key-frame requests to the source, per s: max / mean | after: frames worst / p5, loss worst | worker waited for its core |',
      '| --- | ---: | ---: | --- | --- | --- | ---: |',
      `| ${viewers} / ${spreadSeconds} s | ${added.ok} | ${added.failed} | ${j ? `${j.p50} / ${j.p95} / ${j.max} ms` : '–'} | ${result.keyFrameRequestsPerSecond.maxTotal} / ${result.keyFrameRequestsPerSecond.meanTotal} | ${after.pool ? `${round(100 * after.pool.worstFrameRatio, 1)} % / ${round(100 * after.pool.p5FrameRatio, 1)} %, ${round(after.pool.worstVideoLossPct, 2)} %` : '–'} | ${after.workerWaitFraction === null ? '–' : `${round(100 * after.workerWaitFraction, 1)} %`} |`,
      '',
      `Target: p95 ≤ ${target.joinP95Ms} ms and no failures: ${j && j.p95 <= target.joinP95Ms && added.failed === 0 ? 'met' : 'not met'}.`,
    ].join('\n');
    await mkdir(path.join(here, '..', 'results'), { recursive: true });
    await writeFile(path.join(here, '..', 'results', 'fanout-storm.json'), JSON.stringify({ ...result, markdown: md }, null, 2) + '\n');
    process.stdout.write(`\n${md}\n\n`);
  } finally {
    await stopRig(rig);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (pin) taskset(`0-${m.nproc - 1}`, process.pid);
  }
}
