import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { inspect } from 'mux.js/lib/tools/ts-inspector.js';
import { PlaylistFile } from '../../media/playlist';
import { PlaylistPublisher } from '../../media/publisher';
import { TS_OFFSET_SECONDS } from '../../media/recording-graph';
import { carriesSound } from '../../media/segment-sound';
import { launchChromium } from '../support/browser';
import { fixedGopH264 } from '../support/ffmpeg';

// A writer's first segment can hold pictures and no sound: the camera's first frame came just
// before a grid point and the microphone's first packet after it (caught under load in the
// nginx test). hls.js makes its buffers from the first segment it loads, so such a segment
// left the whole recording unplayable in Chromium ("Attempting to append to the audio
// SourceBuffer, but it does not exist"). The Recorder's publisher gives it silence.

const run = promisify(execFile);

/** The packets of one kind of stream in a segment: timeline seconds and sizes. */
async function packets(file: string, stream: 'v' | 'a'): Promise<Array<{ at: number; size: number }>> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,size', '-of', 'csv=p=0', file],
  ]);
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [pts, size] = l.split(',');
      return { at: Number(pts) - TS_OFFSET_SECONDS, size: Number(size) };
    });
}

/** A writer's 3 s on the timeline (w1_NNNNN.ts, 1 s each), its sound starting 1.5 s in. */
async function writerWithLateSound(dir: string): Promise<void> {
  await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=3'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1.5'],
      ...['-filter_complex', '[1:a]asetpts=PTS+1.5/TB[late]', '-map', '0:v', '-map', '[late]'],
      ...fixedGopH264(25, 'ultrafast'),
      ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ar', '48000', '-ac', '2'],
      // As the writers do: timestamps 1.4 s (twice the mux delay) past the timeline.
      ...['-muxdelay', '0.7', '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', '1', 'w1_%05d.ts'],
    ],
    { cwd: dir },
  );
}

/** Lists the writer's three segments through the Recorder's publisher, then ends the playlist. */
async function publishWriter(dir: string, ffmpegBin: string): Promise<void> {
  const playlist = await PlaylistFile.open(dir, { segmentSeconds: 1, continueExisting: false });
  const publisher = new PlaylistPublisher({
    dir,
    ffmpegBin,
    logger: pino({ level: 'silent' }),
    playlist,
    originSeconds: Date.now() / 1000,
    segmentSeconds: 1,
    canvas: { width: 320, height: 180 },
    withAudio: true,
    retire: () => undefined,
  });
  publisher.enqueue(
    [0, 1, 2].map((i) => ({ kind: 'list', writer: 1, file: `w1_0000${i}.ts`, start: i, duration: 1, discontinuity: false }) as const),
  );
  await publisher.settled();
  await playlist.end();
}

