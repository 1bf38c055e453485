import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPlaylist, Recorder, routerMediaCodecs, type WorkerPool } from '../../media';
import { avProducers } from '../support/av-producers';
import { createTestPool, silentLogger, waitFor } from '../support/media';
import { decodeFrames, ffprobeJson, packetTimes } from '../support/probe';

let pool: WorkerPool;
const sources: ChildProcess[] = [];
beforeAll(async () => {
  pool = await createTestPool(1);
});
afterAll(() => {
  for (const s of sources) s.kill('SIGKILL');
  pool.close();
});

async function recording() {
  const router = await pool.leastLoaded()!.createRouter({ mediaCodecs: routerMediaCodecs });
  const { video, audio, ffmpeg } = await avProducers(router);
  sources.push(ffmpeg);
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-rec-'));
  const recorder = await Recorder.create({
    router,
    videoProducerId: video.id,
    audioProducerId: audio.id,
    dir,
    ffmpegBin: 'ffmpeg',
    logger: silentLogger,
    segmentSeconds: 2,
  });
  return { recorder, dir, router };
}

const segmentsOnDisk = async (dir: string) => (await readPlaylist(path.join(dir, 'index.m3u8'))).segments;

describe('Recorder', () => {
  it('records a live H.264 + Opus source to HLS: both streams, the live duration, monotonic timestamps, every segment playable', async () => {
    const { recorder, dir } = await recording();
    expect(recorder.videoCodec).toBe('video/H264');
    const started = Date.now();
    await waitFor(async () => ((await segmentsOnDisk(dir)).length >= 3 ? true : undefined), 20_000, 'three segments');
    await new Promise((r) => setTimeout(r, 1500));
    const liveSeconds = (Date.now() - started) / 1000;
    const summary = await recorder.stop();

    const playlist = await readPlaylist(summary.playlistPath);
    expect(playlist.ended).toBe(true);
    expect(playlist.text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    const probe = await ffprobeJson(summary.playlistPath);
    expect(probe.streams.map((s: { codec_type: string; codec_name: string }) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual([
      'audio:aac',
      'video:h264',
    ]);
    expect(Math.abs(Number(probe.format.duration) - liveSeconds)).toBeLessThan(1);
    expect(Math.abs(summary.durationSeconds - liveSeconds)).toBeLessThan(1);

    for (const stream of ['v:0', 'a:0'] as const) {
      const times = await packetTimes(summary.playlistPath, stream);
      expect(times.length).toBeGreaterThan(20);
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    }
    for (const segment of playlist.segments) {
      const file = path.join(dir, segment.uri);
      expect(await decodeFrames(file)).toBeGreaterThan(0);
      const s = await ffprobeJson(file, ['-show_frames', '-select_streams', 'v:0', '-read_intervals', '%+#1']);
      expect(s.frames[0].key_frame).toBe(1);
    }
  });

  it('restarts ffmpeg after it is killed: the playlist goes on after a discontinuity and keeps every earlier segment', async () => {
    const { recorder, dir } = await recording();
    await waitFor(async () => ((await segmentsOnDisk(dir)).length >= 2 ? true : undefined), 20_000, 'two segments');
    const before = (await segmentsOnDisk(dir)).map((s) => s.uri);
    const restarted = once(recorder, 'restarted');
    process.kill(recorder.ffmpegPid!, 'SIGKILL');
    await restarted;
    await waitFor(
      async () => ((await segmentsOnDisk(dir)).length >= before.length + 2 ? true : undefined),
      20_000,
      'segments after the restart',
    );
    const summary = await recorder.stop();

    const playlist = await readPlaylist(summary.playlistPath);
    expect(playlist.ended).toBe(true);
    expect(summary.discontinuities).toBeGreaterThanOrEqual(1);
    const uris = playlist.segments.map((s) => s.uri);
    for (const uri of before) expect(uris).toContain(uri);
    for (const uri of uris) expect(existsSync(path.join(dir, uri))).toBe(true);
    const after = uris.slice(uris.indexOf(before[before.length - 1]!) + 1);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const uri of after) expect(await decodeFrames(path.join(dir, uri))).toBeGreaterThan(0);
    expect(new Set(uris).size).toBe(uris.length);
  });
});
