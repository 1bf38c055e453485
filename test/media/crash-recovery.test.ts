import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalizePlaylist, readPlaylist } from '../../media';
import { ffprobeJson } from '../support/probe';
import { listedByRecorder, writerRun } from '../support/recordings';

// A recording left open by a crash of Lectern: its writer (ffmpeg) had finished segments and
// listed them in its CSV, and the Recorder had listed only some in the playlist. The next
// start lists the rest when they follow without a gap, and ends the playlist.

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
