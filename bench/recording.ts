// Benchmark: recording live seminars to HLS (media/recorder.ts, media/ffmpeg-hls.ts), three numbers
// measured in one run on one machine:
//
// 1. CPU of the recorder's ffmpeg per recorded 720p seminar, copy (H.264 source) against
//    transcode (VP8 source → libx264), as % of one core over a steady window (recording/cpu.ts).
// 2. End → replay playable, through Lectern as the tests run it: real Socket.IO signalling, the
//    real recording controller and Recorder, the embedded database. From emitting seminar:end to
//    the learner's playback API answering live:false, with a playlist that has #EXT-X-ENDLIST
//    and a first segment that decodes (recording/seminar.ts).
// 3. Live-HLS latency behind WebRTC, read from a wall-clock timestamp burned into the source's
//    pixels (recording/stamp.ts): per decoded WebRTC frame, and per new live-HLS segment
//    (recording/probes.ts), during the same live seminars as 2; and, where hls.js resolves, the
//    real player: Chromium with hls.js playing the live playlist, reading the timestamp off each
//    presented frame (recording/player.ts), in two more live seminars.
//
// Layout of the run (all on the same cores): this process runs Lectern in-process
// (NODE_ENV=production, one mediasoup worker, embedded FerretDB under a temp DATA_DIR) and the
// probes; ffmpeg processes: the source (test pattern + stamp + encoder), the recorder, the
// WebRTC-side decoder, and short-lived segment decoders.
//
// Settings (environment): BENCH_RECORDING_SEMINARS (per codec, default 5), BENCH_RECORDING_LIVE
// (seconds live per seminar, default 12), BENCH_RECORDING_CPU_WINDOW (default 20),
// BENCH_RECORDING_CPU_WARMUP (default 6), BENCH_HLSJS (path to hls.min.js when hls.js is not a
// dependency), BENCH_RECORDING_CHROMIUM=0 to skip the Chromium part.
import { execFileSync } from 'node:child_process';
import { intEnv } from './lib/env';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { routerMediaCodecs } from '../media';
import { benchConfig } from './lib/lectern';
import { start, type Lectern } from '../server/main';
import { machine, sourceState } from './lib/machine';
import { diagnose, machineJiffies, measureRecorderCpu, type CpuResult } from './recording/cpu';
import type { Recorder } from '../media/recorder';
import { findHlsJs, hlsJsVersion, startPlayerBench, type PlayerSample } from './recording/player';
import { hlsProbe, webrtcProbe, type HlsSegmentSample } from './recording/probes';
import { endAndTime, goLive, playback, seed, type EndTiming } from './recording/seminar';
import { KEYFRAME_INTERVAL_SECONDS, VIDEO_BITRATE, type SourceCodec } from './recording/source';
import { FPS, HEIGHT, WIDTH } from './recording/stamp';
import { LIVE_HLS } from '../web/src/hls-config';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const SEGMENT_SECONDS = 1; // Lectern's default RECORDING_SEGMENT_SECONDS
const settings = {
  seminarsPerCodec: intEnv('BENCH_RECORDING_SEMINARS', 5),
  liveSeconds: intEnv('BENCH_RECORDING_LIVE', 12),
  /** Within each live period, probes start reading after this (the recorder's ffmpeg probes its input for 2 s first). */
  latencyWarmupSeconds: 5,
  cpuWarmupSeconds: intEnv('BENCH_RECORDING_CPU_WARMUP', 6),
  cpuWindowSeconds: intEnv('BENCH_RECORDING_CPU_WINDOW', 20),
  hlsPollMs: 50,
  chromium: { warmupSeconds: 6, windowSeconds: 12 },
  segmentSeconds: SEGMENT_SECONDS,
  source: {
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    videoBitrate: VIDEO_BITRATE,
    keyFrameIntervalSeconds: KEYFRAME_INTERVAL_SECONDS,
    audio: 'Opus 64 kb/s stereo (sine)',
  },
  /** The watch page's own hls.js settings (web/src/hls-config.ts): plain HLS, ffmpeg writes no LL-HLS parts. */
  player: {
    lowLatency: LIVE_HLS,
    liveSyncSeconds: LIVE_HLS.liveSyncDuration ?? (LIVE_HLS.liveSyncDurationCount ?? 3) * SEGMENT_SECONDS,
    defaultLiveSyncSeconds: 3 * SEGMENT_SECONDS, // hls.js default liveSyncDurationCount: 3 target durations
  },
  targets: { copyCpuPercentOfCore: 10, endToPlayableMs: 5000, liveHlsBehindMs: 3000 },
};

