// Benchmark: the soak (issue 17). `npm run bench -- soak`; SOAK_MINUTES (default 30) of churn.
// A public seminar is taken live through the REST API (so the recording controller records it);
// the lecturer's camera is the verified fan-out's simulcast source (three layers + Opus), handed
// to the recorder as the gateway does for a lecturer's producers. SOAK_VIEWERS signed-in viewers
// (default 50, bench/soak/audience.ts, a child process with pion viewers in Go) each watch for
// ~SOAK_CYCLE_SECONDS, leave and come back, with chat from the room and a progress heartbeat
// every 10 s per viewer; each session is checked for frames as it leaves.
// Every SOAK_SAMPLE_SECONDS this process samples itself (Lectern runs in it), the mediasoup
// worker and mediasoup's objects (bench/soak/probes.ts). The verdict (bench/soak/report.ts):
// growth from the baseline after warm-up to the last window < 10 %, and the figures back to
// their pre-join values SOAK_DRAIN_SECONDS after everyone left. Then a second round
// (SOAK_SECOND_ROUND_SECONDS) tells memory paid once from memory that grows with every round.
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { Types } from 'mongoose';
import { mappedAllocator, mediasoupVersion } from '../media';
import { createLogger } from '../server/logger';
import { start, type Lectern } from '../server/main';
import { clipSettings, encodeLayers, startSimulcastSource, type SimulcastSource } from './fanout-verified/source';
import { buildViewers } from './fanout-verified';
import { intEnv } from './lib/env';
import { benchConfig, scheduledSeminar, seedLecturer } from './lib/lectern';
import { machine, sourceState } from './lib/machine';
import { call } from './lib/rest';
import type { AudienceSettings, AudienceStats, FromAudience, ToAudience } from './soak/audience';
import { GcCounter, profileAllocations } from './soak/allocation';
import { collectGarbage, mallocHeap, MediasoupCensus, sample, trimMalloc, type Sample } from './soak/probes';
import {
  judge,
  renderMarkdown,
  summariseSessions,
  type AllocationProfiles,
  type RecordingCheck,
  type SecondRound,
  type SoakResult,
} from './soak/report';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');
const run$ = promisify(execFile);

export const settings = {
  minutes: intEnv('SOAK_MINUTES', 30),
  viewers: intEnv('SOAK_VIEWERS', 50),
  cycleSeconds: intEnv('SOAK_CYCLE_SECONDS', 30),
  /** How long a viewer stays away before coming back (±50 %). */
  awaySeconds: intEnv('SOAK_AWAY_SECONDS', 3),
  /** Chat messages a minute, across the room (a few a second by default). */
  chatPerMinute: intEnv('SOAK_CHAT_PER_MINUTE', 180),
  heartbeatSeconds: intEnv('SOAK_HEARTBEAT_SECONDS', 10),
  sampleSeconds: intEnv('SOAK_SAMPLE_SECONDS', 10),
  /** The baseline and last windows, each this long. */
  windowSeconds: intEnv('SOAK_WINDOW_SECONDS', 60),
  drainSeconds: intEnv('SOAK_DRAIN_SECONDS', 30),
  /**
   * After everyone left (and the worker was trimmed), everyone comes back this long and leaves
   * again (0: not). Memory the first round left behind that does not grow in the second was
   * paid once (code paged in, pools, caches at their size); memory that grows again is a leak.
   */
  secondRoundSeconds: intEnv('SOAK_SECOND_ROUND_SECONDS', 300, { allowZero: true }),
  joinTimeoutMs: intEnv('SOAK_JOIN_TIMEOUT_MS', 20_000),
};
/** Where to write V8 heap snapshots (before anyone joins, at the end of the churn, after everyone left) for bench/soak/heap-diff.ts; none if unset. */
const heapSnapshotDir = process.env.SOAK_HEAP_SNAPSHOTS;
/** Where to write V8's allocation profiles (bench/soak/allocation.ts), 20 s before anyone joins and 20 s after everyone left; none if unset. */
const allocationProfileDir = process.env.SOAK_ALLOCATION_PROFILES;

