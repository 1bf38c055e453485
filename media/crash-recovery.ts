import { access, appendFile, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PlaylistFile, readPlaylist, round, type PlaylistEntry, type RecordingSummary } from './playlist';
import { parseListLine, type WrittenSegment } from './segment-writer';
import { addSilence, holdsSound } from './segment-sound';

// A recording that a crash of Lectern (SIGKILL, power loss) left open, made final on the next
// start. The Recorder reads each ffmpeg's CSV list of finished segments a few times a second,
// so a segment finished in the moment before the crash can be listed there and on disk but not
// yet in the playlist: it is put at the playlist's end here, when it follows it without a gap
// (a writer's segments carry the recording's timeline, the playlist's own times).

/** Writer and filler files that never made it into a playlist (the Publisher's leftovers). */
export const LEFTOVER = /^[wf]\d+(_\d+\.ts(\.(trim|sound)\.ts)?|\.csv|-\d+\.sdp)$/;
/** How far a segment's start may sit from the playlist's end and still follow it. */
const JOIN_EPS = 0.05;

export interface FinalizeOptions {
  /**
   * ffmpeg, to give silence to a finished segment without sound in a recording with sound, as
   * the Recorder's publisher does (see segment-sound.ts). Without it, or when ffmpeg fails, such
   * a segment and those after it are not taken: one would stop the recording from playing.
   */
  ffmpegBin?: string;
}

/** Makes a playlist final (ENDLIST) if the Recorder could not, with the segments its writers finished. */
export async function finalizePlaylist(file: string, opts: FinalizeOptions = {}): Promise<RecordingSummary> {
  const before = await readPlaylist(file);
  if (before.text && !before.ended) {
    await listFinishedSegments(path.dirname(file), opts);
    const text = await readFile(file, 'utf8');
    await appendFile(file, (text.endsWith('\n') ? '' : '\n') + '#EXT-X-ENDLIST\n');
  }
  if (!before.ended) await removeLeftovers(path.dirname(file));
  const after = await readPlaylist(file);
  return {
    playlistPath: file,
    durationSeconds: round(after.segments.reduce((s, x) => s + x.duration, 0)),
    segments: after.segments.length,
    discontinuities: after.discontinuities,
  };
}

/**
 * Appends the segments that the newest writer whose list continues the playlist finished and
 * the Recorder had not listed yet. Returns how many. A run's first segment (its start unknown
 * to the list) is never taken: nothing says where it belongs.
 */
export async function listFinishedSegments(dir: string, opts: FinalizeOptions = {}): Promise<number> {
  const playlist = await PlaylistFile.open(dir, { segmentSeconds: 1, continueExisting: true });
  const step = playlist.usualDuration;
  const last = playlist.last;
  if (step === undefined || !last) return 0;
  // The publisher saw to it that every listed segment of a recording with sound holds some (black
  // stood in with silence too), so the last one listed says whether this recording has sound.
  // Unreadable, it says nothing: each segment is then checked as if it had (silence harms none).
  const withSound = await holdsSound(path.join(dir, last.uri)).catch(() => true);
  const names = await readdir(dir).catch(() => [] as string[]);
  const lists = names
    .map((n) => /^w(\d+)\.csv$/.exec(n))
    .filter((m) => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => m[0]);
  let end = playlist.durationSeconds;
  const found: Array<{ file: string; start: number; duration: number }> = [];
  for (const list of lists) {
    const written = await readList(path.join(dir, list));
    let i = written.findIndex((s) => s.index > 0 && Math.abs(s.start - end) < JOIN_EPS);
    if (i < 0) continue;
    for (; i < written.length; i++) {
      const s = written[i]!;
      if (Math.abs(s.start - end) >= JOIN_EPS || !(await exists(path.join(dir, s.file)))) break;
      const next = written[i + 1];
      const segmentEnd = next ? next.start : gridEnd(s, step);
      const duration = round(segmentEnd - s.start);
      if (withSound && !(await soundOrSilence(path.join(dir, s.file), s.start, duration, opts.ffmpegBin))) break;
      found.push({ file: s.file, start: s.start, duration });
      end = segmentEnd;
    }
    break;
  }
  let number = playlist.nextNumber;
  let at = last.startedAt ? last.startedAt.getTime() + last.duration * 1000 : undefined;
  const entries: PlaylistEntry[] = [];
  for (const f of found) {
    const uri = `seg_${String(number++).padStart(5, '0')}.ts`;
    await rename(path.join(dir, f.file), path.join(dir, uri));
    entries.push({ uri, duration: f.duration, discontinuity: false, ...(at !== undefined ? { startedAt: new Date(at) } : {}) });
    if (at !== undefined) at += f.duration * 1000;
  }
  await playlist.append(entries);
  return entries.length;
}

/** Whether a segment holds sound, or does now that ffmpeg gave it silence over its stretch. */
async function soundOrSilence(file: string, start: number, duration: number, ffmpegBin: string | undefined): Promise<boolean> {
  // A segment that cannot be read cannot be played either: it ends what is taken.
  if (await holdsSound(file).catch(() => false)) return true;
  if (ffmpegBin === undefined) return false;
  return addSilence(ffmpegBin, file, start, duration).then(
    () => true,
    () => false,
  );
}

async function readList(file: string): Promise<WrittenSegment[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  // The last line may be half written: parseListLine refuses it.
  return text
    .split('\n')
    .map((line, i) => parseListLine(line, i))
    .filter((s): s is WrittenSegment => s !== undefined)
    .map((s) => ({ ...s, file: path.basename(s.file) }));
}

/** The end of a segment cut at grid points: the first one past its start that its media reaches. */
function gridEnd(s: WrittenSegment, step: number): number {
  return s.start + Math.max(1, Math.floor((s.end - s.start - 0.1 * step) / step + 1e-6) + 1) * step;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function removeLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => LEFTOVER.test(n)).map((n) => rm(path.join(dir, n), { force: true })));
}