function log(msg: string): void {
  process.stderr.write(`[bench recording] ${msg}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  min: number;
}

function stats(values: number[]): Stats {
  const s = values.slice().sort((a, b) => a - b);
  const r = (n: number) => Math.round(n);
  return { n: s.length, min: r(s[0] ?? NaN), p50: r(quantile(s, 0.5)), p95: r(quantile(s, 0.95)), max: r(s.at(-1) ?? NaN) };
}

interface SeminarRun {
  n: number;
  codec: SourceCodec;
  seminarId: string;
  /** Absent when the seminar failed; failure says why, recording what the database and disk held then. */
  end?: EndTiming;
  failure?: string;
  recording?: { status: string; segments: number | null; filesOnDisk: string[] } | null;
  /** Lectern's warnings and errors while this seminar ran. */
  logs: string[];
  webrtcLatencyMs: number[];
  webrtcUnreadable: number;
  hlsSegments: HlsSegmentSample[];
  hlsUnreadable: number;
  /** Seconds the probes read for (the WebRTC frame rate is frames / this). */
  windowSeconds: number;
  machineBusyPercent: number;
  loadAverage: number;
}

interface PlayerRun {
  codec: SourceCodec;
  seminarId: string;
  player: PlayerSample;
  webrtcLatencyMs: number[];
  windowSeconds: number;
  machineBusyPercent: number;
}

async function liveSeminarRun(
  app: Lectern,
  cast: Awaited<ReturnType<typeof seed>>,
  codec: SourceCodec,
  n: number,
  scratch: string,
  appLog: string[],
): Promise<SeminarRun> {
  const logFrom = appLog.length;
  let live: Awaited<ReturnType<typeof goLive>> | undefined;
  let recordingId: string | undefined;
  const failed = async (failure: string): Promise<SeminarRun> => {
    const rec = recordingId ? await app.repos.recordings.get(recordingId).catch(() => null) : null;
    const files = rec ? await readdir(path.join(app.config.recordingsDir, rec.dir)).catch(() => []) : [];
    return {
      n,
      codec,
      seminarId: live?.id ?? '',
      failure,
      recording: rec ? { status: rec.status, segments: rec.segments ?? null, filesOnDisk: files } : null,
      logs: appLog.slice(logFrom),
      webrtcLatencyMs: [],
      webrtcUnreadable: 0,
      hlsSegments: [],
      hlsUnreadable: 0,
      windowSeconds: 0,
      machineBusyPercent: NaN,
      loadAverage: loadavg()[0]!,
    };
  };
  try {
    live = await goLive(app, cast, codec, n);
  } catch (err) {
    return failed(`going live: ${(err as Error).message}`);
  }
  try {
    // The live playlist's signed URL, as the learner's player gets it.
    let playlistUrl: string | undefined;
    for (let i = 0; i < 100 && !playlistUrl; i++) {
      const res = await playback(app.url, cast, live.id);
      if (res.status === 200) playlistUrl = res.body.playlistUrl;
      else await sleep(100);
    }
    if (!playlistUrl) return await failed('the playback API gave no live playlist within 10 s');
    recordingId = playlistUrl.split('/')[2];
    const rtc = await webrtcProbe(live.room.origin, live.source.video.id, scratch);
    const hls = hlsProbe(app.url + playlistUrl, settings.hlsPollMs);
    await sleep(Math.max(0, live.recordingFrom + settings.latencyWarmupSeconds * 1000 - Date.now()));
    rtc.take();
    await hls.take();
    const w0 = performance.now();
    const m0 = machineJiffies();
    await sleep(Math.max(0, live.recordingFrom + settings.liveSeconds * 1000 - Date.now()));
    const rtcOut = rtc.take();
    const windowSeconds = (performance.now() - w0) / 1000;
    const m1 = machineJiffies();
    await hls.stop();
    const hlsOut = await hls.take();
    // No new segment in the window: note what the controller's recorder is doing before the end (private fields: diagnostics only).
    let stuck: string | undefined;
    if (hlsOut.segments.length === 0) {
      const main = (app.recorder as unknown as { active: Map<string, { main?: Recorder }> }).active.get(live.id)?.main;
      stuck = main ? await diagnose(main) : 'the controller has no main recorder';
      log(`seminar ${n} (${codec}): no new live segment in ${Math.round(windowSeconds)} s; ${stuck}`);
    }
    await rtc.stop();
    await sleep(300); // the probes' processes are gone before the end is timed
    const end = await endAndTime(app, cast, live);
    if ('failure' in end) return await failed(end.failure + (stuck ? `; while live: ${stuck}` : ''));
    return {
      n,
      codec,
      seminarId: live.id,
      end,
      logs: appLog.slice(logFrom),
      webrtcLatencyMs: rtcOut.latenciesMs,
      webrtcUnreadable: rtcOut.unreadable,
      hlsSegments: hlsOut.segments,
      hlsUnreadable: hlsOut.unreadable,
      windowSeconds,
      machineBusyPercent: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
      loadAverage: loadavg()[0]!,
    };
  } catch (err) {
    return await failed((err as Error).message);
  } finally {
    live.lecturer.close();
    await live.source.stop();
  }
}

/** A live seminar played by Chromium with hls.js (low-latency settings), beside the WebRTC probe. */
async function playerRun(
  app: Lectern,
  cast: Awaited<ReturnType<typeof seed>>,
  bench: Awaited<ReturnType<typeof startPlayerBench>>,
  codec: SourceCodec,
  n: number,
  scratch: string,
): Promise<PlayerRun> {
  const live = await goLive(app, cast, codec, n);
  try {
    // Start the player as a learner would on a running seminar: once the playlist lists two segments.
    let playlistUrl: string | undefined;
    for (let i = 0; i < 200; i++) {
      const res = await playback(app.url, cast, live.id);
      if (res.status === 200) {
        const text = await (await fetch(app.url + res.body.playlistUrl)).text().catch(() => '');
        if ((text.match(/\.ts\s*$/gm) ?? []).length >= 2) {
          playlistUrl = res.body.playlistUrl;
          break;
        }
      }
      await sleep(100);
    }
    if (!playlistUrl) throw new Error(`seminar ${live.id}: the live playlist never listed two segments`);
    const rtc = await webrtcProbe(live.room.origin, live.source.video.id, scratch);
    const player = await bench.open(playlistUrl, settings.player.lowLatency);
    try {
      await sleep(settings.chromium.warmupSeconds * 1000);
      await player.take();
      rtc.take();
      const w0 = performance.now();
      const m0 = machineJiffies();
      await sleep(settings.chromium.windowSeconds * 1000);
      const sample = await player.take();
      const rtcOut = rtc.take();
      const m1 = machineJiffies();
      return {
        codec,
        seminarId: live.id,
        player: sample,
        webrtcLatencyMs: rtcOut.latenciesMs,
        windowSeconds: (performance.now() - w0) / 1000,
        machineBusyPercent: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
      };
    } finally {
      await player.close();
      await rtc.stop();
      await live.lecturer.ok('seminar:end', {}).catch(() => undefined);
    }
  } finally {
    live.lecturer.close();
    await live.source.stop();
  }
}

export async function run(): Promise<void> {
  const began = performance.now();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-bench-recording-'));
  const scratch = path.join(dataDir, 'bench');
  await mkdir(scratch, { recursive: true });
  const config = benchConfig(dataDir, { RECORDING_SEGMENT_SECONDS: String(SEGMENT_SECONDS) });
  // Lectern's warnings and errors (a recorder's ffmpeg crashing, say) are kept per seminar.
  const appLog: string[] = [];
  const logger = pino({ level: 'warn', base: { service: 'lectern' } }, { write: (line: string) => void appLog.push(line.trim()) });
  let app: Lectern | undefined;
  try {
    log(`starting Lectern (NODE_ENV=production, one mediasoup worker, embedded FerretDB under ${dataDir})`);
    app = await start(config, logger);
    const cast = await seed(app);

    // 1. CPU, on a router of Lectern's own worker, one case after the other.
    const worker = app.pool.leastLoaded()!;
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
    const cpu: CpuResult[] = [];
    const cpuFailures: string[] = [];
    for (const codec of ['H264', 'VP8'] as const) {
      try {
        cpu.push(
          await measureRecorderCpu({
            router,
            workerPid: worker.pid,
            codec,
            dir: path.join(scratch, `cpu-${codec}`),
            logger,
            warmupSeconds: settings.cpuWarmupSeconds,
            windowSeconds: settings.cpuWindowSeconds,
            segmentSeconds: SEGMENT_SECONDS,
            log,
          }),
        );
      } catch (err) {
        cpuFailures.push(`${codec}: ${(err as Error).message}`);
        log(`CPU of the ${codec} recorder: FAILED: ${(err as Error).message}`);
      }
    }
    router.close();

    // 2 and 3. Live seminars through the app, the codecs alternating.
    const runs: SeminarRun[] = [];
    for (let i = 0; i < settings.seminarsPerCodec; i++) {
      for (const codec of ['H264', 'VP8'] as const) {
        const n = runs.length + 1;
        const r = await liveSeminarRun(app, cast, codec, n, scratch, appLog);
        const hlsAges = r.hlsSegments.map((s) => s.newestFrameAgeMs);
        if (r.end) {
          log(
            `seminar ${n} (${codec}): end → playable ${Math.round(r.end.playableMs)} ms (ack ${Math.round(r.end.ackMs)} ms, ${r.end.segments} segments, ${r.end.durationSeconds} s); ` +
              `WebRTC p50 ${stats(r.webrtcLatencyMs).p50} ms over ${r.webrtcLatencyMs.length} frames; HLS newest frame p50 ${stats(hlsAges).p50} ms over ${hlsAges.length} segments`,
          );
        } else {
          log(
            `seminar ${n} (${codec}) FAILED: ${r.failure}; recording ${JSON.stringify(r.recording)}; Lectern logged: ${r.logs.slice(-3).join(' | ').slice(0, 600) || 'nothing'}`,
          );
        }
        runs.push(r);
      }
    }
    // The real player, where hls.js is at hand.
    const players: PlayerRun[] = [];
    const hlsJsFile = process.env.BENCH_RECORDING_CHROMIUM === '0' ? undefined : findHlsJs();
    let playerNote: string;
    if (!hlsJsFile) {
      playerNote =
        process.env.BENCH_RECORDING_CHROMIUM === '0'
          ? 'skipped (BENCH_RECORDING_CHROMIUM=0)'
          : 'skipped: hls.js is not installed (npm install -D hls.js, or BENCH_HLSJS=…/hls.min.js)';
      log(`Chromium + hls.js: ${playerNote}`);
    } else {
      playerNote = `hls.js ${await hlsJsVersion(hlsJsFile)} in ${chromiumVersion()}`;
      log(`Chromium + hls.js: ${playerNote}`);
      const bench = await startPlayerBench(app.url, hlsJsFile);
      try {
        for (const codec of ['H264', 'VP8'] as const) {
          try {
            const r = await playerRun(app, cast, bench, codec, runs.length + players.length + 1, scratch);
            log(
              `Chromium + hls.js (${codec}): presented frames p50 ${stats(r.player.latenciesMs).p50} ms over ${r.player.latenciesMs.length} frames, ${r.player.stalls} stalls; WebRTC p50 ${stats(r.webrtcLatencyMs).p50} ms`,
            );
            players.push(r);
          } catch (err) {
            playerNote += `; ${codec} failed: ${(err as Error).message}`;
            log(`Chromium + hls.js (${codec}) failed: ${(err as Error).message}`);
          }
        }
      } finally {
        await bench.close();
      }
    }
    await app.stop();
    app = undefined;
    await report(cpu, cpuFailures, runs, players, playerNote, (performance.now() - began) / 1000);
    // A seminar whose replay never became playable is a failure, not just a missed target.
    if (runs.some((r) => !r.end) || cpuFailures.length) process.exitCode = 1;
  } finally {
    await app?.stop();
    if (process.env.BENCH_KEEP_DATA !== '1') await rm(dataDir, { recursive: true, force: true });
  }
}

function chromiumVersion(): string {
  try {
    return execFileSync(process.env.CHROMIUM_BIN ?? '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'Chromium';
  }
}

async function report(
  cpu: CpuResult[],
  cpuFailures: string[],
  runs: SeminarRun[],
  players: PlayerRun[],
  playerNote: string,
  runtimeSeconds: number,
): Promise<void> {
  const m = machine();
  const date = new Date().toISOString();
  const copy = cpu.find((c) => c.mode === 'copy');
  const transcode = cpu.find((c) => c.mode === 'transcode');
  const liveSync = settings.player.liveSyncSeconds * 1000;
  const defaultSync = settings.player.defaultLiveSyncSeconds * 1000;
  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const t3 = (x: Stats) => (x.n ? `${x.p50} / ${x.p95} / ${x.max}` : '–');
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

  const done = runs.filter((r): r is SeminarRun & { end: EndTiming } => r.end !== undefined);
  const perCodec = (['H264', 'VP8'] as const).map((codec) => {
    const rs = done.filter((r) => r.codec === codec);
    const failures = runs.filter((r) => r.codec === codec && !r.end).map((r) => `seminar ${r.n}: ${r.failure}`);
    const segs = rs.flatMap((r) => r.hlsSegments);
    const webrtc = stats(rs.flatMap((r) => r.webrtcLatencyMs));
    const newest = stats(segs.map((s) => s.newestFrameAgeMs));
    // hls.js plays at most at edge − max(liveSyncDuration, EXT-X-TARGETDURATION) (its liveSyncPosition is clamped so).
    const model = stats(segs.map((s) => s.newestFrameAgeMs + Math.max(liveSync, (s.targetDuration || 0) * 1000)));
    const pl = players.find((p) => p.codec === codec);
    const chromium = pl ? stats(pl.player.latenciesMs) : undefined;
    const chromiumWebrtc = pl ? stats(pl.webrtcLatencyMs) : undefined;
    return {
      codec,
      mode: codec === 'H264' ? 'copy' : 'transcode',
      seminars: rs.length + failures.length,
      failures,
      endToPlayableMs: stats(rs.map((r) => r.end.playableMs)),
      endAckMs: stats(rs.map((r) => r.end.ackMs)),
      webrtcMs: webrtc,
      webrtcFps: rs.reduce((a, r) => a + r.webrtcLatencyMs.length, 0) / rs.reduce((a, r) => a + r.windowSeconds, 0),
      webrtcUnreadableFrames: rs.reduce((a, r) => a + r.webrtcUnreadable, 0),
      hlsNewestFrameAgeMs: newest,
      hlsOldestFrameAgeMs: stats(segs.map((s) => s.oldestFrameAgeMs)),
      hlsDistinctFramesPerSecond: segs.reduce((a, s) => a + s.distinctFrames, 0) / segs.reduce((a, s) => a + s.duration, 0),
      hlsFramesPerSecond: segs.reduce((a, s) => a + s.frames, 0) / segs.reduce((a, s) => a + s.duration, 0),
      hlsUnreadable: rs.reduce((a, r) => a + r.hlsUnreadable, 0),
      targetDurations: [...new Set(segs.map((s) => s.targetDuration))].sort(),
      firstSegmentMs: stats(rs.map((r) => r.end.firstSegmentSeconds * 1000)),
      finalTargetDurations: rs.map((r) => r.end.targetDuration),
      modelPlayerLowLatencyMs: model,
      modelPlayerDefaultMs: stats(segs.map((s) => s.newestFrameAgeMs + Math.max(defaultSync, (s.targetDuration || 0) * 3000))),
      machineBusyPercent: mean(rs.map((r) => r.machineBusyPercent)),
      chromium:
        pl && chromium && chromiumWebrtc
          ? {
              presentedMs: chromium,
              fps: pl.player.latenciesMs.length / pl.windowSeconds,
              unreadableFrames: pl.player.unreadable,
              stalls: pl.player.stalls,
              hlsJsLatencyMs: stats(pl.player.hlsJsLatencyMs),
              errors: [...new Set(pl.player.errors)],
              webrtcSameSeminarMs: chromiumWebrtc,
              behindWebrtcMs: { p50: chromium.p50 - chromiumWebrtc.p50, p95: chromium.p95 - chromiumWebrtc.p50 },
              machineBusyPercent: pl.machineBusyPercent,
            }
          : null,
      behindWebrtcMs: { availabilityP50: newest.p50 - webrtc.p50, modelP50: model.p50 - webrtc.p50, modelP95: model.p95 - webrtc.p50 },
    };
  });
  const all = stats(done.map((r) => r.end.playableMs));
  const failedCount = runs.length - done.length;
  // Live HLS behind WebRTC, at p95 of the HLS side: Chromium's presented frames where measured, else the model.
  const behind = perCodec.map((p) => ({
    codec: p.codec,
    basis: p.chromium ? 'Chromium + hls.js' : 'model',
    p95: p.chromium ? p.chromium.behindWebrtcMs.p95 : p.behindWebrtcMs.modelP95,
  }));
  const met = {
    copyCpu: copy !== undefined && copy.recorderPercentPerRealtimeSeminar <= settings.targets.copyCpuPercentOfCore,
    endToPlayable: failedCount === 0 && all.max <= settings.targets.endToPlayableMs,
    liveHls: Object.fromEntries(behind.map((b) => [b.codec, b.p95 <= settings.targets.liveHlsBehindMs])) as Record<SourceCodec, boolean>,
  };
  const yes = (b: boolean) => (b ? '**met**' : '**missed**');

  const lines = [
    `**Recorder CPU per recorded 720p seminar** (${WIDTH}x${HEIGHT} ${FPS} fps, ${VIDEO_BITRATE}b/s, + Opus → AAC; window = ${Math.round(settings.cpuWindowSeconds / SEGMENT_SECONDS)} segments after a ${settings.cpuWarmupSeconds} s warm-up)`,
    '',
    `| case | recorder ffmpeg, % of one core | CPU s per media s | frames written / distinct pictures per s | not counted: source encoder / mediasoup worker | machine busy, all ${m.nproc} cores | load avg |`,
    `|---|---:|---:|---:|---|---:|---:|`,
    ...cpu.map(
      (c) =>
        `| ${c.codec} → ${c.mode}${c.mode === 'transcode' ? ' (libx264 veryfast)' : ''} | **${f1(c.recorderPercentPerRealtimeSeminar)} %** | ${(c.recorderPercentPerRealtimeSeminar / 100).toFixed(3)} (${f1(c.recorderPercentOfCore)} % over ${c.windowSeconds.toFixed(1)} s wall, ${c.mediaSeconds.toFixed(1)} s media) | ${f1(c.recordedFps)} / ${f1(c.recordedDistinctFps)} | ` +
        `${f1(c.sourcePercentOfCore)} % / ${f1(c.workerPercentOfCore)} % | ${f1(c.machineBusyPercent)} % | ${c.loadAverage.toFixed(2)} |`,
    ),
    '',
    copy && transcode
      ? `Transcode / copy: **${(transcode.recorderPercentPerRealtimeSeminar / copy.recorderPercentPerRealtimeSeminar).toFixed(1)}×**. Target (copy ≤ ${settings.targets.copyCpuPercentOfCore} % of one core): ${yes(met.copyCpu)}.`
      : `CPU measurement failed: ${cpuFailures.join('; ')}`,
    '',
    `**End → replay playable** (seminar:end emitted → the learner's playback API answers live:false, the playlist has ENDLIST, its first segment decodes; ${settings.liveSeconds} s live each)`,
    '',
    `| source | seminars | not playable in 30 s | p50 ms | max ms | seminar:end ack p50 / max ms |`,
    `|---|---:|---:|---:|---:|---|`,
    ...perCodec.map(
      (p) =>
        `| ${p.codec} (${p.mode}) | ${p.seminars} | ${p.failures.length} | ${p.endToPlayableMs.p50} | ${p.endToPlayableMs.max} | ${p.endAckMs.p50} / ${p.endAckMs.max} |`,
    ),
    `| all | ${runs.length} | ${failedCount} | **${all.p50}** | **${all.max}** | |`,
    ...(failedCount
      ? [
          '',
          ...runs
            .filter((r) => !r.end)
            .map(
              (r) =>
                `- Seminar ${r.n} (${r.codec}) failed: ${r.failure}; recording: ${JSON.stringify(r.recording)}; Lectern's last log lines: ${
                  r.logs
                    .slice(-2)
                    .map((l) => {
                      try {
                        const j = JSON.parse(l);
                        return `${j.msg}${j.stderr ? ` (${String(j.stderr).slice(-160)})` : ''}`;
                      } catch {
                        return l.slice(0, 160);
                      }
                    })
                    .join(' | ') || 'none'
                }`,
            ),
        ]
      : []),
    '',
    `Target (≤ ${settings.targets.endToPlayableMs} ms, every seminar): ${yes(met.endToPlayable)}.`,
    '',
    `**Live latency: capture (burned-in clock) → picture** (ms, p50 / p95 / max; same live seminars as above)`,
    '',
    `| source | WebRTC: consumer → ffmpeg decode | fps | HLS availability: newest frame when its segment is listed | oldest frame of that segment | model: hls.js ${liveSync / 1000} s behind the edge (at least EXT-X-TARGETDURATION) | model: hls.js default, ${settings.player.defaultLiveSyncSeconds / SEGMENT_SECONDS} target durations | HLS frames / distinct per s | machine busy |`,
    `|---|---|---:|---|---|---|---|---|---:|`,
    ...perCodec.map(
      (p) =>
        `| ${p.codec} (${p.mode}) | ${t3(p.webrtcMs)} | ${f1(p.webrtcFps)} | ${t3(p.hlsNewestFrameAgeMs)} | ${t3(p.hlsOldestFrameAgeMs)} | ${t3(p.modelPlayerLowLatencyMs)} | ${t3(p.modelPlayerDefaultMs)} | ${f1(p.hlsFramesPerSecond)} / ${f1(p.hlsDistinctFramesPerSecond)} | ${f1(p.machineBusyPercent)} % |`,
    ),
    '',
    `EXT-X-TARGETDURATION while live: ${perCodec.map((p) => `${p.codec} ${p.targetDurations.join(', ')} s`).join('; ')} (segments are ${SEGMENT_SECONDS} s; the first segment lasted ` +
      `${perCodec.map((p) => `${p.codec} p50 ${(p.firstSegmentMs.p50 / 1000).toFixed(2)} s, max ${(p.firstSegmentMs.max / 1000).toFixed(2)} s`).join('; ')}). hls.js never plays closer to the edge than one target duration.`,
    '',
    players.length
      ? [
          `**Real player: Chromium + hls.js** (${playerNote}; the watch page's settings, web/src/hls-config.ts: ${Object.entries(LIVE_HLS)
            .filter(([k]) => /live|LowLatency|lowLatency/.test(k))
            .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
            .join(
              ', ',
            )}; started once two segments are listed; ${settings.chromium.windowSeconds} s measured after ${settings.chromium.warmupSeconds} s)`,
          '',
          `| source | presented frame: capture → screen | fps | stalls | hls.js' own latency estimate | WebRTC, same seminar | HLS behind WebRTC, p50 / p95 | machine busy |`,
          `|---|---|---:|---:|---|---|---|---:|`,
          ...perCodec
            .filter((p) => p.chromium)
            .map(
              (p) =>
                `| ${p.codec} (${p.mode}) | **${t3(p.chromium!.presentedMs)}** | ${f1(p.chromium!.fps)} | ${p.chromium!.stalls} | ${t3(p.chromium!.hlsJsLatencyMs)} | ${t3(p.chromium!.webrtcSameSeminarMs)} | ${p.chromium!.behindWebrtcMs.p50} / ${p.chromium!.behindWebrtcMs.p95} | ${f1(p.chromium!.machineBusyPercent)} % |`,
            ),
          '',
        ].join('\n')
      : `Real player (Chromium + hls.js): ${playerNote}.\n`,
    `Target (live HLS ≤ ${settings.targets.liveHlsBehindMs} ms behind WebRTC, at p95): ` +
      behind.map((b) => `${b.codec} ${b.p95} ms (${b.basis}): ${yes(met.liveHls[b.codec])}`).join('; ') +
      `. With hls.js defaults (liveSyncDurationCount 3: three target durations, ≥ ${defaultSync / 1000} s behind the edge) it is missed by construction.`,
    '',
    `- Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}; ${ffmpegVersion()}; mediasoup 3.19.3, one worker`,
    `- All on the same cores: Lectern in-process (NODE_ENV=production, embedded FerretDB 1.24.2), the source ffmpeg, the recorder ffmpeg, the probes' decoders${players.length ? ', Chromium' : ''}. Work of other processes on the machine shows in "machine busy" and the load average`,
    `- Source: testsrc2 ${WIDTH}x${HEIGHT} ${FPS} fps with the capture time as 40 binary blocks (geq), H.264 constrained baseline (x264 ultrafast zerolatency) or VP8 (libvpx realtime, cpu-used 8), ${VIDEO_BITRATE}b/s, ` +
      `a key frame forced every ${KEYFRAME_INTERVAL_SECONDS} s of wall time (ffmpeg ignores PLI; the recorder asks every segment), frames timed by the wall clock so a starved source drops frames as a browser would, Opus; RTP into PlainTransport producers on the room's router`,
    `- WebRTC: a second consumer of the camera on a PlainTransport into ffmpeg (low_delay, one thread); a browser adds its jitter buffer and rendering. HLS: the learner's signed live playlist polled every ${settings.hlsPollMs} ms; ` +
      `the model columns add max(liveSyncDuration, EXT-X-TARGETDURATION) to the availability, as hls.js clamps its live sync position; hls.js' own playlist reloads, start-up and stalls come on top, which the Chromium table includes`,
    `- Runtime: ${Math.round(runtimeSeconds)} s; ${date}`,
  ];
  const table = lines.join('\n');
  process.stdout.write(`\n${table}\n`);

  const json = {
    benchmark: 'recording',
    date,
    source: sourceState(),
    machine: m,
    ffmpeg: ffmpegVersion(),
    player: playerNote,
    settings,
    cpu,
    cpuFailures,
    cpuRatioTranscodeToCopy:
      copy && transcode
        ? Math.round((transcode.recorderPercentPerRealtimeSeminar / copy.recorderPercentPerRealtimeSeminar) * 100) / 100
        : null,
    endToPlayableMs: all,
    perCodec,
    liveHlsBehindWebrtcP95: behind,
    seminars: runs.map((r) => ({
      n: r.n,
      codec: r.codec,
      seminarId: r.seminarId,
      end: r.end ?? null,
      failure: r.failure ?? null,
      recording: r.recording ?? null,
      webrtcMs: stats(r.webrtcLatencyMs),
      webrtcFrames: r.webrtcLatencyMs.length,
      webrtcUnreadable: r.webrtcUnreadable,
      windowSeconds: Math.round(r.windowSeconds * 100) / 100,
      hlsSegments: r.hlsSegments,
      hlsUnreadable: r.hlsUnreadable,
      machineBusyPercent: Math.round(r.machineBusyPercent * 10) / 10,
      loadAverage: r.loadAverage,
    })),
    playerSeminars: players.map((p) => ({
      codec: p.codec,
      seminarId: p.seminarId,
      presentedMs: stats(p.player.latenciesMs),
      frames: p.player.latenciesMs.length,
      unreadable: p.player.unreadable,
      stalls: p.player.stalls,
      hlsJsLatencyMs: stats(p.player.hlsJsLatencyMs),
      errors: p.player.errors,
      webrtcMs: stats(p.webrtcLatencyMs),
      windowSeconds: Math.round(p.windowSeconds * 100) / 100,
      machineBusyPercent: Math.round(p.machineBusyPercent * 10) / 10,
    })),
    lecternLog: runs.flatMap((r) => r.logs.map((l) => `seminar ${r.n}: ${l}`)).slice(0, 200),
    targets: { ...settings.targets, met },
    runtimeSeconds: Math.round(runtimeSeconds),
    table,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'recording.json'), JSON.stringify(json, null, 2) + '\n');
  log(`wrote bench/results/recording.json`);
}

function ffmpegVersion(): string {
  try {
    return execFileSync('ffmpeg', ['-version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split('\n')[0]!
      .replace(/ Copyright.*/, '');
  } catch {
    return 'ffmpeg (version unknown)';
  }
}

// `node --import tsx bench/recording.ts` runs it without bench/run.ts.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      process.stderr.write(`[bench recording] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
