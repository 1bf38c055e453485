import { execFile } from 'node:child_process';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { finalizePlaylist, readPlaylist } from '../../media';
import { TS_OFFSET_SECONDS } from '../../media/recording-graph';
import { carriesSound } from '../../media/segment-sound';
import { ffprobeJson } from '../support/probe';
import { listedByRecorder, writerRun } from '../support/recordings';

// A recording left open by a crash of Lectern: its writer (ffmpeg) had finished segments and
// listed them in its CSV, and the Recorder had listed only some in the playlist. The next
// start lists the rest when they follow without a gap, and ends the playlist.

const run = promisify(execFile);

/** Where one kind of stream's packets start in a segment, in timeline seconds. */
async function packetTimes(file: string, stream: 'v' | 'a'): Promise<number[]> {
  const args = ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file];
  const { stdout } = await run('ffprobe', args);
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number(l.split(',')[0]) - TS_OFFSET_SECONDS);
}

describe('a recording left open by a crash', () => {
  it('gets the segments its writer finished but the playlist did not list yet, then its end', async () => {
    const dir = await writerRun(5);
    await listedByRecorder(dir, 2);
    const summary = await finalizePlaylist(path.join(dir, 'index.m3u8'));

    const after = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(after.ended).toBe(true);
    expect(after.segments.map((s) => s.uri)).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts', 'seg_00003.ts', 'seg_00004.ts']);
    expect(summary.segments).toBe(5);
    expect(summary.durationSeconds).toBeCloseTo(5.08, 2);
    // The recovered segments take on the wall-clock times where the listed ones left off.
    expect(after.text).toContain(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Date.UTC(2026, 10, 30, 10, 0, 4, 80)).toISOString()}`);
    // What a player gets: the five seconds, pictures and sound.
    const probe = await ffprobeJson(path.join(dir, 'index.m3u8'));
    expect(Number(probe.format.duration)).toBeGreaterThan(4.8);
    expect(probe.streams.map((s: { codec_type: string }) => s.codec_type).sort()).toEqual(['audio', 'video']);
    // Nothing of the writer is left behind.
    expect((await readdir(dir)).filter((n) => n.startsWith('w1'))).toEqual([]);
  });

  it('takes nothing that does not follow the playlist, and ends it as it was', async () => {
    const dir = await writerRun(4);
    await listedByRecorder(dir, 1);
    // The segment after the listed one is gone (as a segment dropped or cut would be): the rest has a gap before it.
    await rename(path.join(dir, 'w1_00001.ts'), path.join(dir, 'lost.ts'));
    await finalizePlaylist(path.join(dir, 'index.m3u8'));
    const after = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(after.ended).toBe(true);
    expect(after.segments.map((s) => s.uri)).toEqual(['seg_00000.ts']);
  });

  it('gives a recovered segment without sound silence, as the publisher does, when the recording has sound', async () => {
    // The microphone went quiet 1.5 s in: the writer's segments from the third on hold pictures only.
    const dir = await writerRun(5, 1.5);
    await listedByRecorder(dir, 2);
    expect(carriesSound(await readFile(path.join(dir, 'w1_00002.ts')))).toBe(false);
    const pictures = [];
    for (const name of ['seg_00000', 'seg_00001', 'w1_00002', 'w1_00003', 'w1_00004'])
      pictures.push(await packetTimes(path.join(dir, `${name}.ts`), 'v'));
    await finalizePlaylist(path.join(dir, 'index.m3u8'), { ffmpegBin: 'ffmpeg' });

    const after = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(after.ended).toBe(true);
    expect(after.segments).toHaveLength(5);
    let start = 0;
    for (const [i, segment] of after.segments.entries()) {
      const file = path.join(dir, segment.uri);
      expect(carriesSound(await readFile(file)), segment.uri).toBe(true);
      if (i >= 2) {
        // The silence lies on the segment's own stretch of the timeline.
        const sound = await packetTimes(file, 'a');
        expect(Math.min(...sound), segment.uri).toBeGreaterThanOrEqual(start - 0.05);
        expect(Math.max(...sound), segment.uri).toBeLessThan(start + segment.duration + 0.05);
      }
      // Its pictures are all still there, at their times.
      expect(await packetTimes(file, 'v'), segment.uri).toEqual(pictures[i]);
      start += segment.duration;
    }
  });

  it('stops before a recovered segment without sound when it cannot give it silence', async () => {
    const dir = await writerRun(5, 1.5);
    await listedByRecorder(dir, 2);
    await finalizePlaylist(path.join(dir, 'index.m3u8'), { ffmpegBin: path.join(dir, 'no-such-ffmpeg') });
    const after = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(after.ended).toBe(true);
    expect(after.segments.map((s) => s.uri)).toEqual(['seg_00000.ts', 'seg_00001.ts']);
    expect((await readdir(dir)).filter((n) => n.startsWith('w1'))).toEqual([]);
  });

  it('takes the segments of a recording without sound as they are', async () => {
    // As a screen share's: no segment has sound, and no ffmpeg is run to give it any.
    const dir = await writerRun(4, 0);
    await listedByRecorder(dir, 1);
    await finalizePlaylist(path.join(dir, 'index.m3u8'), { ffmpegBin: path.join(dir, 'no-such-ffmpeg') });
    const after = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(after.segments).toHaveLength(4);
    for (const segment of after.segments) expect(carriesSound(await readFile(path.join(dir, segment.uri)))).toBe(false);
  });

  it('leaves a finished playlist as it is', async () => {
    const dir = await writerRun(3);
    await listedByRecorder(dir, 2);
    await writeFile(path.join(dir, 'index.m3u8'), (await readFile(path.join(dir, 'index.m3u8'), 'utf8')) + '#EXT-X-ENDLIST\n');
    await finalizePlaylist(path.join(dir, 'index.m3u8'));
    expect((await readPlaylist(path.join(dir, 'index.m3u8'))).segments).toHaveLength(2);
    expect(await readdir(dir)).toContain('w1_00002.ts');
  });
});
