import { appendFile, copyFile as realCopyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { finalizePlaylist, readPlaylist } from '../../media';
import { backup } from '../../server/ops/backup';
import { decodeFrames } from '../support/probe';
import { listedByRecorder, writerRun } from '../support/recordings';

// A backup taken while a seminar records copies a recording directory whose writer (ffmpeg)
// is mid-segment. The copy must not name a segment it copied half made: the restored
// Lectern would list it, and players would get a broken last segment. Here the writer
// finishes that segment, and lists it, the moment the backup has copied its first half.

const afterCopy = vi.hoisted(() => ({ hook: undefined as undefined | ((src: string) => Promise<void>) }));
vi.mock('node:fs/promises', async (original) => {
  const real = await original<typeof import('node:fs/promises')>();
  return {
    ...real,
    copyFile: async (...args: Parameters<typeof real.copyFile>) => {
      await real.copyFile(...args);
      await afterCopy.hook?.(String(args[0]));
    },
  };
});

describe('a backup of a recording being written', () => {
  it('names no segment it copied half made, and the restored recording decodes to its last frame', async () => {
    // Five 1 s segments; the Recorder listed two, ffmpeg closed a third and is writing the fourth.
    const run = await writerRun(5);
    await listedByRecorder(run, 2);
    const csv = (await readFile(path.join(run, 'w1.csv'), 'utf8')).trim().split('\n');
    const writing = path.join(run, 'w1_00003.ts');
    const whole = await readFile(writing);
    await rename(path.join(run, 'w1_00004.ts'), path.join(run, 'later.bin'));
    await writeFile(path.join(run, 'w1.csv'), csv.slice(0, 3).join('\n') + '\n');
    await truncate(writing, whole.length >> 1);

    const data = await mkdtemp(path.join(tmpdir(), 'lectern-backup-recordings-'));
    const recordings = path.join(data, 'recordings');
    await mkdir(path.join(recordings, 'seminar'), { recursive: true });
    await realCopyFile(path.join(run, 'index.m3u8'), path.join(recordings, 'seminar', 'index.m3u8'));
    for (const name of await readdir(run)) {
      if (name !== 'index.m3u8' && name !== 'later.bin') await realCopyFile(path.join(run, name), path.join(recordings, 'seminar', name));
    }
    // A stalled writer's segment the Recorder drops while the backup copies: skipped, not an error.
    const dropped = path.join(recordings, 'seminar', 'w2_00000.ts');
    await writeFile(dropped, 'black');
    const source = path.join(recordings, 'seminar', 'w1_00003.ts');
    let finished = false;
    afterCopy.hook = async (src) => {
      if (src.endsWith('seg_00000.ts')) await rm(dropped);
      if (src !== source || finished) return;
      finished = true;
      await writeFile(source, whole);
      await appendFile(path.join(recordings, 'seminar', 'w1.csv'), csv[3] + '\n');
    };

    const target = path.join(data, 'backup');
    const manifest = await backup({ dataDir: data, recordingsDir: recordings, mongodbUri: 'mongodb://unused', jwtSecret: 's' }, target);
    afterCopy.hook = undefined;
    expect(finished).toBe(true);
    expect(manifest.files.map((f) => f.path)).toContain('recordings/seminar/w1_00003.ts');
    expect(manifest.files.map((f) => f.path)).not.toContain('recordings/seminar/w2_00000.ts');

    // What the restored Lectern does at its start: list what the writer finished, end the playlist.
    const restored = path.join(target, 'recordings', 'seminar');
    const summary = await finalizePlaylist(path.join(restored, 'index.m3u8'));
    const playlist = await readPlaylist(path.join(restored, 'index.m3u8'));
    expect(playlist.ended).toBe(true);
    // The segment ffmpeg had closed before the copy is recovered; the half-made one is not.
    expect(playlist.segments.map((s) => s.uri)).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts']);
    expect(summary.segments).toBe(3);
    for (const s of playlist.segments) expect(await decodeFrames(path.join(restored, s.uri))).toBe(25);
    expect(await readdir(restored)).not.toContain('w1_00003.ts');
  });
});
