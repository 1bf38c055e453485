import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { finalizePlaylist, readPlaylist } from '../../media';
import { fixedGopH264, pictureAndTone } from '../support/ffmpeg';
import { ffprobeJson } from '../support/probe';

const run = promisify(execFile);

// A recording left open by a crash of Lectern: its writer (ffmpeg) had finished segments and
// listed them in its CSV, and the Recorder had listed only some in the playlist. The next
// start lists the rest when they follow without a gap, and ends the playlist.

/** A writer's run as ffmpeg leaves it: 1 s segments w1_NNNNN.ts and their CSV list w1.csv. */
async function writerRun(seconds: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-crash-recovery-'));
  await run(
    'ffmpeg',
    [
      ...['-v', 'error'],
      ...pictureAndTone('testsrc2=size=320x180:rate=25', { seconds }),
      ...fixedGopH264(25),
      '-c:a',
      'aac',
      '-f',
      'segment',
      '-segment_time',
      '1',
      '-segment_list',
      path.join(dir, 'w1.csv'),
      '-segment_list_type',
      'csv',
      path.join(dir, 'w1_%05d.ts'),
    ],
    { cwd: dir },
  );
  return dir;
}

/** The playlist as the Recorder had written it: the first `listed` segments, renamed, no end. */
async function listedByRecorder(dir: string, listed: number): Promise<void> {
  // Each segment from its start to the next one's, on the writer's own timeline (its first holds the encoder's delay).
  const starts = (await readFile(path.join(dir, 'w1.csv'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => Number(l.split(',')[1]));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:EVENT'];
  for (let i = 0; i < listed; i++) {
    const uri = `seg_${String(i).padStart(5, '0')}.ts`;
    await rename(path.join(dir, `w1_${String(i).padStart(5, '0')}.ts`), path.join(dir, uri));
    const at = new Date(Date.UTC(2026, 10, 30, 10, 0, 0) + starts[i]! * 1000).toISOString();
    lines.push(`#EXTINF:${(starts[i + 1]! - starts[i]!).toFixed(6)},`, `#EXT-X-PROGRAM-DATE-TIME:${at}`, uri);
  }
  await writeFile(path.join(dir, 'index.m3u8'), lines.join('\n') + '\n');
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

  it('leaves a finished playlist as it is', async () => {
    const dir = await writerRun(3);
    await listedByRecorder(dir, 2);
    await writeFile(path.join(dir, 'index.m3u8'), (await readFile(path.join(dir, 'index.m3u8'), 'utf8')) + '#EXT-X-ENDLIST\n');
    await finalizePlaylist(path.join(dir, 'index.m3u8'));
    expect((await readPlaylist(path.join(dir, 'index.m3u8'))).segments).toHaveLength(2);
    expect(await readdir(dir)).toContain('w1_00002.ts');
  });
});
