import { appendFile, cp, mkdtemp, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { finalizePlaylist, readPlaylist } from '../../media';
import { backup } from '../../server/ops/backup';
import { decodeFrames } from '../support/probe';
import { listedByRecorder, writerRun } from '../support/recordings';

// A backup taken while a seminar records copies a recording directory that its writer
// (ffmpeg) and the Recorder keep changing. The copy must not name a segment it copied half
// made (the restored Lectern would list it, and players would get a broken last segment),
// and must not lose a segment the Recorder renamed while it copied. Here the writer and the
// Recorder act at the moments the backup's copies give them.

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

const temp: string[] = [];
afterAll(async () => {
  for (const dir of temp) await rm(dir, { recursive: true, force: true });
});

/**
 * A recording on air: five 1 s segments written; the Recorder listed two, ffmpeg closed a
 * third (listed in its CSV) and is half way through the fourth.
 */
async function onAir() {
  const run = await writerRun(5);
  temp.push(run);
  await listedByRecorder(run, 2);
  const csv = (await readFile(path.join(run, 'w1.csv'), 'utf8')).trim().split('\n');
  const data = await mkdtemp(path.join(tmpdir(), 'lectern-backup-recordings-'));
  temp.push(data);
  const dir = path.join(data, 'recordings', 'seminar');
  await cp(run, dir, { recursive: true, filter: (f) => !f.endsWith('w1_00004.ts') });
  const writing = path.join(dir, 'w1_00003.ts');
  const whole = await readFile(writing);
  await writeFile(path.join(dir, 'w1.csv'), csv.slice(0, 3).join('\n') + '\n');
  await truncate(writing, whole.length >> 1);
  return {
    data,
    dir,
    writing,
    /** ffmpeg closes the fourth segment and lists it. */
    finishWriting: async () => {
      await writeFile(writing, whole);
      await appendFile(path.join(dir, 'w1.csv'), csv[3] + '\n');
    },
    /** The Recorder lists the third segment: renamed into place, then the playlist rewritten. */
    listThird: async () => {
      const starts = csv.map((line) => Number(line.split(',')[1]));
      await rename(path.join(dir, 'w1_00002.ts'), path.join(dir, 'seg_00002.ts'));
      const at = new Date(Date.UTC(2026, 10, 30, 10, 0, 0) + starts[2]! * 1000).toISOString();
      const text = await readFile(path.join(dir, 'index.m3u8'), 'utf8');
      const added = [`#EXTINF:${(starts[3]! - starts[2]!).toFixed(6)},`, `#EXT-X-PROGRAM-DATE-TIME:${at}`, 'seg_00002.ts'];
      await writeFile(path.join(dir, 'index.m3u8.tmp'), text + added.join('\n') + '\n');
      await rename(path.join(dir, 'index.m3u8.tmp'), path.join(dir, 'index.m3u8'));
    },
  };
}

/** Backs up, then does what the restored Lectern does at its start; the playlist's segments and files left. */
async function backUpAndRestore(data: string) {
  const target = path.join(data, 'backup');
  const manifest = await backup(
    { dataDir: data, recordingsDir: path.join(data, 'recordings'), mongodbUri: 'mongodb://unused', jwtSecret: 's' },
    target,
  );
  afterCopy.hook = undefined;
  const restored = path.join(target, 'recordings', 'seminar');
  const summary = await finalizePlaylist(path.join(restored, 'index.m3u8'));
  const playlist = await readPlaylist(path.join(restored, 'index.m3u8'));
  expect(playlist.ended).toBe(true);
  expect(summary.segments).toBe(playlist.segments.length);
  // Every listed segment whole: 25 frames each (1 s at 25 fps).
  for (const s of playlist.segments) expect(await decodeFrames(path.join(restored, s.uri)), s.uri).toBe(25);
  return { copied: manifest.files.map((f) => f.path), listed: playlist.segments.map((s) => s.uri), left: await readdir(restored) };
}

describe('a backup of a recording being written', () => {
  it('names no segment it copied half made; a segment dropped meanwhile is skipped', async () => {
    const scene = await onAir();
    // A stalled writer's segment the Recorder drops while the backup copies.
    const dropped = path.join(scene.dir, 'w2_00000.ts');
    await writeFile(dropped, 'black');
    let finished = false;
    afterCopy.hook = async (src) => {
      if (src.endsWith('seg_00000.ts')) await rm(dropped);
      if (src !== scene.writing || finished) return;
      finished = true;
      await scene.finishWriting();
    };
    const { copied, listed, left } = await backUpAndRestore(scene.data);
    expect(finished).toBe(true);
    expect(copied).toContain('recordings/seminar/w1_00003.ts');
    expect(copied).not.toContain('recordings/seminar/w2_00000.ts');
    // The segment ffmpeg had closed before the copy is recovered; the half-made one is not.
    expect(listed).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts']);
    expect(left).not.toContain('w1_00003.ts');
  });

  it('keeps a segment the Recorder renamed after the backup listed the directory', async () => {
    const scene = await onAir();
    let listedThird = false;
    afterCopy.hook = async (src) => {
      // The first segment file copied: the directory has been listed for the last time.
      if (!src.endsWith('seg_00000.ts') || listedThird) return;
      listedThird = true;
      await scene.listThird();
    };
    const { copied, listed } = await backUpAndRestore(scene.data);
    expect(listedThird).toBe(true);
    expect(copied).not.toContain('recordings/seminar/w1_00002.ts');
    expect(copied).toContain('recordings/seminar/seg_00002.ts');
    expect(listed).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts']);
  });
});
