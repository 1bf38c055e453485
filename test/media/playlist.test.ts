import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLAYLIST, PlaylistFile, parseEntries, type PlaylistEntry } from '../../media/playlist';

// The playlist renders each entry once and writes the bytes it keeps (media/playlist.ts). These
// read the file back after every kind of change: appends past the first buffer, the end mark,
// and a playlist continued after a restart.

const header = (targetDuration: number) => [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  `#EXT-X-TARGETDURATION:${targetDuration}`,
  '#EXT-X-MEDIA-SEQUENCE:0',
  '#EXT-X-PLAYLIST-TYPE:EVENT',
  '#EXT-X-INDEPENDENT-SEGMENTS',
];

function entry(i: number): PlaylistEntry {
  return {
    uri: `seg_${String(i).padStart(5, '0')}.ts`,
    duration: i % 7 === 6 ? 1.25 : 2,
    discontinuity: i > 0 && i % 50 === 0,
    ...(i % 3 === 0 ? { startedAt: new Date(Date.UTC(2026, 11, 2, 10, 0, 2 * i)) } : {}),
  };
}

/** The playlist text the entries must give, written out line by line. */
function expected(entries: PlaylistEntry[], ended: boolean, targetDuration = 2): string {
  const lines = header(targetDuration);
  for (const e of entries) {
    if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${e.duration.toFixed(6)},`);
    if (e.startedAt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${e.startedAt.toISOString()}`);
    lines.push(e.uri);
  }
  if (ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

describe('the recording playlist', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lectern-playlist-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const text = () => readFile(path.join(dir, PLAYLIST), 'utf8');

  it('holds every entry in order after appends that outgrow its first buffer, then the end mark once', async () => {
    const playlist = await PlaylistFile.open(dir, { segmentSeconds: 2, continueExisting: false });
    const all = Array.from({ length: 600 }, (_, i) => entry(i));
    for (let i = 0; i < all.length; i += 7) {
      await playlist.append(all.slice(i, i + 7));
      if (i % 140 === 0) expect(await text()).toBe(expected(all.slice(0, i + 7), false));
    }
    expect(Buffer.byteLength(await text())).toBeGreaterThan(16 * 1024);
    expect(await text()).toBe(expected(all, false));
    expect(parseEntries(await text())).toEqual(all);
    await playlist.end();
    expect(await text()).toBe(expected(all, true));
    expect(playlist.segments).toBe(600);
  });

  it('continues a playlist written before: its end mark taken off, its entries kept, new ones after them', async () => {
    const before = Array.from({ length: 40 }, (_, i) => entry(i));
    await writeFile(path.join(dir, PLAYLIST), expected(before, true));
    const playlist = await PlaylistFile.open(dir, { segmentSeconds: 2, continueExisting: true });
    expect(playlist.nextNumber).toBe(40);
    const more = [entry(40), { ...entry(41), discontinuity: true }];
    await playlist.append(more);
    expect(await text()).toBe(expected([...before, ...more], false));
  });

  it('keeps a target duration that covers the longest segment already listed, as crash recovery opens it', async () => {
    const before = [entry(0), { ...entry(1), duration: 3.5 }, entry(2)];
    await writeFile(path.join(dir, PLAYLIST), expected(before, false, 4));
    const playlist = await PlaylistFile.open(dir, { segmentSeconds: 1, continueExisting: true });
    await playlist.append([entry(3)]);
    expect(await text()).toBe(expected([...before, entry(3)], false, 4));
  });

  it('lists what is appended after the end mark before it', async () => {
    const playlist = await PlaylistFile.open(dir, { segmentSeconds: 2, continueExisting: false });
    const all = Array.from({ length: 300 }, (_, i) => entry(i));
    await playlist.append(all.slice(0, 100));
    await playlist.end();
    await playlist.append(all.slice(100));
    expect(await text()).toBe(expected(all, true));
  });

  it('writes nothing at the end when nothing was listed', async () => {
    const playlist = await PlaylistFile.open(dir, { segmentSeconds: 2, continueExisting: false });
    await playlist.end();
    await expect(readFile(path.join(dir, PLAYLIST))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
