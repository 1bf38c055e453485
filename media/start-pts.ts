import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readPlaylist } from './playlist';

const run = promisify(execFile);

/**
 * The MPEG-TS timestamp (90 kHz) where a playlist's first segment starts: its earliest packet,
 * picture or sound. WebVTT served beside the playlist names it in X-TIMESTAMP-MAP, so that the
 * player puts cue time 0 where the playlist starts (without it a cue's time is read as a raw
 * MPEG-TS time, which starts wherever the muxer began: 1.4 s for ffmpeg's, more after a cut).
 * Null when the playlist has no segment or ffprobe cannot read it.
 */
export async function playlistStartPts(ffmpegBin: string, playlist: string): Promise<number | null> {
  const first = (await readPlaylist(playlist)).segments[0];
  if (!first) return null;
  const ffprobe = /ffmpeg$/.test(ffmpegBin) ? ffmpegBin.replace(/ffmpeg$/, 'ffprobe') : 'ffprobe';
  try {
    const { stdout } = await run(
      ffprobe,
      ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', path.resolve(path.dirname(playlist), first.uri)],
      { timeout: 10_000 },
    );
    const seconds = Number.parseFloat(stdout);
    return Number.isFinite(seconds) ? Math.round(seconds * 90_000) : null;
  } catch {
    return null;
  }
}
