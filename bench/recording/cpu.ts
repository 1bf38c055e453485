// CPU of the recorder's ffmpeg per recorded 720p seminar: the Recorder (media/recorder.ts) on a
// router of its own mediasoup worker, fed by the stamped 1280x720 30 fps source with Opus audio.
// H.264 is copied (audio Opus → AAC is transcoded in both cases); VP8 is transcoded with libx264.
// Only the recorder's ffmpeg is counted: utime+stime of its process (all threads) from
// /proc/<pid>/stat over a steady window after a warm-up. The source's encoder, the mediasoup
// worker and this process are reported beside it, not counted.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { Router } from 'mediasoup/types';
import { Recorder, readPlaylist } from '../../media';
import type { MediaLogger } from '../../media/logger';
import { processCpuSeconds } from '../lib/machine';
import { segmentStamps } from './probes';
import { startSource, type SourceCodec } from './source';

export interface CpuResult {
  codec: SourceCodec;
  mode: 'copy' | 'transcode';
  /** Wall time of the window: from one segment's listing to the listing of the N-th after it. */
  windowSeconds: number;
  /** The N segments' durations. */
  mediaSeconds: number;
  recorderCpuSeconds: number;
  /** The recorder's ffmpeg: CPU seconds per wall second × 100 (% of one core). */
  recorderPercentOfCore: number;
  /** CPU seconds per recorded media second × 100: the same when it keeps up, and fair when it lags. */
  recorderPercentPerRealtimeSeminar: number;
  /** Not counted, for context: the source's encoder (test pattern + stamp + encode), the mediasoup worker. */
  sourcePercentOfCore: number;
  workerPercentOfCore: number;
  /** Whole machine over the window: busy % of all cores (others' work included), 1-min load average at the end. */
  machineBusyPercent: number;
  loadAverage: number;
  /** Segments finished in the window: media seconds per wall second, and the frame rate written. */
  recordedSecondsPerSecond: number;
  recordedFps: number;
  /** Different pictures per second among them: what the source delivered (fewer when the machine starves it). */
  recordedDistinctFps: number;
  recordedSegments: number;
}

/** busy and total jiffies of all cores together, from /proc/stat. */
export function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** What the recorder reports of itself, for a recorder that writes nothing. */
export function diagnose(recorder: Recorder): Promise<string> {
  const st = recorder.status();
  const pid = st.pid;
  return Promise.resolve(
    `recorder ${st.state}${st.failure ? ` (${st.failure})` : ''}, ${st.sources} sources, ${st.writers} ffmpeg, ${st.restarts} crashes; ` +
      `ffmpeg ${pid} ${pid !== undefined && processCpuSeconds(pid) !== undefined ? `alive, ${processCpuSeconds(pid)} CPU s` : 'gone'}`,
  );
}

export async function measureRecorderCpu(opts: {
  router: Router;
  workerPid: number;
  codec: SourceCodec;
  dir: string;
  logger: MediaLogger;
  warmupSeconds: number;
  windowSeconds: number;
  segmentSeconds: number;
  log: (msg: string) => void;
}): Promise<CpuResult> {
  const source = await startSource(opts.router, opts.codec);
  let recorder: Recorder | undefined;
  try {
    recorder = await Recorder.create({
      router: opts.router,
      sources: [
        { producer: source.video, role: 'main' },
        { producer: source.audio, role: 'main' },
      ],
      dir: opts.dir,
      ffmpegBin: 'ffmpeg',
      logger: opts.logger,
      segmentSeconds: opts.segmentSeconds,
    });
    // The recorder always encodes now (one picture size, guests composited); the source codec only changes decoding.
    const mode = 'transcode' as CpuResult['mode'];
    opts.log(
      `${opts.codec} source → recorder (${mode}), ffmpeg pid ${recorder.ffmpegPid}: ${opts.warmupSeconds} s warm-up, ${opts.windowSeconds} s measured`,
    );
    await new Promise((r) => setTimeout(r, opts.warmupSeconds * 1000));
    // The window runs from one segment's listing to the listing of the N-th after it, so the
    // media recorded in it is exactly those N segments' durations.
    const segmentsWanted = Math.max(1, Math.round(opts.windowSeconds / opts.segmentSeconds));
    const listed = async (count: number) => {
      const deadline = performance.now() + (opts.windowSeconds * 3 + 10) * 1000;
      for (;;) {
        const p = await readPlaylist(recorder!.playlistPath);
        if (p.segments.length >= count) return { t: performance.now(), segments: p.segments };
        if (performance.now() > deadline)
          throw new Error(`the ${opts.codec} recorder listed ${p.segments.length} segments, not ${count}; ${await diagnose(recorder!)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const first = await listed((await readPlaylist(recorder.playlistPath)).segments.length + 1);
    const pids = { recorder: recorder.ffmpegPid, source: source.ffmpeg.pid, worker: opts.workerPid };
    const cpu0 = {
      recorder: processCpuSeconds(pids.recorder),
      source: processCpuSeconds(pids.source),
      worker: processCpuSeconds(opts.workerPid),
    };
    const m0 = machineJiffies();
    const last = await listed(first.segments.length + segmentsWanted);
    const cpu1 = {
      recorder: processCpuSeconds(pids.recorder),
      source: processCpuSeconds(pids.source),
      worker: processCpuSeconds(opts.workerPid),
    };
    const m1 = machineJiffies();
    const wall = (last.t - first.t) / 1000;
    if (recorder.ffmpegPid !== pids.recorder || cpu0.recorder === undefined || cpu1.recorder === undefined) {
      throw new Error(`the recorder's ffmpeg restarted or vanished during the window (${opts.codec})`);
    }
    const cpuSeconds = (k: keyof typeof cpu0) => (cpu0[k] === undefined || cpu1[k] === undefined ? NaN : cpu1[k] - cpu0[k]);
    const fresh = last.segments.slice(first.segments.length, first.segments.length + segmentsWanted);
    let frames = 0;
    let distinct = 0;
    for (const s of fresh) {
      const st = await segmentStamps(await readFile(path.join(opts.dir, s.uri)), Date.now());
      frames += st.frames;
      distinct += st.distinct;
    }
    const media = fresh.reduce((a, s) => a + s.duration, 0);
    return {
      codec: opts.codec,
      mode,
      windowSeconds: Math.round(wall * 1000) / 1000,
      mediaSeconds: Math.round(media * 1000) / 1000,
      recorderCpuSeconds: cpuSeconds('recorder'),
      recorderPercentOfCore: (cpuSeconds('recorder') / wall) * 100,
      recorderPercentPerRealtimeSeminar: (cpuSeconds('recorder') / media) * 100,
      sourcePercentOfCore: (cpuSeconds('source') / wall) * 100,
      workerPercentOfCore: (cpuSeconds('worker') / wall) * 100,
      machineBusyPercent: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
      loadAverage: loadavg()[0]!,
      recordedSecondsPerSecond: media / wall,
      recordedFps: media > 0 ? frames / media : 0,
      recordedDistinctFps: media > 0 ? distinct / media : 0,
      recordedSegments: fresh.length,
    };
  } finally {
    await recorder?.stop().catch(() => undefined);
    await source.stop();
  }
}
