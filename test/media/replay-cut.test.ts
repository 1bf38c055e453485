import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planCut, pruneCuts, writeReplayCut } from '../../media';

// A cut of a recording's replay keeps whole segments: each point goes to the nearest segment
// boundary, the recording's own playlist stays whole, and a cut is a playlist of its own.

const seconds = (...d: number[]) => d.map((duration) => ({ duration }));

describe('planCut', () => {
  it('moves each point to the nearest segment boundary', () => {
    const segments = seconds(1, 1, 1, 1, 1, 1);
    expect(planCut(segments, { startSeconds: 1.4, endSeconds: 4.6 })).toMatchObject({
      first: 1,
      end: 5,
      startSeconds: 1,
      endSeconds: 5,
      durationSeconds: 4,
      totalSeconds: 6,
      whole: false,
    });
    expect(planCut(segments, { startSeconds: 1.6, endSeconds: 4.4 })).toMatchObject({ startSeconds: 2, endSeconds: 4, durationSeconds: 2 });
    // Segments of other lengths (a recording that went on after a crash).
    expect(planCut(seconds(2, 0.5, 3), { startSeconds: 2.2, endSeconds: null })).toMatchObject({ first: 1, end: 3, durationSeconds: 3.5 });
  });

  it('keeps at least the segment a point falls in at the ends, and nothing when the cut is narrower than a segment', () => {
    expect(planCut(seconds(1, 1, 1), { startSeconds: 0, endSeconds: 0.1 })).toMatchObject({ first: 0, end: 1 });
    expect(planCut(seconds(1, 1, 1), { startSeconds: 2.9, endSeconds: null })).toMatchObject({ first: 2, end: 3 });
    expect(planCut(seconds(1, 1, 1), { startSeconds: 1.2, endSeconds: 1.4 })).toBeNull();
    expect(planCut([], { startSeconds: 0, endSeconds: null })).toBeNull();
  });

  it('says when nothing is cut away', () => {
    expect(planCut(seconds(1, 1), { startSeconds: 0.2, endSeconds: 1.9 })).toMatchObject({ whole: true, durationSeconds: 2 });
  });
});

describe('writeReplayCut', () => {
  const recorded = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXTINF:1.000000,',
    '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:00.000Z',
    'seg_00000.ts',
    '#EXTINF:1.000000,',
    'seg_00001.ts',
    '#EXT-X-DISCONTINUITY',
    '#EXTINF:1.000000,',
    '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:05.000Z',
    'seg_00002.ts',
    '#EXTINF:1.000000,',
    'seg_00003.ts',
    '#EXT-X-DISCONTINUITY',
    '#EXTINF:1.000000,',
    'seg_00004.ts',
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');

  it('writes a VOD playlist of the segments kept beside the untouched recording, and prunes other cuts', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-cut-'));
    await writeFile(path.join(dir, 'index.m3u8'), recorded);
    await writeFile(path.join(dir, 'download-whole.mp4'), 'old');
    const cut = await writeReplayCut(dir, { startSeconds: 2, endSeconds: 5 });
    expect(cut).toMatchObject({ startSeconds: 2, endSeconds: 5, durationSeconds: 3 });
    const text = await readFile(path.join(dir, 'replay-2000-5000.m3u8'), 'utf8');
    expect(text.match(/^seg_\d{5}\.ts$/gm)).toEqual(['seg_00002.ts', 'seg_00003.ts', 'seg_00004.ts']);
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(text).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:05.000Z');
    expect(text.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    // The discontinuity before the first segment kept parts it from nothing: dropped; the later one stays.
    expect(text.match(/#EXT-X-DISCONTINUITY/g)).toHaveLength(1);
    expect(text.indexOf('#EXT-X-DISCONTINUITY')).toBeGreaterThan(text.indexOf('seg_00003.ts'));
    expect(await readFile(path.join(dir, 'index.m3u8'), 'utf8')).toBe(recorded);

    await pruneCuts(dir, { startSeconds: 2, endSeconds: 5 });
    expect((await readdir(dir)).sort()).toEqual(['index.m3u8', 'replay-2000-5000.m3u8']);
    await pruneCuts(dir, null);
    expect(await readdir(dir)).toEqual(['index.m3u8']);
  });

  it('writes nothing for a cut that keeps everything or nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-cut-'));
    await writeFile(path.join(dir, 'index.m3u8'), recorded);
    expect(await writeReplayCut(dir, { startSeconds: 0, endSeconds: null })).toMatchObject({ whole: true });
    expect(await writeReplayCut(dir, { startSeconds: 2.2, endSeconds: 2.4 })).toBeNull();
    expect(await readdir(dir)).toEqual(['index.m3u8']);
  });
});
