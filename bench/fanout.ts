// Benchmark: live fan-out. One lecturer stream, N viewers that are real WebRTC peers negotiated
// through Lectern's own Socket.IO signalling (ICE, DTLS, SRTP); and join → first decoded frame
// from Chromium. Run: `npm run bench -- fanout`, or alone: `node --import tsx bench/fanout.ts`.
//
// Layout of the run (load and server share the machine, so say which process does what):
// - the mediasoup worker (one; one router takes the whole audience) is pinned to core 0 (taskset);
// - everything else is pinned to the other cores (on 2 cores: core 1): this process (Lectern's
//   Node side: HTTP, Socket.IO signalling; the embedded FerretDB), the lecturer stream (sender.ts:
//   H.264 720p30 ~1.5 Mb/s as RTP, answering PLI with a key frame; ffmpeg: Opus), the load
//   generator (loadgen.ts: node-datachannel peers, one child process) and Chromium.
// - The lecturer stream is "an equivalent RTP test stream": one 720p layer, which is what each
//   viewer of a simulcast source receives anyway, injected on the room's origin router through
//   PlainTransports and announced with room.publish(), as the lecturer's producers would be.
// Steps: N = 0 (ingest only), then a ramp of N; at each N a settle time, then a measured window:
// worker CPU (/proc/<pid>/stat), busy time of each core, and each viewer's packets, sequence
// gaps and frames (RTP marker bits) against the frames the source sent in the same window.
// The ramp stops at the first N where loss > 1 % or frame rate < 90 % of the source, or where the
// worker's core or the load generator's cores are saturated, or at the time budget.
//
// If the worker cannot complete a DTLS handshake (it crashed on every one when this benchmark was
// written: see the report in bench/results/fanout.json), the WebRTC figures cannot be measured; the
// benchmark then says so and, unless BENCH_FANOUT_FALLBACK=0, measures the same fan-out with
// SRTP-encrypted PlainTransport consumers (no ICE/DTLS, no signalling), clearly labelled as such.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { mediasoupVersion } from '../media';
import type { Lectern } from '../server/main';
import { makePeerCertificate, type PeerCertificate } from './fanout/cert';
import { buildPage, CHROMIUM, launchChromium, measureJoins, servePage } from './fanout/chromium';
import { clipSettings, encodeClip } from './fanout/clip';
import type { Counters, FromLoadgen, ToLoadgen } from './fanout/loadgen';
import { busyBetween, cpuTimes, hasTaskset, percentile, runqueueWaitNs, taskset, windowStats, type WindowStats } from './fanout/measure';
import type { JoinResult } from './fanout/join-result';
import { viewerRtpCapabilities } from './fanout/sdp';
import type { SenderStats } from './fanout/sender';
import { seedLiveSeminar, startLecturerStream, startLectern, type LecturerStream } from './fanout/stage';
import { machine, processCpuSeconds, sourceState } from './lib/machine';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const settings = {
  steps: listEnv('BENCH_FANOUT_STEPS', [25, 50, 100, 200, 300, 400, 450, 500, 600, 800, 1000, 1200, 1500]),
  settleSeconds: numEnv('BENCH_FANOUT_SETTLE', 3),
  windowSeconds: numEnv('BENCH_FANOUT_WINDOW', 8),
  joins: numEnv('BENCH_FANOUT_JOINS', 20),
  /** Chromium joins again once this many load viewers are in the room (0: skip). */
  loadedJoinsAt: numEnv('BENCH_FANOUT_LOADED_JOINS_AT', 100),
  joinConcurrency: numEnv('BENCH_FANOUT_JOIN_CONCURRENCY', 8),
  /** Loss and frame rate are counted on every k-th WebRTC viewer; all of them are full peers. */
  countEvery: numEnv('BENCH_FANOUT_COUNT_EVERY', 4),
  joinTimeoutMs: numEnv('BENCH_FANOUT_JOIN_TIMEOUT_MS', 10_000),
  /** Whole run, seconds: no new step starts past it. */
  budgetSeconds: numEnv('BENCH_FANOUT_BUDGET', 540),
  fallback: process.env.BENCH_FANOUT_FALLBACK !== '0',
  pin: process.env.BENCH_FANOUT_PIN !== '0',
  targets: { viewersPerCore: 400, joinP95Ms: 500, livekitViewersPerCore: 190 },
  limits: { lossPct: 1, fpsRatio: 0.9, workerCore: 0.95, loadgenBusy: 0.95 },
};

function numEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
}

