// Benchmark: fan-out with every viewer verified (issue 17). `npm run bench -- fanout-verified`.
// - Source: the lecturer's camera as three simulcast layers (the studio page's sizes and
//   bitrates) into one PlainTransport producer, answering PLI with a key frame on its next frame
//   slot, plus Opus (bench/fanout-verified/source.ts).
// - Viewers: pion/webrtc peers in one Go process (bench/viewers, built and cached by its
//   build.sh), joined through Lectern's Socket.IO signalling by a Node child process
//   (signaller.ts). They negotiate what Chromium does (transport-cc, NACK, PLI, RTX, receiver
//   reports) and send that feedback; each counts every packet and reassembles H.264 frames.
//   60 % ask for the top layer, 30 % the middle, 10 % the low one (consumer:preferences).
// - Healthy: every viewer gets ≥ 95 % of the source's frames (decodable, reassembled) and
//   ≤ 1 % loss after NACK, in each window. The ramp stops at the first unhealthy viewer or a
//   saturated core.
// - CPU from /proc: the worker (pinned alone to core 0), Lectern's Node process, FerretDB: the
//   node an operator runs; the load (signaller + Go) and the source are measured apart.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mediasoupVersion } from '../media';
import type { Lectern } from '../server/main';
import { busyBetween, cpuTimes, hasTaskset, taskset } from './fanout/measure';
import { seedLiveSeminar, startLectern } from './fanout/stage';
import { LayerFit, type LayerFitReport } from './fanout-verified/layer-fit';
import { judgeViewers, limits, summarise, type PoolSummary, type ViewerWindow } from './fanout-verified/judge';
import { lighterThanAsked, renderMarkdown } from './fanout-verified/report';
import type { CountersReply, FromSignaller, JoinTiming, Negotiated, ToSignaller } from './fanout-verified/signaller';
import { clipSettings, encodeLayers, layerSettings, startSimulcastSource, type SimulcastSource } from './fanout-verified/source';
import type { SimulcastStats } from './fanout-verified/sender';
import { machine, processCpuSeconds, sourceState } from './lib/machine';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

function numEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
}

export const settings = {
  steps: (process.env.BENCH_FV_STEPS ?? '25,50,100,200,300,400,500,600,800')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0),
  /** After joining: long enough for transport-cc bandwidth estimation to reach the top layer. */
  settleSeconds: numEnv('BENCH_FV_SETTLE', 8),
  windowSeconds: numEnv('BENCH_FV_WINDOW', 10),
  joinConcurrency: numEnv('BENCH_FV_JOIN_CONCURRENCY', 8),
  joinTimeoutMs: numEnv('BENCH_FV_JOIN_TIMEOUT_MS', 15_000),
  /** A packet still missing this long after a later one arrived is lost (NACK gave up). */
  maxWaitMs: numEnv('BENCH_FV_MAX_WAIT_MS', 1000),
  budgetSeconds: numEnv('BENCH_FV_BUDGET', 600),
  /** Layer mix: shares asking for the low, middle and top layer. */
  mix: [0.1, 0.3, 0.6],
  limits: { ...limits, core: 0.95 },
  target: { viewersPerWorkerCore: 400, livekitPerCore: 190 },
};

const startedAt = performance.now();
const elapsed = () => (performance.now() - startedAt) / 1000;
const log = (msg: string) => process.stderr.write(`[bench fanout-verified ${elapsed().toFixed(0).padStart(3)} s] ${msg}\n`);
const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;

/** The layer viewer number i asks for: a fixed interleaving of the mix (60 % top, 30 % middle, 10 % low). */
export function layerFor(i: number): number {
  const k = i % 10;
  return k < 6 ? 2 : k < 9 ? 1 : 0;
}

export class Audience {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  goPid: number | undefined;

