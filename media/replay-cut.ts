import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEntries, PLAYLIST, type PlaylistEntry } from './playlist';

// A recording's replay cut to the part worth watching (lecturers go live before they begin and
// stop after they end). The recording's own playlist (index.m3u8) stays whole, so a cut can be
// changed or undone; the replay plays a playlist of the cut, which lists the segments kept. A cut is
// made of whole segments: each asked point moves to the nearest segment boundary (with the
// recorder's 1 s segments, within half a second), so no segment is re-encoded or rewritten.

const REPLAY = /^replay-\d{1,9}-\d{1,9}\.m3u8$/;
const DOWNLOAD = /^download-(?:whole|\d{1,9}-\d{1,9})\.mp4$/;

/** Names a cut in file names: its points in milliseconds, or 'whole'. */
export function cutKey(cut: { startSeconds: number; endSeconds: number } | null): string {
  return cut ? `${Math.round(cut.startSeconds * 1000)}-${Math.round(cut.endSeconds * 1000)}` : 'whole';
}

/**
 * The playlist the replay plays: the recording's own when it is not cut, else one per cut, so a
 * new cut is a new address (no cache serves the old one) and a cut written but never recorded
 * in the database (a fault between the two) is never what a replay plays.
 */
export function replayPlaylistName(cut: { startSeconds: number; endSeconds: number } | null): string {
  return cut ? `replay-${cutKey(cut)}.m3u8` : PLAYLIST;
}

/** The MP4 made of the replay (download-<cut>.mp4). */
export function downloadFileName(cut: { startSeconds: number; endSeconds: number } | null): string {
  return `download-${cutKey(cut)}.mp4`;
}

/** Removes the replay playlists and MP4s of cuts other than this one. */
export async function pruneCuts(dir: string, cut: { startSeconds: number; endSeconds: number } | null): Promise<void> {
  const keep = new Set([replayPlaylistName(cut), downloadFileName(cut)]);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if ((REPLAY.test(name) || DOWNLOAD.test(name)) && !keep.has(name)) await rm(path.join(dir, name), { force: true });
  }
}

export interface CutRange {
  /** Seconds into the recording; moved to the nearest segment boundary. */
  startSeconds: number;
  /** Seconds into the recording (null: to its end); moved to the nearest segment boundary. */
  endSeconds: number | null;
}

export interface PlannedCut {
  /** Index of the first segment kept, and one past the last. */
  first: number;
  end: number;
  /** Where the cut falls on the recording's timeline, at segment boundaries. */
  startSeconds: number;
  endSeconds: number;
  /** What is left: the replay's length. */
  durationSeconds: number;
  /** The whole recording's length. */
  totalSeconds: number;
  /** Nothing is cut away. */
  whole: boolean;
}

/** Where a cut falls on these segments; null when it would keep no segment at all. */
export function planCut(segments: ReadonlyArray<{ duration: number }>, range: CutRange): PlannedCut | null {
  const bounds = [0];
  for (const s of segments) bounds.push(bounds[bounds.length - 1]! + s.duration);
  const nearest = (t: number, from: number, to: number) => {
    let best = from;
    for (let i = from; i <= to; i++) if (Math.abs(bounds[i]! - t) < Math.abs(bounds[best]! - t)) best = i;
    return best;
  };
  const n = segments.length;
  if (n === 0) return null;
  const first = nearest(range.startSeconds, 0, n - 1);
  const end = range.endSeconds === null ? n : nearest(range.endSeconds, 1, n);
  if (end <= first) return null;
  return {
    first,
    end,
    startSeconds: round(bounds[first]!),
    endSeconds: round(bounds[end]!),
    durationSeconds: round(bounds[end]! - bounds[first]!),
    totalSeconds: round(bounds[n]!),
    whole: first === 0 && end === n,
  };
}

/** The finished recording's segments, from its playlist in `dir`. */
export async function recordingSegments(dir: string): Promise<PlaylistEntry[]> {
  return parseEntries(await readFile(path.join(dir, PLAYLIST), 'utf8'));
}

/**
 * Writes the replay playlist of the cut (atomically: temp file + rename); nothing when the cut
 * keeps everything. Returns the cut, or null when it would keep no segment (nothing written).
 */
export async function writeReplayCut(dir: string, range: CutRange): Promise<PlannedCut | null> {
  const entries = await recordingSegments(dir);
  const cut = planCut(entries, range);
  if (!cut) return null;
  if (cut.whole) return cut;
  const file = path.join(dir, replayPlaylistName(cut));
  const kept = entries.slice(cut.first, cut.end);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${Math.max(1, ...kept.map((e) => Math.ceil(e.duration - 1e-6)))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  kept.forEach((e, i) => {
    // The first segment kept starts the playlist: a discontinuity before it has nothing to part from.
    if (e.discontinuity && i > 0) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${e.duration.toFixed(6)},`);
    if (e.startedAt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${e.startedAt.toISOString()}`);
    lines.push(e.uri);
  });
  lines.push('#EXT-X-ENDLIST');
  const tmp = `${file}.tmp`;
  await writeFile(tmp, lines.join('\n') + '\n');
  await rename(tmp, file);
  return cut;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