function listEnv(name: string, fallback: number[]): number[] {
  const v = process.env[name];
  if (!v) return fallback;
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name} must be a comma-separated list of positive integers`);
  return list.sort((a, b) => a - b);
}

const startedAt = performance.now();
const elapsed = () => (performance.now() - startedAt) / 1000;

function log(msg: string): void {
  process.stderr.write(`[bench fanout ${elapsed().toFixed(0).padStart(3)} s] ${msg}\n`);
}

const round = (n: number, digits = 0) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

// --- the load generator (a child process) -------------------------------------------------

class Loadgen {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;

  constructor() {
    this.child = fork(path.join(here, 'fanout', 'loadgen.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let onReady!: () => void;
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.child.on('message', (msg: FromLoadgen) => {
      if (msg.type === 'ready') return onReady();
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (!w) return;
      if (msg.type === 'error') w.reject(new Error(`load generator: ${msg.message}`));
      else w.resolve(msg);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load generator exited (${code})`));
      this.waiting.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async init(url: string, seminarId: string, certificate: PeerCertificate): Promise<void> {
    await this.ready;
    this.child.send({
      type: 'init',
      url,
      seminarId,
      certificate,
      joinTimeoutMs: settings.joinTimeoutMs,
      concurrency: settings.joinConcurrency,
      countEvery: settings.countEvery,
    } satisfies ToLoadgen);
  }

  request<T extends FromLoadgen>(msg: Record<string, unknown> & { type: ToLoadgen['type'] }): Promise<T> {
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.child.send({ ...msg, id });
    return p;
  }

  counters(): Promise<Counters> {
    return this.request<Extract<FromLoadgen, { type: 'counters' }>>({ type: 'counters' }).then((m) => m.counters);
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

// --- one stage: Lectern, the seminar, the lecturer's stream --------------------------------

interface Stage {
  app: Lectern;
  seminarId: string;
  stream: LecturerStream;
  workerPid: number;
}

async function startStage(dataDir: string, clipFile: string, pinning: Pinning): Promise<Stage> {
  await mkdir(dataDir, { recursive: true });
  const app = await startLectern(dataDir);
  const workerPid = app.pool.stats().workers[0]!.pid;
  if (pinning.enabled) taskset(pinning.workerCpus, workerPid);
  const { seminarId, lecturerId } = await seedLiveSeminar(app);
  const stream = await startLecturerStream(app, seminarId, lecturerId, clipFile, Math.ceil(settings.budgetSeconds + 120));
  return { app, seminarId, stream, workerPid };
}

async function stopStage(stage: Stage | undefined): Promise<void> {
  if (!stage) return;
  stage.stream.stop();
  await stage.app.stop().catch(() => undefined);
}

function workerDied(stage: Stage): boolean {
  const s = stage.app.pool.stats();
  return s.replaced > 0 || s.workers[0]?.pid !== stage.workerPid;
}

// --- measuring one window -------------------------------------------------------------------

interface StepResult {
  viewers: number;
  /** CPU of the mediasoup worker, in cores (1 = one core fully busy). */
  workerCores: number;
  /** Worker CPU per viewer, in % of one core; null at N = 0. */
  cpuPerViewerPct: number | null;
  /** Busy fraction of each CPU over the window. */
  coreBusy: number[];
  /** Busy fraction of the cores that are not the worker's (load generator, Lectern, source, Chromium). */
  othersBusy: number;
  loadgenCores: number | null;
  /** Share of the window the worker was runnable but waiting for its core (other work on it). */
  workerWaitFraction: number | null;
  /** The same for the load generator's threads, summed (can exceed 1 with several threads). */
  loadgenWaitFraction: number | null;
  lecternCores: number;
  sourceFps: number;
  sourceSkippedFrames: number;
  stats: WindowStats | null;
  joinFailures: number;
  joinErrors: string[];
  /** node-datachannel viewers: room:join → first complete video frame received (not decoded), ms. */
  loadJoinMs?: { p50: number; p95: number };
  degraded: string[];
  /** Degraded while the worker waited > 10 % of the window for its core: other work on the machine, not the SFU. */
  contended: boolean;
  workerSaturated: boolean;
  loadgenSaturated: boolean;
}

async function measureWindow(
  stage: Stage,
  loadgen: Loadgen | undefined,
  pinning: Pinning,
  viewers: number,
): Promise<Omit<StepResult, 'joinFailures' | 'joinErrors' | 'degraded' | 'contended' | 'workerSaturated' | 'loadgenSaturated'>> {
  const cpu0 = cpuTimes();
  const w0 = processCpuSeconds(stage.workerPid);
  const l0 = processCpuSeconds(loadgen?.pid);
  const me0 = process.cpuUsage();
  const ww0 = runqueueWaitNs(stage.workerPid);
  const lw0 = runqueueWaitNs(loadgen?.pid);
  const s0: SenderStats = await stage.stream.senderStats();
  const c0 = loadgen && viewers > 0 ? await loadgen.counters() : [];
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, settings.windowSeconds * 1000));
  const c1 = loadgen && viewers > 0 ? await loadgen.counters() : [];
  const s1 = await stage.stream.senderStats();
  const seconds = (performance.now() - t0) / 1000;
  const w1 = processCpuSeconds(stage.workerPid);
  const l1 = processCpuSeconds(loadgen?.pid);
  const me = process.cpuUsage(me0);
  const ww1 = runqueueWaitNs(stage.workerPid);
  const lw1 = runqueueWaitNs(loadgen?.pid);
  const busy = busyBetween(cpu0, cpuTimes());
  const workerCores = w0 !== undefined && w1 !== undefined ? (w1 - w0) / seconds : NaN;
  const sourceFrames = s1.framesSent - s0.framesSent;
  const others = pinning.enabled ? pinning.otherCpuList.map((c) => busy[c] ?? 0) : busy;
  return {
    viewers,
    workerCores,
    cpuPerViewerPct: viewers > 0 ? (100 * workerCores) / viewers : null,
    coreBusy: busy.map((b) => round(b, 3)),
    othersBusy: others.reduce((a, b) => a + b, 0) / Math.max(1, others.length),
    loadgenCores: l0 !== undefined && l1 !== undefined ? (l1 - l0) / seconds : null,
    workerWaitFraction: ww0 !== undefined && ww1 !== undefined ? (ww1 - ww0) / 1e9 / seconds : null,
    loadgenWaitFraction: lw0 !== undefined && lw1 !== undefined ? (lw1 - lw0) / 1e9 / seconds : null,
    lecternCores: (me.user + me.system) / 1e6 / seconds,
    sourceFps: sourceFrames / seconds,
    sourceSkippedFrames: s1.framesSkipped - s0.framesSkipped,
    stats: viewers > 0 ? windowStats(c0, c1, sourceFrames, seconds) : null,
  };
}