  constructor() {
    this.child = fork(path.join(here, 'fanout-verified', 'signaller.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    this.child.on('message', (msg: FromSignaller) => {
      if (msg.type === 'ready') return onReady();
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (!w) return;
      if (msg.type === 'error') w.reject(new Error(`audience: ${msg.message}`));
      else w.resolve(msg);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the audience process exited (${code})`));
      this.waiting.clear();
    });
  }

  request<T extends FromSignaller>(msg: Record<string, unknown> & { type: ToSignaller['type'] }, timeoutMs = 600_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`audience: no answer to ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...msg, id });
    });
  }

  counters(): Promise<CountersReply> {
    return this.request<Extract<FromSignaller, { type: 'counters' }>>({ type: 'counters' }, 60_000).then((m) => m.counters);
  }

  async close(): Promise<void> {
    await this.request({ type: 'close' }, 10_000).catch(() => undefined);
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

/** The pid of the embedded FerretDB: this process's child whose command line names ferretdb. */
function ferretPid(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('ferretdb')) return Number(d);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

export interface StepResult {
  viewers: number;
  joined: number;
  joinFailures: number;
  joinErrors: string[];
  seconds: number;
  sourceFrames: number;
  sourceSlotsSkipped: number;
  /** Packets the SFU NACKed from the source and those the source resent (RTX), all layers. */
  sourceNacked: number;
  sourceRetransmitted: number;
  keyFrameRequestsPerSecond: number[];
  /** CPU in cores (1 = one core fully busy). */
  cpu: { worker: number; lectern: number; database: number; node: number; audience: number; source: number };
  coreBusy: number[];
  loadAverage: number;
  workerWaitFraction: number | null;
  /** UDP datagrams the kernel dropped for full receive buffers (machine-wide, /proc/net/snmp): a starved reader, not the network. */
  udpReceiveBufferDrops: number | null;
  /** Of those, per process group: the worker's sockets, the Go viewers', the source's. */
  udpDropsBy: Record<string, number>;
  pool: PoolSummary | null;
  /** Read after the window: each video consumer's preferred and sent layer, with its link's estimate. */
  layerFit: LayerFitReport;
  /** Every viewer's window, for the record. */
  perViewer: Array<Pick<ViewerWindow, 'viewer' | 'askedLayer' | 'receivedLayer' | 'frameRatio' | 'videoLossPct' | 'audioLossPct' | 'plis'>>;
  join?: { p50: number; p95: number; max: number };
  verdict: string;
}

/**
 * Datagrams dropped at the receive buffers of each process's UDP sockets (/proc/net/udp's drops
 * column, matched to the processes' socket inodes): where packets were lost when a reader starved.
 */
function udpDropsOf(pids: Record<string, number[]>): Record<string, number> {
  const drops = new Map<string, number>();
  try {
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 13) drops.set(f[9]!, Number(f[12]));
    }
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(pids)) {
    let sum = 0;
    for (const pid of list) {
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          try {
            const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
            if (m) sum += drops.get(m[1]!) ?? 0;
          } catch {
            /* closed meanwhile */
          }
        }
      } catch {
        /* gone */
      }
    }
    out[name] = sum;
  }
  return out;
}

/** RcvbufErrors of the Udp line in /proc/net/snmp. */
function udpReceiveBufferErrors(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const k = names.indexOf('RcvbufErrors');
    return k < 0 ? undefined : Number(values[k]);
  } catch {
    return undefined;
  }
}

