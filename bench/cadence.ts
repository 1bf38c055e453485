// Benchmark: watch progress at the cadence real players keep. N learners each send a heartbeat
// every 10 s at a random phase of their own, and leave the page (a beacon, token in the body)
// every 5 minutes; N is ramped up until the server stops being healthy:
//   - heartbeat p99 ≤ 50 ms, counted from each request's due time (open loop), every answer 202;
//   - the flush keeps up: every flush ends before the next one is due (PROGRESS_FLUSH_MS);
//   - the buffer does not grow over the measured window.
// The answer is the largest healthy N. Then every learner leaves (a last beacon), Lectern is
// stopped at once and started again on the same data, and every learner's stored intervals are
// checked against what the server answered 202 to: no heartbeat may be lost.
//
// Layout (they share the machine's cores, so each one's CPU is printed):
// - this process: Lectern, in-process as the tests start it (NODE_ENV=production, one mediasoup
//   worker, the embedded FerretDB 1.24.2 on SQLite under a temp DATA_DIR, its own process);
// - a child process (bench/lib/cadence-loadgen.ts): the players, over a keep-alive pool of
//   CADENCE_CONNECTIONS sockets, as a reverse proxy's upstream pool would carry them.
// Learners are token holders: the server issues each an access token (role learner) for a user id
// of its own; a heartbeat reads no user document, so creating accounts would change nothing measured.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Config } from '../server/config';
import { createLogger } from '../server/logger';
import { start, type Lectern } from '../server/main';
import type { FlushReport } from '../server/progress/service';
import type { FromCadenceLoadgen, ToCadenceLoadgen, WindowSummary } from './lib/cadence-loadgen';
import { intEnv } from './lib/env';
import type { Learner, LearnerState } from './lib/heartbeats';
import { adminToken, benchConfig } from './lib/lectern';
import { busyCoresSince, machine, machineBusyPercent, machineCpuSnapshot, processCpuSeconds, sourceState } from './lib/machine';
import { startProfile, type ProfileSummary } from './lib/profile';
import { call } from './lib/rest';
import { DEFAULT_PRIVACY_POLICY } from '../server/config';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const settings = {
  /** Learners of the first step, added per step, and the most tried. */
  start: intEnv('CADENCE_START', 2000),
  step: intEnv('CADENCE_STEP', 2000),
  max: intEnv('CADENCE_MAX', 30_000),
  /** Per step: a warm-up (at least one whole period, so every newcomer's record exists), then the measured window. */
  warmupSeconds: intEnv('CADENCE_WARMUP', 12),
  durationSeconds: intEnv('CADENCE_DURATION', 30),
  connections: intEnv('CADENCE_CONNECTIONS', 64),
  contents: intEnv('CADENCE_CONTENTS', 20),
  flushIntervalMs: intEnv('PROGRESS_FLUSH_MS', 1000),
  /** Profile the server process in the measured window of this step's N (numbers of that step then carry the overhead). */
  profileAt: process.env.CADENCE_PROFILE_AT ? intEnv('CADENCE_PROFILE_AT', 1) : undefined,
  /** Measurements of a step before it counts as unhealthy. */
  attempts: intEnv('CADENCE_ATTEMPTS', 3),
  periodSeconds: 10,
  pageSessionMinutes: 5,
  target: { learners: 10_000, floor: 5000, maxP99Ms: 50 },
};

const ADMIN_EMAIL = 'admin@bench.lectern';
const PASSWORD = 'correct horse battery';