function judge(r: Omit<StepResult, 'degraded' | 'contended' | 'workerSaturated' | 'loadgenSaturated'>, newViewers: number): StepResult {
  const degraded: string[] = [];
  const s = r.stats;
  if (s) {
    if (s.videoLossPct > settings.limits.lossPct) degraded.push(`video loss ${round(s.videoLossPct, 2)} %`);
    if (s.audioLossPct > settings.limits.lossPct) degraded.push(`audio loss ${round(s.audioLossPct, 2)} %`);
    if (s.fpsRatioMean < settings.limits.fpsRatio) degraded.push(`frame rate ${round(100 * s.fpsRatioMean)} % of the source`);
    if (s.silent > 0) degraded.push(`${s.silent} viewers received nothing`);
  }
  if (newViewers > 0 && r.joinFailures > Math.max(1, 0.01 * newViewers)) degraded.push(`${r.joinFailures} of ${newViewers} joins failed`);
  return {
    ...r,
    degraded,
    contended: degraded.length > 0 && (r.workerWaitFraction ?? 0) > 0.1 && r.workerCores < 0.9,
    workerSaturated: r.workerCores >= settings.limits.workerCore,
    loadgenSaturated: r.othersBusy >= settings.limits.loadgenBusy,
  };
}

// --- the ramp -------------------------------------------------------------------------------

type ClientKind = 'webrtc' | 'plain-srtp';

interface Ramp {
  client: ClientKind;
  baseline: StepResult;
  steps: StepResult[];
  stoppedBecause: string;
  loadedJoins?: JoinSummary;
  /** The worker died during the ramp (the reason, with the step). */
  crashed?: string;
}

async function addPlainSrtpViewers(stage: Stage, loadgen: Loadgen, count: number): Promise<{ ok: number; errors: string[] }> {
  const { ports } = await loadgen.request<Extract<FromLoadgen, { type: 'sinks' }>>({ type: 'open-sinks', count });
  const room = await stage.app.rooms.get(stage.seminarId);
  const caps = viewerRtpCapabilities(room.rtpCapabilities) as any;
  const listenInfo = stage.app.pool.listenInfo('udp');
  const expect: Array<{ port: number; videoSsrc: number; audioSsrc: number }> = [];
  const errors: string[] = [];
  for (const port of ports) {
    try {
      const t = await room.origin.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
      });
      await t.connect({
        ip: '127.0.0.1',
        port,
        srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: randomBytes(30).toString('base64') },
      });
      const v = await t.consume({ producerId: stage.stream.videoProducerId, rtpCapabilities: caps });
      const a = await t.consume({ producerId: stage.stream.audioProducerId, rtpCapabilities: caps });
      expect.push({ port, videoSsrc: v.rtpParameters.encodings![0]!.ssrc!, audioSsrc: a.rtpParameters.encodings![0]!.ssrc! });
    } catch (err) {
      if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  await loadgen.request({ type: 'expect', sinks: expect });
  return { ok: expect.length, errors };
}