function runqueueWaitNs(pid: number): number | undefined {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`))
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
    return total;
  } catch {
    return undefined;
  }
}

export interface Rig {
  app: Lectern;
  workerPid: number;
  dbPid: number | undefined;
  source: SimulcastSource;
  audience: Audience;
  layerFit: LayerFit;
}

export async function measure(
  rig: Rig,
  viewers: number,
): Promise<Omit<StepResult, 'joined' | 'joinFailures' | 'joinErrors' | 'join' | 'verdict'>> {
  const pids = {
    worker: [rig.workerPid],
    database: rig.dbPid ? [rig.dbPid] : [],
    audience: [rig.audience.child.pid, rig.audience.goPid].filter((p): p is number => p !== undefined),
    source: rig.source.pids,
  };
  const cpuOf = (list: number[]) => list.reduce((s, p) => s + (processCpuSeconds(p) ?? 0), 0);
  const read = () => ({
    worker: cpuOf(pids.worker),
    database: cpuOf(pids.database),
    audience: cpuOf(pids.audience),
    source: cpuOf(pids.source),
  });
  const c0 = read();
  const me0 = process.cpuUsage();
  const cores0 = cpuTimes();
  const wait0 = runqueueWaitNs(rig.workerPid);
  const udp0 = udpReceiveBufferErrors();
  const dropPids = { worker: pids.worker, viewers: pids.audience, source: pids.source };
  const by0 = udpDropsOf(dropPids);
  const s0: SimulcastStats = await rig.source.stats();
  const v0 = viewers ? await rig.audience.counters() : undefined;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, settings.windowSeconds * 1000));
  const v1 = viewers ? await rig.audience.counters() : undefined;
  const s1 = await rig.source.stats();
  const seconds = (performance.now() - t0) / 1000;
  const c1 = read();
  const me = process.cpuUsage(me0);
  const wait1 = runqueueWaitNs(rig.workerPid);
  const udp1 = udpReceiveBufferErrors();
  const by1 = udpDropsOf(dropPids);
  const lectern = (me.user + me.system) / 1e6 / seconds;
  const per = (k: keyof typeof c0) => (c1[k] - c0[k]) / seconds;
  const cpu = { worker: per('worker'), lectern, database: per('database'), node: 0, audience: per('audience'), source: per('source') };
  cpu.node = cpu.worker + cpu.lectern + cpu.database;
  // The source's frame slots in the counters' window (each slot is one frame in every layer).
  const sourceFrames = s1.frameSlots - s0.frameSlots;
  const list = v0 && v1 ? judgeViewers(v0, v1, sourceFrames, seconds) : [];
  const layerFit = await rig.layerFit.read();
  return {
    viewers,
    seconds,
    sourceFrames,
    sourceSlotsSkipped: s1.slotsSkipped - s0.slotsSkipped,
    sourceNacked: s1.layers.reduce((n, l, i) => n + l.nacked - (s0.layers[i]?.nacked ?? 0), 0),
    sourceRetransmitted: s1.layers.reduce((n, l, i) => n + l.retransmitted - (s0.layers[i]?.retransmitted ?? 0), 0),
    keyFrameRequestsPerSecond: s1.layers.map((l, i) => round((l.keyFrameRequests - (s0.layers[i]?.keyFrameRequests ?? 0)) / seconds, 2)),
    cpu: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v, 3)])) as StepResult['cpu'],
    coreBusy: busyBetween(cores0, cpuTimes()).map((b) => round(b, 3)),
    loadAverage: round(loadavg()[0]!, 2),
    workerWaitFraction: wait0 !== undefined && wait1 !== undefined ? round((wait1 - wait0) / 1e9 / seconds, 3) : null,
    udpReceiveBufferDrops: udp0 !== undefined && udp1 !== undefined ? udp1 - udp0 : null,
    udpDropsBy: Object.fromEntries(Object.entries(by1).map(([k, v]) => [k, v - (by0[k] ?? 0)])),
    pool: list.length ? summarise(list, seconds) : null,
    layerFit,
    perViewer: list.map((v) => ({
      viewer: v.viewer,
      askedLayer: v.askedLayer,
      receivedLayer: v.receivedLayer,
      frameRatio: round(v.frameRatio, 4),
      videoLossPct: round(v.videoLossPct, 3),
      audioLossPct: round(v.audioLossPct, 3),
      plis: v.plis,
    })),
  };
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** BENCH_FV_DEBUG=1: what the SFU's consumers do (type, layers, scores), for finding why viewers get nothing. */
async function watchConsumers(): Promise<void> {
  const mediasoup = await import('mediasoup');
  mediasoup.observer.on('newworker', (w) =>
    w.observer.on('newrouter', (r) =>
      r.observer.on('newtransport', (t) => {
        (t as any).on?.('dtlsstatechange', (st: string) => log(`transport ${t.id.slice(0, 8)} dtls ${st}`));
        (t as any).on?.('icestatechange', (st: string) => log(`transport ${t.id.slice(0, 8)} ice ${st}`));
        if (process.env.BENCH_FV_BWE) {
          (t as any).enableTraceEvent?.(['bwe', 'probation']).catch(() => undefined);
          let probes = 0;
          (t as any).on?.('trace', (tr: any) => {
            if (tr.type === 'probation') probes++;
            else log(`transport ${t.id.slice(0, 8)} bwe ${JSON.stringify(tr.info)} probes ${probes}`);
          });
          const timer = setInterval(() => {
            t.getStats().then(
              (st: any[]) => {
                const x = st[0] ?? {};
                log(
                  `transport ${t.id.slice(0, 8)} send ${Math.round(x.sendBitrate / 1000)} kb/s probation ${Math.round((x.probationSendBitrate ?? 0) / 1000)} avail ${Math.round((x.availableOutgoingBitrate ?? 0) / 1000)} lossSent ${x.rtpPacketLossSent ?? '-'} lossRecv ${x.rtpPacketLossReceived ?? '-'}`,
                );
              },
              () => clearInterval(timer),
            );
          }, 1000);
          t.observer.once('close', () => clearInterval(timer));
        }
        t.observer.on('newconsumer', (c) => {
          log(`consumer ${c.id.slice(0, 8)} ${c.kind} ${c.type} paused=${c.paused}`);
          c.on('layerschange', (l) => log(`consumer ${c.id.slice(0, 8)} layers ${JSON.stringify(l)}`));
          setTimeout(() => {
            c.getStats().then(
              (st) =>
                log(
                  `consumer ${c.id.slice(0, 8)} after 4 s: paused=${c.paused} producerPaused=${c.producerPaused} ${JSON.stringify(st.map((x: any) => [x.type, x.ssrc, x.packetCount, x.score]))}`,
                ),
              (err: Error) => log(`consumer stats: ${err.message}`),
            );
          }, 4000);
        });
      }),
    ),
  );
}

/**
 * Lectern in this process, its worker on core 0, the seminar, the simulcast source, and the
 * audience (not yet joined). `env`: Lectern's settings beyond the bench's own (the storm varies
 * KEY_FRAME_REQUEST_DELAY_MS).
 */
export async function startRig(
  tmp: string,
  others: string | undefined,
  viewersBin: string,
  joinTimeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<Rig> {
  const pin = others !== undefined;
  log('encoding the three layers');
  const layerFiles = await encodeLayers(tmp);
  await mkdir(path.join(tmp, 'data'), { recursive: true });
  const layerFit = await LayerFit.watch();
  // A rig that fails half way stops what it started: the watcher would otherwise keep counting the next rig's consumers.
  let app: Lectern | undefined;
  try {
    app = await startLectern(path.join(tmp, 'data'), env);
    const workerPid = app.pool.stats().workers[0]!.pid;
    if (pin) taskset('0', workerPid);
    const { seminarId, lecturerId } = await seedLiveSeminar(app);
    const dbPid = ferretPid();
    const source = await startSimulcastSource(app, seminarId, lecturerId, layerFiles, settings.budgetSeconds + 300);
    if (others) for (const p of source.pids) taskset(others, p);
    const audience = new Audience();
    const rig: Rig = { app, workerPid, dbPid, source, audience, layerFit };
    await audience.ready;
    const room = await app.rooms.get(seminarId);
    const inited = await audience.request<Extract<FromSignaller, { type: 'inited' }>>({
      type: 'init',
      url: app.url,
      seminarId,
      viewersBin,
      routerRtpCapabilities: room.rtpCapabilities,
      joinTimeoutMs,
      maxWaitMs: settings.maxWaitMs,
    });
    audience.goPid = inited.goPid;
    if (others) for (const p of [audience.child.pid, audience.goPid]) if (p) taskset(others, p);
    log(`Lectern at ${app.url}; worker ${workerPid} on core 0; FerretDB ${dbPid ?? 'not found'}; Go viewers ${audience.goPid}`);
    return rig;
  } catch (err) {
    layerFit.stop();
    await app?.stop().catch(() => undefined);
    throw err;
  }
}

export async function stopRig(rig: Rig | undefined): Promise<void> {
  await rig?.audience.close();
  rig?.source.stop();
  await rig?.app.stop().catch(() => undefined);
  rig?.layerFit.stop();
}

/** Builds the Go viewers (cached), failing with what to do. */
export function buildViewers(): string {
  try {
    return execFileSync('bash', [path.join(here, 'viewers', 'build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    throw new Error('could not build the Go load client (bench/viewers/build.sh): see its error above');
  }
}

export async function run(): Promise<void> {
  if (process.env.BENCH_FV_DEBUG) await watchConsumers();
  const m = machine();
  const pin = hasTaskset() && m.nproc >= 2 && process.env.BENCH_FV_PIN !== '0';
  const others = `1-${m.nproc - 1}`;
  const idle0 = cpuTimes();
  await new Promise((r) => setTimeout(r, 2000));
  const backgroundBusy = busyBetween(idle0, cpuTimes()).map((b) => round(b, 3));
  const loadBefore = loadavg().map((l) => round(l, 2));
  if (pin) taskset(others, process.pid);
  log(
    `${m.nproc} cores (${m.cpuModel}); before: cores ${backgroundBusy.map((b) => `${round(100 * b)} %`).join(' / ')} busy, load ${loadBefore.join(' ')}`,
  );

  log('building the Go viewers (cached)');
  let viewersBin: string;
  try {
    viewersBin = execFileSync('bash', [path.join(here, 'viewers', 'build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    throw new Error('could not build the Go load client (bench/viewers/build.sh): see its error above');
  }

  const tmp = await mkdtemp(path.join(tmpdir(), 'lectern-fanout-verified-'));
  let rig: Rig | undefined;
  const steps: StepResult[] = [];
  let stoppedBecause = 'all steps done';
  let negotiated: Negotiated | undefined;
  let baseline: StepResult | undefined;
  try {
    rig = await startRig(tmp, pin ? others : undefined, viewersBin, settings.joinTimeoutMs);
    await new Promise((r) => setTimeout(r, 2000));
    baseline = { ...(await measure(rig, 0)), joined: 0, joinFailures: 0, joinErrors: [], verdict: 'ingest only' };
    log(`N = 0: worker ${round(100 * baseline.cpu.worker, 1)} % of a core`);

    let current = 0;
    for (const target of settings.steps) {
      const add = target - current;
      if (elapsed() + settings.settleSeconds + settings.windowSeconds + add * 0.1 > settings.budgetSeconds) {
        stoppedBecause = `time budget (${settings.budgetSeconds} s) reached before N = ${target}`;
        break;
      }
      log(`adding ${add} viewers (→ ${target})`);
      const t = performance.now();
      const added = await rig.audience.request<Extract<FromSignaller, { type: 'added' }>>({
        type: 'add',
        layers: Array.from({ length: add }, (_, i) => layerFor(current + i)),
        concurrency: settings.joinConcurrency,
        spacingMs: 0,
      });
      negotiated ??= added.negotiated;
      current += added.ok;
      log(
        `${added.ok}/${add} joined in ${round((performance.now() - t) / 1000, 1)} s${added.errors.length ? `; errors: ${added.errors.join(' | ')}` : ''}`,
      );
      await new Promise((r) => setTimeout(r, settings.settleSeconds * 1000));
      const r = await measure(rig, current);
      const first = added.joins.map((j: JoinTiming) => j.firstFrameMs);
      const p = r.pool;
      const bad: string[] = [];
      if (p && p.unhealthy) bad.push(`${p.unhealthy} of ${p.viewers} viewers unhealthy`);
      if (p && p.viewers < current) bad.push(`${current - p.viewers} viewers not counted`);
      if (added.failed) bad.push(`${added.failed} joins failed`);
      const saturated = r.cpu.worker >= settings.limits.core ? 'worker core saturated' : undefined;
      // The other cores are shared with other work on this machine: recorded (coreBusy, load average), not a stop.
      const othersSaturated = undefined;
      const step: StepResult = {
        ...r,
        joined: added.ok,
        joinFailures: added.failed,
        joinErrors: added.errors,
        ...(first.length
          ? { join: { p50: round(percentile(first, 50)), p95: round(percentile(first, 95)), max: round(Math.max(...first)) } }
          : {}),
        verdict: bad.length ? bad.join(', ') : (saturated ?? othersSaturated ?? 'healthy'),
      };
      steps.push(step);
      log(
        `N = ${current}: ${step.verdict}; worker ${round(100 * r.cpu.worker, 1)} %, node ${round(100 * r.cpu.node, 1)} %, audience ${round(100 * r.cpu.audience, 1)} % of a core; ` +
          `cores ${r.coreBusy.map((b) => `${round(100 * b)} %`).join(' / ')}; frames worst ${p ? round(100 * p.worstFrameRatio, 1) : '-'} %, p5 ${p ? round(100 * p.p5FrameRatio, 1) : '-'} %; ` +
          `loss worst ${p ? round(p.worstVideoLossPct, 2) : '-'} %; below asked layer ${p?.belowAskedLayer ?? '-'}; key-frame requests/s ${r.keyFrameRequestsPerSecond.join('/')}; worker waited ${r.workerWaitFraction ?? '-'}, UDP drops ${r.udpReceiveBufferDrops ?? '-'} (${JSON.stringify(r.udpDropsBy)}), source slots skipped ${r.sourceSlotsSkipped}, NACKed/resent at the source ${r.sourceNacked}/${r.sourceRetransmitted}; ` +
          `layers ${r.layerFit.layerKbps.join('/')} kb/s, by preferred layer: ${r.layerFit.byPreferred.map((f) => `${f.preferred}: ${f.consumers} (${f.below} below, estimates ${f.belowAvailKbps.join(' ')}; on layer min/p50 ${f.onLayerAvailKbps ? `${f.onLayerAvailKbps.min}/${f.onLayerAvailKbps.p50}` : '-'})`).join(', ')}`,
      );
      if (bad.length) {
        stoppedBecause = `unhealthy at N = ${current}: ${bad.join(', ')}`;
        break;
      }
      if (saturated || othersSaturated) {
        stoppedBecause = `${saturated ?? othersSaturated} at N = ${current}`;
        break;
      }
    }
  } finally {
    await stopRig(rig);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (pin) taskset(`0-${m.nproc - 1}`, process.pid);
  }

  const healthy = steps.filter((s) => s.verdict === 'healthy' || s.verdict.endsWith('saturated'));
  const last = healthy.filter((s) => !s.verdict.includes('unhealthy')).at(-1);
  const result = {
    benchmark: 'fanout-verified',
    date: new Date().toISOString(),
    machine: m,
    mediasoup: mediasoupVersion,
    database: process.env.MONGODB_URI ? 'MongoDB (MONGODB_URI)' : 'embedded FerretDB on SQLite',
    source: sourceState(),
    pinned: pin ? `mediasoup worker alone on core 0; Lectern, FerretDB, source and load on ${others}` : 'not pinned',
    backgroundBusy,
    loadBefore,
    loadAfter: loadavg().map((l) => round(l, 2)),
    settings,
    stream: { layers: layerSettings, ...clipSettings, audio: 'Opus 64 kb/s' },
    negotiated: negotiated ?? null,
    baseline: baseline ?? null,
    steps,
    stoppedBecause,
    capacity: last
      ? {
          lastHealthyViewers: last.viewers,
          workerCores: last.cpu.worker,
          nodeCores: last.cpu.node,
          viewersPerWorkerCore: Math.floor(last.viewers / Math.max(last.cpu.worker, 1e-6)),
          viewersPerNodeCore: Math.floor(last.viewers / Math.max(last.cpu.node, 1e-6)),
          kind:
            last.cpu.worker >= 0.9 ? 'measured (worker core near saturation)' : 'extrapolated from the worker CPU at the last healthy step',
        }
      : null,
  };
  // The verdict the table prints, kept with the figure for whoever reads the file.
  if (result.capacity) {
    const lighter = lighterThanAsked(result);
    Object.assign(result.capacity, {
      judged: !lighter,
      ...(lighter ? { notJudgedBecause: `${lighter.belowAskedLayer} of ${lighter.viewers} viewers below the layer they asked for` } : {}),
    });
  }
  const markdown = renderMarkdown(result);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'fanout-verified.json'), JSON.stringify({ ...result, markdown }, null, 2) + '\n');
  process.stdout.write(`\n${markdown}\n\n`);
  log(
    'results in bench/results/fanout-verified.json; `node --import tsx bench/fanout-verified/report.ts --readme` puts the table into README.md',
  );
}

export type FanoutVerifiedResult = Parameters<typeof renderMarkdown>[0];

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`[bench fanout-verified] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