const startedAt = performance.now();
const elapsed = () => (performance.now() - startedAt) / 1000;
const log = (msg: string) => process.stderr.write(`[bench soak ${elapsed().toFixed(0).padStart(4)} s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = () => process.memoryUsage.rss() / 2 ** 20;

/**
 * Waits, a full GC every 10 s, until this process's RSS moves less than 2 % in 10 s (at most
 * 2 minutes), and says how long that took. V8 and malloc hand pages back for tens of seconds
 * after a GC: in the runs before this wait, the three samples before anyone joined fell from
 * 329 to 270 MiB, so the "before" figure depended on where in that fall they landed.
 */
async function settleRss(): Promise<{ seconds: number; settled: boolean }> {
  const from = performance.now();
  let last = rssMiB();
  let settled = false;
  for (let i = 0; i < 12 && !settled; i++) {
    collectGarbage();
    await sleep(10_000);
    const now = rssMiB();
    settled = Math.abs(now - last) < 0.02 * last;
    last = now;
  }
  return { seconds: Math.round((performance.now() - from) / 1000), settled };
}
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * A heap snapshot, s1–s3 as bench/soak/heap-diff.ts reads them: objects allocated between the
 * first two and still alive in the third are what the churn left behind.
 * Each is written after a phase's samples, but it stops this process for seconds and leaves its
 * RSS about doubled, so such a run's results go to soak-snapshots.json, not the judged soak.json.
 */
async function snapshotHeap(name: 'baseline' | 'target' | 'final'): Promise<void> {
  if (!heapSnapshotDir) return;
  await mkdir(heapSnapshotDir, { recursive: true });
  collectGarbage();
  const file = writeHeapSnapshot(path.join(heapSnapshotDir, `s${{ baseline: 1, target: 2, final: 3 }[name]}.heapsnapshot`));
  log(`heap snapshot (${name}): ${file}`);
}

const PROFILE_SECONDS = 20;
const allocationProfiles: AllocationProfiles = {};

/** An allocation profile of this process for `phase`, when SOAK_ALLOCATION_PROFILES asks for one; kept in the results, its top sites logged. */
async function profilePhase(phase: 'pre-join' | 'after-leave'): Promise<void> {
  if (!allocationProfileDir) return;
  await mkdir(allocationProfileDir, { recursive: true });
  const { totalMiB, sites } = await profileAllocations(PROFILE_SECONDS, path.join(allocationProfileDir, `${phase}.heapprofile`));
  allocationProfiles[phase] = { seconds: PROFILE_SECONDS, totalMiB, sites: sites.slice(0, 12) };
  log(
    `${phase}: ${totalMiB} MiB allocated in ${PROFILE_SECONDS} s; top sites:\n${sites.map((x) => `  ${x.mib} MiB  ${x.site}`).join('\n')}`,
  );
}

class Audience {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Extract<FromAudience, { type: 'reply' }>) => void>();
  readonly child: ChildProcess;
  readonly ready: Promise<void>;

  constructor() {
    this.child = fork(path.join(here, 'soak', 'audience.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    this.child.on('message', (m: FromAudience) => {
      if (m.type === 'ready') return onReady();
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  ask(msg: DistributiveOmit<ToAudience, 'id'>, timeoutMs = 120_000): Promise<Extract<FromAudience, { type: 'reply' }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the audience did not answer ${msg.type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`audience: ${m.error}`));
        else resolve(m);
      });
      this.child.send({ ...msg, id });
    });
  }

  async stats(): Promise<AudienceStats> {
    return (await this.ask({ type: 'stats' })).stats!;
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** Signed-in learners, made straight in the database as the chat benchmark makes its viewers. */
async function seedViewers(app: Lectern, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => new Types.ObjectId());
  const now = new Date();
  await app.db.connection.collection('users').insertMany(
    ids.map((_id, i) => ({
      _id,
      email: `soak${i}@bench.lectern`,
      displayName: `Зритель ${i + 1}`,
      locale: 'ru',
      roles: ['learner'],
      passwordHash: '!',
      createdAt: now,
    })),
  );
  return ids.map((id) => id.toHexString());
}

/** The recording's playlist after the seminar ended, read back with ffprobe. */
async function checkRecording(app: Lectern, seminarId: string, liveSeconds: number): Promise<RecordingCheck> {
  const check: RecordingCheck = {
    recordingId: null,
    status: null,
    playlist: null,
    segments: null,
    probedSeconds: null,
    streams: [],
    lastSegmentFrames: null,
    liveSeconds: Math.round(liveSeconds),
  };
  try {
    const rec = await app.repos.recordings.latestReady(seminarId);
    if (!rec) throw new Error('no ready recording after the seminar ended');
    check.recordingId = rec.id;
    check.status = rec.status;
    check.segments = rec.segments ?? null;
    const dir = app.domain.recordings.absoluteDir(rec);
    check.playlist = path.join(dir, 'index.m3u8');
    const ffprobe = process.env.FFPROBE_BIN ?? 'ffprobe';
    const { stdout } = await run$(ffprobe, [
      '-v',
      'error',
      '-show_entries',
      'format=duration:stream=codec_type,codec_name',
      '-of',
      'json',
      check.playlist,
    ]);
    const probed = JSON.parse(stdout) as { format?: { duration?: string }; streams?: Array<{ codec_type: string; codec_name: string }> };
    check.probedSeconds = probed.format?.duration ? Math.round(Number(probed.format.duration)) : null;
    check.streams = (probed.streams ?? []).map((s) => `${s.codec_type} ${s.codec_name}`);
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
    const last = segments.at(-1);
    if (last) {
      const frames = await run$(ffprobe, [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-count_frames',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        path.join(dir, last),
      ]);
      check.lastSegmentFrames = Number(frames.stdout.trim().split(/[\s,]/)[0]) || 0;
    }
  } catch (err) {
    check.error = (err as Error).message.slice(0, 300);
  }
  return check;
}

export async function run(): Promise<void> {
  const m = machine();
  const loadBefore = loadavg().map((l) => round(l));
  const churnSeconds = settings.minutes * 60;
  if (churnSeconds < settings.cycleSeconds + 2 * settings.windowSeconds)
    throw new Error(`SOAK_MINUTES is too short for a ${settings.cycleSeconds} s warm-up and two ${settings.windowSeconds} s windows`);
  log(`${settings.minutes} min, ${settings.viewers} viewers; ${m.nproc} cores, load average ${loadBefore.join(' ')}`);
  const census = new MediasoupCensus();
  const gcCounter = new GcCounter();
  const viewersBin = buildViewers();
  const tmp = await mkdtemp(path.join(tmpdir(), 'lectern-soak-'));
  let app: Lectern | undefined;
  let source: SimulcastSource | undefined;
  let audience: Audience | undefined;
  const samples: Sample[] = [];
  /** Seconds each phase's samples waited for Node's RSS to settle (settleRss), and the phases where it did not. */
  const settled: Partial<Record<Sample['phase'], number>> = {};
  const unsettled: Sample['phase'][] = [];
  /** settleRss for `phase`'s samples, said in the log and kept for the result. */
  const settleFor = async (phase: Sample['phase']) => {
    const { seconds, settled: ok } = await settleRss();
    settled[phase] = seconds;
    if (!ok) unsettled.push(phase);
    log(ok ? `Node's RSS settled after ${seconds} s` : `Node's RSS had not settled after ${seconds} s; sampling anyway`);
  };
  try {
    log('encoding the three layers');
    const layerFiles = await encodeLayers(tmp);
    await mkdir(path.join(tmp, 'data'), { recursive: true });
    app = await start(
      benchConfig(path.join(tmp, 'data'), {}),
      createLogger((process.env.SOAK_LOG_LEVEL as 'warn' | undefined) ?? 'silent'),
    );
    const a = app;
    const lecturer = await seedLecturer(a);
    const seminarId = await scheduledSeminar(a, lecturer.token, {
      title: 'Бенчмарк: долгий эфир',
      track: 'bench',
      startsAt: '2030-03-01T18:30',
      durationMinutes: 180,
      capacity: 1000,
      isPublic: true,
    });
    const live = await call(a.url, 'POST', `/seminars/${seminarId}/transitions`, { token: lecturer.token, body: { to: 'live' } });
    if (live.status !== 200) throw new Error(`go live: ${live.status} ${live.text}`);
    const liveAt = performance.now();
    const budget = churnSeconds + settings.secondRoundSeconds + 2 * settings.drainSeconds + 600;
    source = await startSimulcastSource(a, seminarId, lecturer.id, layerFiles, budget);
    // As the gateway does for the lecturer's own producers: the recorder takes them.
    const room = await a.rooms.get(seminarId);
    const seminar = (await a.repos.seminars.get(seminarId))!;
    a.recorder.producerAdded(room, seminar, { producer: census.producer(source.videoProducerId), source: 'camera', role: 'lecturer' });
    a.recorder.producerAdded(room, seminar, { producer: census.producer(source.audioProducerId), source: 'mic', role: 'lecturer' });
    const userIds = await seedViewers(a, settings.viewers);
    const tokens = () => userIds.map((id) => a.domain.tokens.issueAccess(id, ['learner']));

    const take = async (phase: Sample['phase'], joinedNow: number) => {
      const s = await sample(a, census, elapsed(), phase, joinedNow, round(loadavg()[0]!), gcCounter);
      samples.push(s);
      return s;
    };
    /** Cores each process used since the previous sample. */
    const cores = (s: Sample) => {
      const prev = samples.at(-2);
      if (!prev) return '';
      const dt = s.t - prev.t > 0 ? s.t - prev.t : settings.sampleSeconds;
      const share = (a1: number | null, a0: number | null) => (a1 === null || a0 === null ? '–' : round((a1 - a0) / dt));
      return `CPU cores: Node ${share(s.cpuSeconds.node, prev.cpuSeconds.node)}, worker ${share(s.cpuSeconds.worker, prev.cpuSeconds.worker)}, FerretDB ${share(s.cpuSeconds.database, prev.cpuSeconds.database)}`;
    };
    // Before anyone joins: the recorder running, everything warmed up once.
    await sleep(15_000);
    await settleFor('pre-join');
    // Each phase's counts start with it: start-up, the audience's coming and going and the
    // settle wait are no phase's own.
    gcCounter.take();
    for (let i = 0; i < 3; i++) {
      const s = await take('pre-join', 0);
      log(
        `pre-join: Node RSS ${s.node.rssMiB} MiB, heap ${s.node.heapRetainedMiB} MiB, worker ${s.worker.rssMiB} MiB; recorder ${s.recorder.state}`,
      );
      await sleep(settings.sampleSeconds * 1000);
    }
    await profilePhase('pre-join');

    await snapshotHeap('baseline');
    // The worker the seminar starts on: both trims read this one, so that they compare with its
    // own figures before anyone joined (a worker replaced mid-run fails them, visibly).
    // Only glibc's malloc has malloc_trim and malloc_info to call; mimalloc returns pages itself.
    const workerAllocator = a.config.mediasoup.allocator;
    const workerPid = workerAllocator === 'system' ? [...census.workers][0]?.pid : undefined;
    const allocatorBefore = workerPid === undefined ? null : await mallocHeap(workerPid);
    log(`the worker's allocator before anyone joined: ${JSON.stringify(allocatorBefore)}`);
    const workerHeapBefore = allocatorBefore && !('error' in allocatorBefore) ? allocatorBefore : null;
    // On glibc's malloc, what Lectern's own process holds in use and free, to compare with the
    // same reading after everyone left (Node's RSS outside V8's heap). `npm run bench` starts
    // this process on mimalloc, as `npm start` does, which gdb cannot ask.
    const nodeAllocator = mappedAllocator('self') ?? 'unknown';
    const nodeAllocatorBefore = nodeAllocator === 'system' ? await mallocHeap(process.pid) : null;
    log(`Node's allocator (${nodeAllocator}) before anyone joined: ${JSON.stringify(nodeAllocatorBefore)}`);
    const nodeHeapBefore = nodeAllocatorBefore && !('error' in nodeAllocatorBefore) ? nodeAllocatorBefore : null;
    const audienceSettings: AudienceSettings = {
      url: a.url,
      seminarId,
      userIds,
      tokens: tokens(),
      viewersBin,
      routerRtpCapabilities: room.rtpCapabilities,
      staySeconds: settings.cycleSeconds - settings.awaySeconds,
      awaySeconds: settings.awaySeconds,
      chatPerSecond: settings.chatPerMinute / 60,
      heartbeatSeconds: settings.heartbeatSeconds,
      fps: clipSettings.fps,
      joinTimeoutMs: settings.joinTimeoutMs,
      maxWaitMs: 1000,
    };
    let churnFrom = elapsed();
    /**
     * One round: everyone watches (coming and going) for `seconds`, sampled as `during`, with their
     * tokens refreshed as a browser does; `watched` runs before they leave; then everyone leaves and,
     * after the drain and a full GC, three samples as `after`. Times are from the first round's start.
     */
    const watchRound = async (seconds: number, during: Sample['phase'], after: Sample['phase'], watched = async () => {}) => {
      const crowd = new Audience();
      audience = crowd;
      await crowd.ready;
      await crowd.ask({ type: 'init', settings: { ...audienceSettings, tokens: tokens() } });
      const from = elapsed();
      gcCounter.take();
      if (during === 'churn') churnFrom = from;
      await crowd.ask({ type: 'start' });
      log(`${during}: audience started`);
      let lastTokens = performance.now();
      while (elapsed() - from < seconds) {
        await sleep(settings.sampleSeconds * 1000);
        // Access tokens live 15 minutes: the audience refreshes them as a browser does.
        if (performance.now() - lastTokens > 10 * 60_000) {
          await crowd.ask({ type: 'tokens', tokens: tokens() });
          lastTokens = performance.now();
        }
        const st = await crowd.stats();
        const s = await take(during, st.joinedNow);
        s.t = Math.round(elapsed() - churnFrom);
        log(
          `${during}, t = ${s.t} s: ${st.joinedNow} in, ${st.joins} joins (${st.joinFailures} failed${st.lastJoinError ? `, last: ${st.lastJoinError}` : ''}); Node RSS ${s.node.rssMiB} MiB, heap ${s.node.heapRetainedMiB} MiB, ` +
            `fds ${s.node.fds}; worker ${s.worker.rssMiB} MiB, fds ${s.worker.fds}; transports ${s.mediasoup.transports}, consumers ${s.mediasoup.consumers}; recorder ${s.recorder.state}; load ${s.loadAverage}; ${cores(s)}`,
        );
      }
      await watched();
      log('everyone leaves');
      const stats = (await crowd.ask({ type: 'stop' }, 180_000)).stats!;
      crowd.close();
      audience = undefined;
      await sleep(settings.drainSeconds * 1000);
      // As before anyone joined, so that both figures are read the same way.
      await settleFor(after);
      gcCounter.take();
      for (let i = 0; i < 3; i++) {
        const s = await take(after, 0);
        s.t = Math.round(elapsed() - churnFrom);
        log(
          `${after}: Node RSS ${s.node.rssMiB} MiB, heap ${s.node.heapRetainedMiB} MiB, worker ${s.worker.rssMiB} MiB (anonymous ${s.worker.anonMiB}), transports ${s.mediasoup.transports}, consumers ${s.mediasoup.consumers}`,
        );
        await sleep(5000);
      }
      if (after === 'after-leave') await profilePhase(after);
      return stats;
    };

    const final = await watchRound(churnSeconds, 'churn', 'after-leave', () => snapshotHeap('target'));
    await snapshotHeap('final');

    const workerTrim = workerPid === undefined ? null : await trimMalloc(workerPid);
    log(`the worker's allocator asked to return free pages: ${JSON.stringify(workerTrim)}`);
    const nodeTrim = nodeAllocator === 'system' ? await trimMalloc(process.pid) : null;
    log(`Node's allocator asked to return free pages: ${JSON.stringify(nodeTrim)}`);

    let secondRound: SecondRound | null = null;
    if (settings.secondRoundSeconds > 0) {
      log(`second round: everyone comes back for ${settings.secondRoundSeconds} s, then leaves again`);
      const roundStats = await watchRound(settings.secondRoundSeconds, 'second-round', 'second-leave');
      const trim = workerPid === undefined ? null : await trimMalloc(workerPid);
      log(`the worker trimmed again: ${JSON.stringify(trim)}`);
      secondRound = {
        seconds: settings.secondRoundSeconds,
        joins: roundStats.joins,
        joinFailures: roundStats.joinFailures,
        sessions: summariseSessions(roundStats.sessions),
        workerTrim: trim,
      };
    }

    // The lecturer's access token (15 minutes) has expired in a longer run: a fresh one, as the studio would refresh it.
    const lecturerToken = a.domain.tokens.issueAccess(lecturer.id, ['lecturer']);
    const ended = await call(a.url, 'POST', `/seminars/${seminarId}/transitions`, { token: lecturerToken, body: { to: 'ended' } });
    if (ended.status !== 200) throw new Error(`end the seminar: ${ended.status} ${ended.text}`);
    const recording = await checkRecording(a, seminarId, (performance.now() - liveAt) / 1000);
    log(`recording: ${JSON.stringify(recording)}`);

    const windows = {
      baseline: [settings.cycleSeconds, settings.cycleSeconds + settings.windowSeconds] as [number, number],
      last: [churnSeconds - settings.windowSeconds, churnSeconds] as [number, number],
    };
    const figures = judge(samples, windows);
    const sessions = summariseSessions(final.sessions);
    const loads = samples.filter((s) => s.phase === 'churn').map((s) => s.loadAverage);
    const { sessions: _list, ...audienceTotals } = final;
    const result: SoakResult = {
      benchmark: 'soak',
      date: new Date().toISOString(),
      machine: m,
      database: process.env.MONGODB_URI ? 'MongoDB (MONGODB_URI)' : 'embedded FerretDB on SQLite',
      mediasoup: mediasoupVersion,
      source: sourceState(),
      settings,
      minutes: settings.minutes,
      windows,
      load: {
        before: loadBefore,
        during: { min: Math.min(...loads), mean: round(loads.reduce((x, y) => x + y, 0) / loads.length), max: Math.max(...loads) },
        after: loadavg().map((l) => round(l)),
      },
      figures,
      audience: audienceTotals,
      sessions,
      recording,
      workerAllocator,
      rssSettledSeconds: settled,
      rssUnsettled: unsettled,
      workerTrim,
      workerHeapBefore,
      nodeAllocator,
      nodeTrim,
      nodeHeapBefore,
      secondRound,
      ...(allocationProfileDir ? { allocationProfiles } : {}),
      targetsMet: {
        growth: figures.every((f) => !f.judged || f.grewUnder10Pct !== false),
        returned: figures.every((f) => !f.judged || f.returned !== false),
        // The judged round's: the second round's sessions are reported on their own line.
        frames: sessions.sessions > 0 && sessions.withoutFrames === 0 && final.joinFailures === 0,
        recording: !recording.error && (recording.probedSeconds ?? 0) >= 0.9 * churnSeconds && (recording.lastSegmentFrames ?? 0) > 0,
      },
      samples,
    };
    const markdown = renderMarkdown(result);
    await mkdir(resultsDir, { recursive: true });
    // Snapshots stop this process and double its RSS, the allocation profiler adds its own
    // allocations and 40 s of sampling, and a run shorter than the issue's 30 minutes judges less:
    // such runs' figures are kept apart from the judged run's.
    const resultsFile = heapSnapshotDir
      ? 'soak-snapshots.json'
      : allocationProfileDir
        ? 'soak-profiled.json'
        : settings.minutes < 30
          ? 'soak-short.json'
          : 'soak.json';
    await writeFile(path.join(resultsDir, resultsFile), JSON.stringify({ ...result, markdown }, null, 2) + '\n');
    process.stdout.write(`\n${markdown}\n\n`);
    log(`results in bench/results/${resultsFile}`);
  } finally {
    audience?.close();
    gcCounter.close();
    source?.stop();
    await app?.stop().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}