async function ramp(
  stage: Stage,
  client: ClientKind,
  pinning: Pinning,
  cert: PeerCertificate,
  chromium: ChromiumRig | undefined,
): Promise<Ramp> {
  const loadgen = new Loadgen();
  try {
    await loadgen.init(stage.app.url, stage.seminarId, cert);
    if (pinning.enabled && loadgen.pid) taskset(pinning.otherCpus, loadgen.pid);
    log(`${client}: N = 0 (ingest only), ${settings.windowSeconds} s window`);
    const baseline = judge({ ...(await measureWindow(stage, loadgen, pinning, 0)), joinFailures: 0, joinErrors: [] }, 0);
    const steps: StepResult[] = [];
    let stoppedBecause = 'all steps done';
    let crashed: string | undefined;
    let loadedJoins: JoinSummary | undefined;
    let current = 0;
    let contendedInARow = 0;
    for (const target of settings.steps) {
      const perStep = settings.settleSeconds + settings.windowSeconds + (target - current) * (client === 'webrtc' ? 0.08 : 0.01) + 5;
      if (elapsed() + perStep > settings.budgetSeconds) {
        stoppedBecause = `time budget (${settings.budgetSeconds} s) reached before N = ${target}`;
        break;
      }
      const add = target - current;
      log(`${client}: adding ${add} viewers (→ ${target})`);
      const t = performance.now();
      let ok = 0;
      let errors: string[] = [];
      let joinMs: number[] = [];
      // Joining is bounded by what is left of the time budget (plus a minute).
      const left = Math.max(10, settings.budgetSeconds + 60 - elapsed()) * 1000;
      const joined = await withTimeout(
        client === 'webrtc'
          ? loadgen
              .request<Extract<FromLoadgen, { type: 'added' }>>({ type: 'add-webrtc', count: add })
              .then((res) => ({ ok: res.ok, errors: res.errors, joinMs: res.joinToFirstFrameMs }))
          : addPlainSrtpViewers(stage, loadgen, add).then((res) => ({ ...res, joinMs: [] as number[] })),
        left,
      );
      if (!joined) {
        stoppedBecause = `time budget (${settings.budgetSeconds} s) ran out while ${add} viewers joined (N → ${target})`;
        break;
      }
      ({ ok, errors, joinMs } = joined);
      current += ok;
      log(
        `${client}: ${ok}/${add} joined in ${round((performance.now() - t) / 1000, 1)} s${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`,
      );
      if (workerDied(stage)) {
        crashed = `the mediasoup worker died while ${add} viewers joined (N → ${target}); errors: ${errors.join(' | ')}`;
        stoppedBecause = 'worker crashed';
        break;
      }
      await new Promise((r) => setTimeout(r, settings.settleSeconds * 1000));
      const m = await measureWindow(stage, loadgen, pinning, current);
      const step = judge(
        {
          ...m,
          joinFailures: add - ok,
          joinErrors: errors,
          ...(joinMs.length ? { loadJoinMs: { p50: round(percentile(joinMs, 50)), p95: round(percentile(joinMs, 95)) } } : {}),
        },
        add,
      );
      steps.push(step);
      const s = step.stats;
      log(
        `${client}: N = ${current}: worker ${round(100 * step.workerCores, 1)} % of a core (${step.cpuPerViewerPct === null ? '-' : round(step.cpuPerViewerPct, 3)} %/viewer, waited ${pct(step.workerWaitFraction)}), ` +
          `cores ${step.coreBusy.map((b) => `${round(100 * b)} %`).join(' / ')}, loss ${s ? round(s.videoLossPct, 2) : '-'} %, fps ${s ? round(s.viewerFpsMean, 1) : '-'} of ${round(step.sourceFps, 1)}` +
          (step.degraded.length ? `; DEGRADED: ${step.degraded.join(', ')}` : ''),
      );
      if (workerDied(stage)) {
        crashed = `the mediasoup worker died during the window at N = ${current}`;
        stoppedBecause = 'worker crashed';
        break;
      }
      if (chromium && !loadedJoins && settings.loadedJoinsAt > 0 && current >= settings.loadedJoinsAt && !step.degraded.length) {
        log(`chromium: ${settings.joins} joins with ${current} viewers in the room`);
        loadedJoins = await chromium.joins(stage, settings.joins, `with ${current} load viewers`);
      }
      // Degraded only because other work took the worker's core, and mildly: go on (once), since
      // this says nothing about the SFU; the steps are marked, and capacity is judged on the others.
      contendedInARow = step.contended ? contendedInARow + 1 : 0;
      const mild = (s?.videoLossPct ?? 0) < 10 && (s?.fpsRatioMean ?? 1) > 0.5;
      if (step.degraded.length && !(step.contended && mild && contendedInARow <= 1)) {
        stoppedBecause = `degraded at N = ${current}: ${step.degraded.join(', ')}${step.contended ? ' (under CPU contention from other work)' : ''}`;
        break;
      }
      if (step.workerSaturated) {
        stoppedBecause = `worker core saturated at N = ${current}`;
        break;
      }
    }
    return { client, baseline, steps, stoppedBecause, ...(loadedJoins ? { loadedJoins } : {}), ...(crashed ? { crashed } : {}) };
  } finally {
    await withTimeout(
      loadgen.request({ type: 'close' }).catch(() => undefined),
      5000,
    );
    loadgen.close();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

// --- Chromium: join → first decoded frame ---------------------------------------------------

interface JoinSummary {
  phase: string;
  joins: number;
  failed: number;
  errors: string[];
  firstFrameMs: { p50: number; p95: number; min: number; max: number } | null;
  /** Medians of the milestones, ms after room:join. */
  medianMarks: Record<string, number>;
  socketConnectMsP50: number | null;
  firstFrameBy: Record<string, number>;
  video: string;
  handler: string;
  workerDied: boolean;
}

interface ChromiumRig {
  joins(stage: Stage, count: number, phase: string): Promise<JoinSummary>;
  close(): Promise<void>;
}

async function startChromium(pageDir: string): Promise<ChromiumRig> {
  await buildPage(pageDir);
  const server = await servePage(pageDir);
  const browser: Browser = await launchChromium();
  return {
    async joins(stage, count, phase) {
      const { results, errors } = await measureJoins(browser, server.url, stage.app.url, stage.seminarId, count, settings.joinTimeoutMs);
      return summariseJoins(phase, count, results, errors, workerDied(stage));
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

function summariseJoins(phase: string, count: number, results: JoinResult[], errors: string[], died: boolean): JoinSummary {
  const ms = results.map((r) => r.firstFrameMs);
  const markNames = [...new Set(results.flatMap((r) => Object.keys(r.marks)))];
  const by: Record<string, number> = {};
  for (const r of results) by[r.firstFrameBy] = (by[r.firstFrameBy] ?? 0) + 1;
  return {
    phase,
    joins: count,
    failed: errors.length,
    errors: [...new Set(errors)].slice(0, 5),
    firstFrameMs: ms.length
      ? { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)), min: round(Math.min(...ms)), max: round(Math.max(...ms)) }
      : null,
    medianMarks: Object.fromEntries(
      markNames.map((n) => [
        n,
        round(
          percentile(
            results.flatMap((r) => (r.marks[n] === undefined ? [] : [r.marks[n]])),
            50,
          ),
        ),
      ]),
    ),
    socketConnectMsP50: results.length
      ? round(
          percentile(
            results.map((r) => r.socketConnectMs),
            50,
          ),
        )
      : null,
    firstFrameBy: by,
    video: results[0] ? `${results[0].codec} ${results[0].videoWidth}x${results[0].videoHeight}` : '',
    handler: results[0]?.handler ?? '',
    workerDied: died,
  };
}

// --- pinning --------------------------------------------------------------------------------

interface Pinning {
  enabled: boolean;
  why: string;
  workerCpus: string;
  otherCpus: string;
  otherCpuList: number[];
}

function planPinning(): Pinning {
  const n = availableParallelism();
  const off = (why: string): Pinning => ({ enabled: false, why, workerCpus: '', otherCpus: '', otherCpuList: [] });
  if (!settings.pin) return off('pinning off (BENCH_FANOUT_PIN=0)');
  if (n < 2) return off('one core: nothing to pin');
  if (!hasTaskset()) return off('taskset not found: nothing pinned');
  const others = Array.from({ length: n - 1 }, (_, i) => i + 1);
  return {
    enabled: true,
    why: `mediasoup worker alone on core 0; everything else (Lectern's Node process, FerretDB, the lecturer stream, the load generator, Chromium) on core${n > 2 ? 's' : ''} ${others.length > 1 ? `1-${n - 1}` : '1'}`,
    workerCpus: '0',
    otherCpus: others.length > 1 ? `1-${n - 1}` : '1',
    otherCpuList: others,
  };
}

// --- the report -----------------------------------------------------------------------------

function pct(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || Number.isNaN(n) ? '–' : `${round(100 * n, digits)} %`;
}

function rampTable(r: Ramp): string {
  const rows = [
    '| N viewers | worker CPU (of 1 core) | CPU per viewer (% of a core) | video loss | audio loss | viewer fps (mean; worst 10 %) / source | Mb/s per viewer | core 0 / core 1… busy (all processes) | worker waited for its core | load gen CPU | joins failed | state |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const s of [r.baseline, ...r.steps]) {
    const st = s.stats;
    const state = s.degraded.length
      ? `${s.contended ? 'contended' : 'degraded'}: ${s.degraded.join(', ')}`
      : s.workerSaturated
        ? 'worker saturated'
        : s.viewers === 0
          ? 'ingest only'
          : s.loadgenSaturated
            ? 'ok (other cores saturated)'
            : 'ok';
    rows.push(
      `| ${s.viewers} | ${pct(s.workerCores)} | ${s.cpuPerViewerPct === null ? '–' : round(s.cpuPerViewerPct, 3)} | ${st ? `${round(st.videoLossPct, 2)} %` : '–'} | ${st ? `${round(st.audioLossPct, 2)} %` : '–'} | ` +
        `${st ? `${round(st.viewerFpsMean, 1)}; ${round(st.fpsRatioP10 * s.sourceFps, 1)} / ${round(s.sourceFps, 1)}` : `– / ${round(s.sourceFps, 1)}`} | ${st ? round(st.viewerMbpsMean, 2) : '–'} | ` +
        `${s.coreBusy.map((b) => `${round(100 * b)} %`).join(' / ')} | ${pct(s.workerWaitFraction)} | ${s.loadgenCores === null ? '–' : pct(s.loadgenCores, 0)} | ${s.joinFailures} | ${state} |`,
    );
  }
  return rows.join('\n');
}

function joinTable(list: JoinSummary[]): string {
  const rows = [
    '| phase | joins | failed | join → first frame p50 | p95 | min–max | median milestones (ms after room:join) |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const j of list) {
    const f = j.firstFrameMs;
    rows.push(
      `| ${j.phase} | ${j.joins} | ${j.failed}${j.workerDied ? ' (worker died)' : ''} | ${f ? `${f.p50} ms` : '–'} | ${f ? `${f.p95} ms` : '–'} | ${f ? `${f.min}–${f.max} ms` : '–'} | ${
        Object.entries(j.medianMarks)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') ||
        (j.errors[0] ?? '')
      } |`,
    );
  }
  return rows.join('\n');
}

interface Capacity {
  client: ClientKind;
  lastHealthy: number;
  workerCoresAtLastHealthy: number;
  cpuPerViewerPct: number | null;
  /** Marginal: (worker CPU at lastHealthy − at N = 0) / lastHealthy, % of a core. */
  marginalCpuPerViewerPct: number | null;
  viewersPerCore: number | null;
  kind: 'measured' | 'extrapolated' | 'none';
  note: string;
}

function capacity(r: Ramp): Capacity {
  const healthy = r.steps.filter((s) => !s.degraded.length);
  const last = healthy[healthy.length - 1];
  const firstBad = r.steps.find((s) => s.degraded.length && !s.contended);
  const contended = r.steps.filter((s) => s.contended).map((s) => s.viewers);
  if (!last) {
    return {
      client: r.client,
      lastHealthy: 0,
      workerCoresAtLastHealthy: 0,
      cpuPerViewerPct: null,
      marginalCpuPerViewerPct: null,
      viewersPerCore: null,
      kind: 'none',
      note: r.crashed ?? `no healthy step (${r.stoppedBecause})`,
    };
  }
  const marginal = last.viewers > 0 ? (100 * (last.workerCores - r.baseline.workerCores)) / last.viewers : null;
  const base = {
    client: r.client,
    lastHealthy: last.viewers,
    workerCoresAtLastHealthy: round(last.workerCores, 3),
    cpuPerViewerPct: last.cpuPerViewerPct === null ? null : round(last.cpuPerViewerPct, 4),
    marginalCpuPerViewerPct: marginal === null ? null : round(marginal, 4),
  };
  if (firstBad && firstBad.workerCores >= 0.9) {
    return {
      ...base,
      viewersPerCore: last.viewers,
      kind: 'measured',
      note: `the worker's core was ${pct(firstBad.workerCores)} busy when quality degraded at N = ${firstBad.viewers}: the SFU is the limit`,
    };
  }
  const starved = firstBad && (firstBad.workerWaitFraction ?? 0) > 0.1;
  const contendedNote = contended.length
    ? `; N = ${contended.join(', ')} degraded while the worker waited for its core (other work on the machine) and are not counted`
    : '';
  const why = firstBad
    ? `quality degraded at N = ${firstBad.viewers} with the worker using only ${pct(firstBad.workerCores)} of a core` +
      (starved
        ? ` while waiting ${pct(firstBad.workerWaitFraction)} of the time for its core, which other work on the machine shared: CPU contention, not the worker's own capacity`
        : ` (other cores ${pct(firstBad.othersBusy)} busy): the load generator or the rest of the machine, not the SFU, was the limit`)
    : r.stoppedBecause;
  return {
    ...base,
    viewersPerCore: last.workerCores > 0 ? Math.floor(last.viewers / last.workerCores) : null,
    kind: 'extrapolated',
    note: `N / worker core fraction at N = ${last.viewers} (${last.viewers} / ${round(last.workerCores, 3)}), linear extrapolation; the ramp stopped: ${why}${contendedNote}`,
  };
}

// --- the run --------------------------------------------------------------------------------

export async function run(): Promise<void> {
  const m = machine();
  const pinning = planPinning();
  // What else is running: this benchmark cannot stop other work on the machine, only report it.
  const idle0 = cpuTimes();
  await new Promise((r) => setTimeout(r, 2000));
  const backgroundBusy = busyBetween(idle0, cpuTimes()).map((b) => round(b, 3));
  const loadAverage = round(loadavg()[0]!, 2);
  if (pinning.enabled) taskset(pinning.otherCpus, process.pid);
  log(`${m.nproc} cores (${m.cpuModel}); ${pinning.why}`);
  log(
    `before starting: cores busy ${backgroundBusy.map((b) => `${round(100 * b)} %`).join(' / ')} (other work on the machine), load average ${loadAverage}`,
  );
  const tmp = await mkdtemp(path.join(tmpdir(), 'lectern-fanout-'));
  let stage: Stage | undefined;
  let chromium: ChromiumRig | undefined;
  const joins: JoinSummary[] = [];
  const ramps: Ramp[] = [];
  let webrtcBlocked: string | undefined;
  try {
    log('encoding the lecturer clip (720p30 H.264) and building the Chromium page');
    const clipFile = await encodeClip(tmp);
    const cert = makePeerCertificate(tmp);
    chromium = await startChromium(path.join(tmp, 'page')).catch((err: Error) => {
      log(`chromium unavailable: ${err.message.split('\n')[0]}`);
      return undefined;
    });

    stage = await startStage(path.join(tmp, 'data-webrtc'), clipFile, pinning);
    log(`Lectern at ${stage.app.url}; worker pid ${stage.workerPid}; lecturer stream playing`);
    await new Promise((r) => setTimeout(r, 2000));

    if (chromium) {
      log(`chromium: ${settings.joins} joins, no other viewers`);
      const idle = await chromium.joins(stage, settings.joins, 'no other viewers');
      joins.push(idle);
      log(
        `chromium: p50 ${idle.firstFrameMs?.p50 ?? '–'} ms, p95 ${idle.firstFrameMs?.p95 ?? '–'} ms, ${idle.failed} failed${idle.errors.length ? `: ${idle.errors.join(' | ')}` : ''}`,
      );
      if (idle.workerDied) webrtcBlocked = `the mediasoup worker died when Chromium (mediasoup-client) connected: ${idle.errors[0] ?? ''}`;
    }
    if (!webrtcBlocked) {
      const r = await ramp(stage, 'webrtc', pinning, cert, chromium);
      ramps.push(r);
      if (r.loadedJoins) joins.push(r.loadedJoins);
      if (r.crashed) webrtcBlocked = r.crashed;
    }
    if (webrtcBlocked) {
      log(`WebRTC viewers cannot be measured: ${webrtcBlocked}`);
      if (settings.fallback) {
        await stopStage(stage);
        stage = await startStage(path.join(tmp, 'data-plain'), clipFile, pinning);
        log(`fallback: SRTP PlainTransport consumers (not WebRTC), fresh Lectern at ${stage.app.url}, worker pid ${stage.workerPid}`);
        await new Promise((r) => setTimeout(r, 2000));
        ramps.push(await ramp(stage, 'plain-srtp', pinning, cert, undefined));
      }
    }
  } finally {
    await chromium?.close();
    await stopStage(stage);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (pinning.enabled) taskset(`0-${m.nproc - 1}`, process.pid);
  }

  const capacities = ramps.map(capacity);
  const webrtc = capacities.find((c) => c.client === 'webrtc' && c.kind !== 'none');
  const idleJoin = joins.find((j) => j.phase === 'no other viewers');
  const verdict = {
    viewersPerCore: webrtc?.viewersPerCore
      ? `${webrtc.viewersPerCore} viewers per core (${webrtc.kind}) vs target ≥ ${settings.targets.viewersPerCore}: ${webrtc.viewersPerCore >= settings.targets.viewersPerCore ? 'meets' : 'misses'} it${webrtc.kind === 'extrapolated' ? ' (extrapolated, not measured)' : ''}; LiveKit publishes about ${settings.targets.livekitViewersPerCore}`
      : `not measured with WebRTC viewers${webrtcBlocked ? `: ${webrtcBlocked}` : ''}`,
    joinToFirstFrame: idleJoin?.firstFrameMs
      ? `p95 ${idleJoin.firstFrameMs.p95} ms vs target ≤ ${settings.targets.joinP95Ms} ms: ${idleJoin.firstFrameMs.p95 <= settings.targets.joinP95Ms ? 'meets' : 'misses'} it`
      : `not measured${idleJoin?.errors.length ? `: ${idleJoin.errors[0]}` : chromium ? '' : ': Chromium unavailable'}`,
  };

  const header = [
    `Machine: ${m.nproc} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, mediasoup ${mediasoupVersion}. ${pinning.why}.`,
    `Other work on the machine before the run: cores ${backgroundBusy.map((b) => `${round(100 * b)} %`).join(' / ')} busy, load average ${loadAverage} (the figures below share the machine with it).`,
    `Source: one lecturer stream, an equivalent RTP test stream: H.264 constrained baseline ${clipSettings.width}x${clipSettings.height} ${clipSettings.fps} fps ~${clipSettings.bitrateKbps} kb/s (one layer, key frame every ${clipSettings.gopSeconds} s and on PLI) + Opus 64 kb/s, on loopback.`,
    `Load viewers: node-datachannel ${nodeDataChannelVersion()} (libdatachannel: ICE, DTLS, SRTP, RTCP receiver reports; does not decode), through Lectern's Socket.IO signalling; every viewer is such a peer, and every ${settings.countEvery === 1 ? '' : `${settings.countEvery}th `}one also counts each RTP packet in JavaScript (loss, frames: the loss and fps columns), which keeps the load generator's own core from saturating first. Join → first frame: Chromium (${chromiumVersion()}) with mediasoup-client, a new page per join.`,
  ];
  const md: string[] = [`### Fan-out (${new Date().toISOString().slice(0, 10)})`, '', ...header.map((l) => `${l}  `), ''];
  for (const r of ramps) {
    md.push(
      r.client === 'webrtc'
        ? '**WebRTC viewers**'
        : '**Fallback, NOT WebRTC: SRTP-encrypted PlainTransport consumers to UDP sockets (no ICE, no DTLS, no signalling)**',
      '',
      rampTable(r),
      '',
      `Ramp stopped: ${r.stoppedBecause}.`,
      '',
    );
  }
  if (joins.length) md.push('**Join → first decoded frame (Chromium)**', '', joinTable(joins), '');
  md.push('**Verdict**', '');
  for (const c of capacities)
    md.push(
      `- ${c.client}: ${c.viewersPerCore ?? '–'} viewers per core (${c.kind}); CPU per viewer ${c.cpuPerViewerPct ?? '–'} % of a core (marginal ${c.marginalCpuPerViewerPct ?? '–'} %). ${c.note}.`,
    );
  md.push(`- Viewers per core: ${verdict.viewersPerCore}.`, `- Join → first frame: ${verdict.joinToFirstFrame}.`);
  if (m.nproc <= 2)
    md.push(
      `- Measured on a ${m.nproc}-core machine: the load generator shares the machine with the SFU; no 16-core machine was available.`,
    );
  const markdown = md.join('\n');

  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    path.join(resultsDir, 'fanout.json'),
    JSON.stringify(
      {
        benchmark: 'fanout',
        date: new Date().toISOString(),
        machine: m,
        source: sourceState(),
        pinning,
        backgroundBusy,
        loadAverage,
        settings,
        stream: { ...clipSettings, audio: 'Opus 64 kb/s' },
        clients: { load: `node-datachannel ${nodeDataChannelVersion()}`, joins: `Chromium ${chromiumVersion()} + mediasoup-client` },
        webrtcBlocked: webrtcBlocked ?? null,
        ramps,
        capacities,
        joins,
        verdict,
        markdown,
      },
      null,
      2,
    ) + '\n',
  );
  await writeFile(path.join(resultsDir, 'fanout.md'), markdown + '\n');
  process.stdout.write(`\n${markdown}\n\n`);
  log(`results in ${path.relative(process.cwd(), path.join(resultsDir, 'fanout.json'))} and fanout.md`);
}

function nodeDataChannelVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(path.join(here, '..', 'node_modules', 'node-datachannel', 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '?';
  }
}

function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .replace(/^Chromium /, '')
      .split(' ')[0]!;
  } catch {
    return 'unavailable';
  }
}

// Standalone: node --import tsx bench/fanout.ts
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`[bench fanout] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