describe('a recorded segment without sound', () => {
  it('is listed with silence over its second, its pictures as they were, and the recording plays in Chromium', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-segment-sound-'));
    await writerWithLateSound(dir);
    const first = path.join(dir, 'w1_00000.ts');
    const pictures = await packets(first, 'v');
    // What the writer left: 25 pictures and not one sound packet.
    expect(pictures).toHaveLength(25);
    expect(await packets(first, 'a')).toEqual([]);

    await publishWriter(dir, 'ffmpeg');

    const listed = path.join(dir, 'seg_00000.ts');
    expect(await packets(listed, 'v')).toEqual(pictures);
    const sound = await packets(listed, 'a');
    // Silence over [0, 1) of the timeline, in 1024-sample AAC frames.
    expect(sound.length).toBeGreaterThanOrEqual(46);
    expect(sound[0]!.at).toBeCloseTo(0, 3);
    expect(sound.at(-1)!.at).toBeGreaterThan(0.95);
    expect(sound.at(-1)!.at).toBeLessThan(1);
    // The segments that had sound are as they were.
    expect((await packets(path.join(dir, 'seg_00001.ts'), 'a'))[0]!.at).toBeCloseTo(1.5, 1);

    // hls.js in Chromium plays the recording from its start.
    const site = express()
      .use('/hls', express.static(path.resolve('node_modules/hls.js/dist')))
      .use('/rec', express.static(dir))
      .get('/', (_req, res) => {
        res.type('html').send(`<!doctype html><video muted playsinline></video><script src="/hls/hls.light.min.js"></script><script>
          const video = document.querySelector('video');
          window.problems = [];
          const hls = new Hls();
          // Fatal ones only: a stall the player rides out on a busy machine is no failure.
          hls.on(Hls.Events.ERROR, (_e, d) => d.fatal && problems.push(d.details + (d.error ? ': ' + d.error.message : '')));
          hls.loadSource('/rec/index.m3u8');
          hls.attachMedia(video);
          video.play();
          window.playerState = () => ({ ended: video.ended, frames: video.getVideoPlaybackQuality().totalVideoFrames, problems });
        </script>`);
      });
    const server = site.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const browser = await launchChromium('playback');
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const state = () => page.evaluate(() => (globalThis as any).playerState() as { ended: boolean; frames: number; problems: string[] });
      // Until it ends or fails, so that a failure names hls.js's error.
      await expect
        .poll(async () => ((s) => s.ended || s.problems.length > 0)(await state()), { timeout: 20_000, interval: 250 })
        .toBe(true);
      const end = await state();
      expect(end.problems).toEqual([]);
      expect(end.ended).toBe(true);
      expect(end.frames).toBeGreaterThanOrEqual(70);
    } finally {
      await browser.close();
      server.close();
    }
  });

  it("is replaced by black and silence when ffmpeg cannot give it sound, and the writer's next segment follows a discontinuity", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-segment-sound-'));
    await writerWithLateSound(dir);
    const pictures = await packets(path.join(dir, 'w1_00000.ts'), 'v');
    // An ffmpeg that fails at adding silence (the rewrite into *.sound.ts) and does the rest, black included.
    const ffmpeg = path.join(dir, 'ffmpeg-without-silence');
    await writeFile(ffmpeg, '#!/bin/sh\ncase "$*" in *.sound.ts*) exit 1;; esac\nexec ffmpeg "$@"\n', { mode: 0o755 });
    await publishWriter(dir, ffmpeg);

    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith('w1_') || n.endsWith('.sound.ts'))).toEqual([]);
    const lines = (await readFile(path.join(dir, 'index.m3u8'), 'utf8')).split('\n');
    const media = lines.filter((l) => l.endsWith('.ts'));
    expect(media).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts']);
    // Black stood in for the first second: its pictures are not the writer's, and it has sound over [0, 1).
    const black = path.join(dir, 'seg_00000.ts');
    const size = (ps: Array<{ size: number }>) => ps.reduce((sum, p) => sum + p.size, 0);
    expect(size(await packets(black, 'v'))).toBeLessThan(size(pictures) / 5);
    const sound = await packets(black, 'a');
    expect(sound.length).toBeGreaterThanOrEqual(46);
    expect(sound[0]!.at).toBeCloseTo(0, 2);
    // The writer's own next segment is listed after a discontinuity (its encoder's stream restarts
    // there for the player); the one after that follows it plainly.
    const tagsBefore = (uri: string) => lines.slice(lines.indexOf(media[media.indexOf(uri) - 1]!) + 1, lines.indexOf(uri));
    expect(tagsBefore('seg_00001.ts')).toContain('#EXT-X-DISCONTINUITY');
    expect(tagsBefore('seg_00002.ts')).not.toContain('#EXT-X-DISCONTINUITY');
    expect(tagsBefore('seg_00002.ts')).toHaveLength(2);
    expect((await packets(path.join(dir, 'seg_00001.ts'), 'a'))[0]!.at).toBeCloseTo(1.5, 1);
  });
});

describe('the check for sound in a segment', () => {
  /** Segments of every shape the writers and the filler leave, in one folder. */
  async function segments(): Promise<string[]> {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-carries-sound-'));
    await writerWithLateSound(dir);
    const make = (name: string, inputs: string[], codecs: string[]) =>
      run(
        'ffmpeg',
        [
          ...['-v', 'error', ...inputs, ...codecs],
          ...['-muxdelay', '0.7', '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', '1', `${name}_%05d.ts`],
        ],
        { cwd: dir },
      );
    const picture = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2'];
    const sound = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2'];
    const h264 = [...fixedGopH264(25, 'ultrafast'), '-pix_fmt', 'yuv420p'];
    const aac = ['-c:a', 'aac', '-ar', '48000', '-ac', '2'];
    await make('both', [...picture, ...sound], [...h264, ...aac]);
    await make('pictures', picture, h264);
    await make('sound', sound, aac);
    const names = (await readdir(dir)).filter((n) => n.endsWith('.ts')).sort();
    return names.map((n) => path.join(dir, n));
  }

  it("answers what mux.js's inspector answers, on whole segments, cut ones and ones behind stray bytes", async () => {
    const files = await segments();
    const cases: Array<{ name: string; bytes: Uint8Array }> = [];
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(file));
      const name = path.basename(file);
      cases.push({ name, bytes });
      // A writer killed mid-packet leaves a cut last packet; a damaged file can start off the packet grid.
      cases.push({ name: `${name} cut`, bytes: bytes.subarray(0, Math.floor(bytes.length / 3) + 57) });
      cases.push({ name: `${name} after stray bytes`, bytes: new Uint8Array([0x47, 1, 2, 0x47, 3, ...bytes]) });
    }
    const answers = cases.map(({ name, bytes }) => ({ name, sound: carriesSound(bytes) }));
    expect(answers).toEqual(cases.map(({ name, bytes }) => ({ name, sound: (inspect(bytes)?.audio?.length ?? 0) > 0 })));
    // Both answers occur, so agreeing is not agreeing on one answer.
    const sounded = answers.filter((a) => a.sound).map((a) => a.name);
    expect(sounded).toEqual(expect.arrayContaining(['both_00000.ts', 'sound_00001.ts', 'w1_00001.ts']));
    expect(answers.filter((a) => !a.sound).map((a) => a.name)).toEqual(
      expect.arrayContaining(['pictures_00000.ts', 'pictures_00001.ts', 'w1_00000.ts']),
    );
  });
});