function log(msg: string): void {
  process.stderr.write(`[bench cadence] ${msg}\n`);
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

// --- the scene ----------------------------------------------------------------------------

/** An admin, a lecturer and `contents` scheduled seminars, on which learners may report progress. */
async function seedContents(app: Lectern): Promise<string[]> {
  const base = app.url;
  const register = async (email: string) => {
    const res = await call(base, 'POST', '/auth/register', {
      body: {
        email,
        password: PASSWORD,
        displayName: 'Бенчмарк',
        locale: 'ru',
        consent: { policyVersion: DEFAULT_PRIVACY_POLICY.version, accepted: true },
      },
    });
    if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${res.text}`);
    return { id: res.body.user.id as string, token: res.body.accessToken as string };
  };
  await register(ADMIN_EMAIL);
  const admin = { token: await adminToken(app, ADMIN_EMAIL, PASSWORD) };
  const lecturer = await register('lecturer@bench.lectern');
  const grant = await call(base, 'PUT', `/users/${lecturer.id}/roles`, { token: admin.token, body: { roles: ['lecturer'] } });
  if (grant.status !== 200) throw new Error(`grant lecturer: ${grant.status} ${grant.text}`);
  const login = await call(base, 'POST', '/auth/login', { body: { email: 'lecturer@bench.lectern', password: PASSWORD } });
  if (login.status !== 200) throw new Error(`login lecturer: ${login.status} ${login.text}`);
  const token = login.body.accessToken as string;
  const ids: string[] = [];
  for (let i = 0; i < settings.contents; i++) {
    const res = await call(base, 'POST', '/seminars', {
      token,
      body: { title: `Запись ${i + 1}: маркетинг`, track: 'marketing', startsAt: '2030-03-01T18:30', durationMinutes: 90, capacity: 1000 },
    });
    if (res.status !== 201) throw new Error(`create seminar: ${res.status} ${res.text}`);
    const scheduled = await call(base, 'POST', `/seminars/${res.body.id}/transitions`, { token, body: { to: 'scheduled' } });
    if (scheduled.status !== 200) throw new Error(`schedule seminar: ${scheduled.status} ${scheduled.text}`);
    ids.push(res.body.id as string);
  }
  return ids;
}

// --- the load generator -------------------------------------------------------------------

class Loadgen {
  private nextId = 1;
  private readonly waiting = new Map<number, (msg: FromCadenceLoadgen) => void>();
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;

  constructor() {
    this.child = fork(path.join(here, 'lib', 'cadence-loadgen.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve) => {
      const first = (msg: FromCadenceLoadgen) => {
        if (msg.type !== 'ready') return;
        this.child.off('message', first);
        resolve();
      };
      this.child.on('message', first);
    });
    this.child.on('message', (msg: FromCadenceLoadgen) => {
      if (!('id' in msg)) return;
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      w?.(msg);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async ask<T extends FromCadenceLoadgen['type']>(
    msg: DistributiveOmit<ToCadenceLoadgen, 'id'>,
    expect: T,
  ): Promise<Extract<FromCadenceLoadgen, { type: T }>> {
    await this.ready;
    const id = this.nextId++;
    const answer = new Promise<FromCadenceLoadgen>((resolve) => this.waiting.set(id, resolve));
    this.child.send({ ...msg, id });
    const got = await answer;
    if (got.type === 'error') throw new Error(`load generator: ${got.message}`);
    if (got.type !== expect) throw new Error(`load generator answered ${got.type}, not ${expect}`);
    return got as Extract<FromCadenceLoadgen, { type: T }>;
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

// --- one step of the ramp -----------------------------------------------------------------

interface StepResult {
  learners: number;
  attempt: number;
  /** Heartbeats a second the cadence asks for: learners / 10 s. */
  offeredPerSec: number;
  load: WindowSummary;
  flushes: {
    count: number;
    recordsPerFlush: number;
    meanMs: number;
    p99Ms: number;
    maxMs: number;
    /** Flushes that ended after the next one was due. */
    late: number;
    /** Written per record, in µs of wall time: the flush's cost per learner. */
    msPerRecord: number;
    conflicts: number;
    requeued: number;
    errors: number;
    /** Records buffered when each flush began: mean over the first and the last third of the window. */
    bufferedFirstThird: number;
    bufferedLastThird: number;
    bufferedMax: number;
  };
  cpuCores: { server: number; database: number | null; loadgen: number | null; wholeMachine: number | null; others: number | null };
  eventLoopDelayMs: { p99: number; max: number };
  loadAverage: number;
  healthy: boolean;
  why: string[];
  /** What makes the figures doubtful rather than unhealthy: the machine short of CPU. */
  notes: string[];
  profile?: ProfileSummary;
}

async function runStep(app: Lectern, loadgen: Loadgen, learners: number, profile: boolean, attempt: number): Promise<StepResult> {
  log(`${learners} learners: warm-up ${settings.warmupSeconds} s`);
  await sleep(settings.warmupSeconds * 1000);
  const reports: FlushReport[] = [];
  const unsubscribe = app.domain.progress.onFlush((r) => reports.push(r));
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const stopProfile = profile ? await startProfile() : undefined;
  const dbPid = app.embeddedDb?.pid;
  const cpu0 = process.cpuUsage();
  const db0 = processCpuSeconds(dbPid);
  const lg0 = processCpuSeconds(loadgen.pid);
  const machine0 = machineCpuSnapshot();
  const t0 = performance.now();
  eld.enable();
  await loadgen.ask({ type: 'window-start' }, 'ok');
  log(`${learners} learners: measuring ${settings.durationSeconds} s`);
  await sleep(settings.durationSeconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const db1 = processCpuSeconds(dbPid);
  const lg1 = processCpuSeconds(loadgen.pid);
  const wholeMachine = busyCoresSince(machine0);
  eld.disable();
  unsubscribe();
  const { summary: load } = await loadgen.ask({ type: 'window-end' }, 'window');
  const profileSummary = stopProfile ? await stopProfile() : undefined;

  const ms = reports.map((r) => r.ms).sort((a, b) => a - b);
  const third = Math.max(1, Math.floor(reports.length / 3));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const records = reports.reduce((a, r) => a + r.records, 0);
  const flushes: StepResult['flushes'] = {
    count: reports.length,
    recordsPerFlush: round(records / Math.max(1, reports.length)),
    meanMs: round(mean(ms), 1),
    p99Ms: round(ms[Math.min(ms.length - 1, Math.floor(0.99 * ms.length))] ?? 0, 1),
    maxMs: round(ms[ms.length - 1] ?? 0, 1),
    late: reports.filter((r) => r.ms >= settings.flushIntervalMs).length,
    msPerRecord: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, records), 3),
    conflicts: reports.reduce((a, r) => a + r.conflicts, 0),
    requeued: reports.reduce((a, r) => a + r.requeued, 0),
    errors: reports.filter((r) => r.error !== undefined).length,
    bufferedFirstThird: round(mean(reports.slice(0, third).map((r) => r.buffered))),
    bufferedLastThird: round(mean(reports.slice(-third).map((r) => r.buffered))),
    bufferedMax: Math.max(0, ...reports.map((r) => r.buffered)),
  };
  const server = (cpu.user + cpu.system) / 1e6 / wall;
  const database = db0 !== undefined && db1 !== undefined ? (db1 - db0) / wall : null;
  const lg = lg0 !== undefined && lg1 !== undefined ? (lg1 - lg0) / wall : null;
  const ours = server + (database ?? 0) + (lg ?? 0);

  const why: string[] = [];
  if (load.latencyMs.p99 > settings.target.maxP99Ms) why.push(`p99 ${load.latencyMs.p99} ms > ${settings.target.maxP99Ms} ms`);
  const non202 = Object.entries(load.statusCodes)
    .filter(([code]) => code !== '202')
    .reduce((a, [, n]) => a + n, 0);
  if (non202 || load.errors || load.unanswered)
    why.push(`${non202} answers other than 202, ${load.errors} connection errors, ${load.unanswered} unanswered`);
  if (load.requests < 0.95 * (learners / settings.periodSeconds) * load.seconds)
    why.push(`only ${load.requests} heartbeats sent of ~${Math.round((learners / settings.periodSeconds) * load.seconds)} due`);
  if (flushes.late) why.push(`${flushes.late} of ${flushes.count} flushes took ≥ ${settings.flushIntervalMs} ms (max ${flushes.maxMs} ms)`);
  if (flushes.errors) why.push(`${flushes.errors} flushes failed`);
  // The buffer holds what arrives in one flush interval; more at the end than at the start is a backlog building.
  if (flushes.bufferedLastThird > 1.25 * flushes.bufferedFirstThird + 50)
    why.push(`buffer grew from ${flushes.bufferedFirstThird} to ${flushes.bufferedLastThird} records`);
  const notes: string[] = [];
  if (load.sendLagP99Ms > 10) notes.push(`the load generator itself sent late, p99 ${load.sendLagP99Ms} ms: the machine was short of CPU`);
  if (wholeMachine !== undefined && wholeMachine > 0.9 * machine().nproc)
    notes.push(`all cores busy (${wholeMachine} of ${machine().nproc})`);
  if (load.retried) notes.push(`${load.retried} requests retried on a kept-alive socket the server had just closed`);
  return {
    learners,
    attempt,
    offeredPerSec: learners / settings.periodSeconds,
    load,
    flushes,
    cpuCores: {
      server: round(server, 2),
      database: database === null ? null : round(database, 2),
      loadgen: lg === null ? null : round(lg, 2),
      wholeMachine: wholeMachine ?? null,
      others: wholeMachine === undefined ? null : round(Math.max(0, wholeMachine - ours), 2),
    },
    eventLoopDelayMs: { p99: round(eld.percentile(99) / 1e6, 1), max: round(eld.max / 1e6, 1) },
    loadAverage: round(loadavg()[0]!, 2),
    healthy: why.length === 0,
    why,
    notes,
    ...(profileSummary ? { profile: profileSummary } : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- no heartbeat lost ----------------------------------------------------------------------

interface LossCheck {
  learners: number;
  heartbeatsSent: number;
  heartbeatsAccepted: number;
  finalBeacons: Record<string, number>;
  bufferedAtStop: number;
  stopMs: number;
  exact: number;
  /** Learners whose store also holds a heartbeat whose answer had not arrived when the players stopped (sent, stored, not yet counted). */
  withInFlight: number;
  failures: string[];
  wrongResume: number;
  ok: boolean;
}

type StoredDoc = { userId: string; contentId: string; intervals: Array<{ from: number; to: number }>; resumePosition: number };

function checkLearner(s: LearnerState, doc: StoredDoc | undefined): { failure?: string; exact: boolean; resumeOk: boolean } {
  const stored = (doc?.intervals ?? []).map(({ from, to }) => [from, to] as const);
  let exact = true;
  for (const p of s.sessions) {
    if (p.acceptedTo === p.start) continue;
    const iv = stored.find(([from]) => Math.abs(from - p.start) < 1e-9);
    const to = iv?.[1] ?? p.start;
    if (to + 1e-9 < p.acceptedTo)
      return {
        exact: false,
        resumeOk: false,
        failure: `${s.userId}: page session from ${p.start} s stored to ${to} s, ${p.acceptedTo} s accepted`,
      };
    if (to > p.sentTo + 1e-9)
      return {
        exact: false,
        resumeOk: false,
        failure: `${s.userId}: page session from ${p.start} s stored to ${to} s, beyond ${p.sentTo} s sent`,
      };
    if (Math.abs(to - p.acceptedTo) > 1e-9) exact = false;
  }
  return { exact, resumeOk: doc?.resumePosition === s.lastPosition };
}

// --- the run ------------------------------------------------------------------------------

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-bench-cadence-'));
  const config: Config = benchConfig(dataDir, { PROGRESS_FLUSH_MS: String(settings.flushIntervalMs) });
  const logger = createLogger('silent');
  const loadgen = new Loadgen();
  let app: Lectern | undefined;
  let restarted: Lectern | undefined;
  const before = { busyPercent: await machineBusyPercent(), loadAverage: round(loadavg()[0]!, 2) };
  log(`machine before the run: cores ${before.busyPercent ?? '?'} % busy, load average ${before.loadAverage} (shared with other work)`);
  try {
    app = await start(config, logger);
    const contentIds = await seedContents(app);
    log(`Lectern up at ${app.url}, embedded FerretDB under ${dataDir}, ${contentIds.length} seminars`);
    await loadgen.ask({ type: 'start', url: app.url, connections: settings.connections }, 'ok');

    const learners: Learner[] = [];
    const issuedAt: number[] = [];
    const issue = (userId: string) => app!.domain.tokens.issueAccess(userId, ['learner']);
    const steps: StepResult[] = [];
    const tryStep = async (n: number) => {
      // Access tokens live 15 minutes: renew those older than 10 before each step, as players do.
      const tokens: Array<{ index: number; token: string }> = [];
      for (let i = 0; i < learners.length; i++) {
        if (Date.now() - issuedAt[i]! > 10 * 60_000) {
          learners[i]!.token = issue(learners[i]!.userId);
          issuedAt[i] = Date.now();
          tokens.push({ index: i, token: learners[i]!.token });
        }
      }
      const add: Learner[] = [];
      while (learners.length + add.length < n) {
        const userId = randomBytes(12).toString('hex');
        add.push({ userId, token: issue(userId), contentId: contentIds[(learners.length + add.length) % contentIds.length]! });
      }
      for (const l of add) {
        learners.push(l);
        issuedAt.push(Date.now());
      }
      await loadgen.ask({ type: 'learners', add, tokens, active: n }, 'ok');
      // On a shared machine a burst of other work can sink one window: an unhealthy step is
      // measured again (the learners keep sending), and every attempt is reported.
      for (let attempt = 1; attempt <= settings.attempts; attempt++) {
        const r = await runStep(app!, loadgen, n, settings.profileAt === n && attempt === 1, attempt);
        steps.push(r);
        log(
          `${n} learners${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${Math.round(r.load.reqPerSec)} req/s, p99 ${r.load.latencyMs.p99} ms; ` +
            `flush ${r.flushes.recordsPerFlush} records in ${r.flushes.meanMs} ms mean, ${r.flushes.maxMs} ms max; ` +
            `buffer ${r.flushes.bufferedFirstThird} → ${r.flushes.bufferedLastThird}; CPU server ${r.cpuCores.server}, FerretDB ${r.cpuCores.database}, ` +
            `loadgen ${r.cpuCores.loadgen}, others ${r.cpuCores.others} → ${r.healthy ? 'healthy' : `NOT healthy: ${r.why.join('; ')}`}` +
            (r.notes.length ? ` (${r.notes.join('; ')})` : ''),
        );
        if (r.healthy) return true;
      }
      return false;
    };

    // Ramp in steps; after the first unhealthy step, try once halfway back (learners are only ever added).
    let lastHealthy = 0;
    for (let n = settings.start; n <= settings.max; n += settings.step) {
      if (await tryStep(n)) {
        lastHealthy = n;
        continue;
      }
      break;
    }
    // Then once halfway back, with the learners beyond it gone (their pages closed).
    const failed = steps.at(-1)?.healthy === false ? steps.at(-1)!.learners : undefined;
    const mid = failed === undefined ? 0 : Math.round((lastHealthy + failed) / 2 / 250) * 250;
    if (failed !== undefined && mid > lastHealthy && mid < failed && (await tryStep(mid))) lastHealthy = mid;

    // Every learner leaves the page: a last beacon each; then stop at once (stop() flushes).
    log('every learner leaves the page (a last beacon each); stopping Lectern at once');
    const finished = await loadgen.ask({ type: 'finish' }, 'finished');
    const bufferedAtStop = app.domain.progress.bufferedCount;
    const t = performance.now();
    await app.stop();
    const stopMs = Math.round(performance.now() - t);
    app = undefined;
    restarted = await start(config, logger);
    const docs = await restarted.db.connection.collection<StoredDoc>('progress').find({}).toArray();
    const byKey = new Map(docs.map((d) => [`${d.userId}:${d.contentId}`, d]));
    const loss: LossCheck = {
      learners: finished.learners.length,
      heartbeatsSent: finished.learners.reduce((a, s) => a + s.sent, 0),
      heartbeatsAccepted: finished.learners.reduce((a, s) => a + s.accepted, 0),
      finalBeacons: finished.beaconStatus,
      bufferedAtStop,
      stopMs,
      exact: 0,
      withInFlight: 0,
      failures: [],
      wrongResume: 0,
      ok: false,
    };
    for (const s of finished.learners) {
      const c = checkLearner(s, byKey.get(`${s.userId}:${s.contentId}`));
      if (c.failure) loss.failures.push(c.failure);
      else if (c.exact) loss.exact++;
      else loss.withInFlight++;
      if (!c.resumeOk) loss.wrongResume++;
    }
    loss.ok = loss.failures.length === 0 && loss.wrongResume === 0 && Object.keys(loss.finalBeacons).every((code) => code === '202');
    await restarted.stop();
    restarted = undefined;

    await report(steps, lastHealthy, loss, before);
    if (!loss.ok) process.exitCode = 1;
  } finally {
    loadgen.close();
    await app?.stop();
    await restarted?.stop();
    if (process.env.BENCH_KEEP_DATA !== '1') await rm(dataDir, { recursive: true, force: true });
  }
}

async function report(
  steps: StepResult[],
  largest: number,
  loss: LossCheck,
  before: { busyPercent: number | undefined; loadAverage: number },
): Promise<void> {
  const m = machine();
  const date = new Date().toISOString();
  const verdict =
    largest >= settings.target.learners
      ? 'met'
      : largest >= settings.target.floor
        ? 'missed (above the 5,000 floor)'
        : 'missed (below the 5,000 floor)';
  const lines = [
    `| learners | heartbeats/s | p50 ms | p99 ms | p99 from send | flush: records | flush ms mean / max | ms per record | buffer first → last third | CPU cores: Lectern / FerretDB / load / others | CPU µs per heartbeat: Lectern / FerretDB | healthy |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|`,
    ...steps.map(
      (s) =>
        `| ${s.learners}${s.attempt > 1 ? ` (again)` : ''} | ${Math.round(s.load.reqPerSec)} | ${s.load.latencyMs.p50} | ${s.load.latencyMs.p99} | ${s.load.latencyFromSendMs.p99} | ${s.flushes.recordsPerFlush} | ` +
        `${s.flushes.meanMs} / ${s.flushes.maxMs} | ${s.flushes.msPerRecord} | ${s.flushes.bufferedFirstThird} → ${s.flushes.bufferedLastThird} | ` +
        `${s.cpuCores.server.toFixed(2)} / ${s.cpuCores.database?.toFixed(2) ?? '–'} / ${s.cpuCores.loadgen?.toFixed(2) ?? '–'} / ${s.cpuCores.others?.toFixed(2) ?? '–'} | ` +
        `${Math.round((s.cpuCores.server * 1e6) / s.load.reqPerSec)} / ${s.cpuCores.database === null ? '–' : Math.round((s.cpuCores.database * 1e6) / s.load.reqPerSec)} | ` +
        `${s.healthy ? 'yes' : `no: ${s.why.join('; ')}`}${s.notes.length ? ` (${s.notes.join('; ')})` : ''} |`,
    ),
    '',
    `Largest healthy N: **${largest} learners** (${largest / settings.periodSeconds} heartbeats/s). Target ≥ ${settings.target.learners} (never < ${settings.target.floor}): **${verdict}**.`,
    '',
    `- Healthy means: heartbeat p99 ≤ ${settings.target.maxP99Ms} ms from each request's due time, every answer 202, every flush done within the ${settings.flushIntervalMs} ms flush interval, and the buffer not growing over the window. ` +
      `An unhealthy step is measured again, up to ${settings.attempts} times ("again" rows), since other work on a shared machine comes in bursts; the ramp stops at a step unhealthy every time, and then tries once halfway back.`,
    `- Latency counts from each heartbeat's due time, so a request the load generator sent late counts its lateness too (no coordinated omission); "p99 from send" leaves that out, for a machine too busy to send on time. ` +
      `"ms per record" is a flush's wall time per record written (one bulkWrite per 1,000 records); "CPU µs per heartbeat" is each process's CPU over the window divided by the heartbeats answered, the figure least moved by other work.`,
    `- Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}. ` +
      `Before the run the cores were ${before.busyPercent ?? '?'} % busy, load average ${before.loadAverage}; "others" is the CPU other work on the machine used during each window.`,
    `- Database: FerretDB 1.24.2 embedded on SQLite (Lectern's default, with its patches), NODE_ENV=production, PROGRESS_FLUSH_MS=${settings.flushIntervalMs}.`,
    `- Load: each learner a heartbeat every ${settings.periodSeconds} s at a random phase, its intervals growing as a player's do; a page reload every ${settings.pageSessionMinutes} minutes, whose last report is the page-leave beacon (token in the body); ` +
      `open loop over ${settings.connections} keep-alive sockets from a child process; per step ${settings.warmupSeconds} s of warm-up, then ${settings.durationSeconds} s measured; learners over ${settings.contents} seminars.`,
    `- No heartbeat lost: ${loss.ok ? 'yes' : '**NO**'}: ${loss.heartbeatsAccepted} accepted heartbeats of ${loss.learners} learners (a last beacon each, ${loss.bufferedAtStop} records buffered at stop, written by stop() in ${loss.stopMs} ms) ` +
      `checked in the database after a restart: ${loss.exact} learners exact, ${loss.withInFlight} also hold a heartbeat whose answer had not arrived when the players stopped, ${loss.failures.length} missing, ${loss.wrongResume} wrong resume positions.`,
    `- Date: ${date}; source ${JSON.stringify(sourceState())}`,
  ];
  const table = lines.join('\n');
  process.stdout.write(`\n${table}\n`);
  for (const s of steps.filter((x) => x.profile)) {
    const p = s.profile!;
    process.stdout.write(`\nServer CPU profile at ${s.learners} learners (${p.totalMs} ms sampled, ${p.file}):\n`);
    for (const a of p.byArea.slice(0, 15)) process.stdout.write(`  ${a.percent.toFixed(1).padStart(5)} %  ${a.area}\n`);
    process.stdout.write('  hottest functions (self time):\n');
    for (const f of p.topFunctions.slice(0, 15)) process.stdout.write(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.fn}\n`);
  }
  if (loss.failures.length) process.stdout.write(`\nLost heartbeats:\n${loss.failures.slice(0, 20).join('\n')}\n`);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    path.join(resultsDir, 'cadence.json'),
    JSON.stringify(
      {
        benchmark: 'cadence',
        date,
        source: sourceState(),
        machine: m,
        otherWorkBefore: before,
        database: 'FerretDB 1.24.2 embedded on SQLite',
        settings,
        largestHealthyLearners: largest,
        verdict,
        steps,
        noHeartbeatLost: loss,
        table,
      },
      null,
      2,
    ) + '\n',
  );
  await writeFile(path.join(resultsDir, 'cadence.md'), `<!-- written by \`npm run bench -- cadence\` -->\n${table}\n`);
  log('wrote bench/results/cadence.json and cadence.md');
}
