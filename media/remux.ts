import { rename, rm } from 'node:fs/promises';
import { spawnTiedToParent } from './ffmpeg';

export interface RemuxOptions {
  ffmpegBin: string;
  /** An HLS playlist of H.264 video and AAC audio (MPEG-TS segments), as Lectern records it. */
  playlist: string;
  /** Where the MP4 goes; written to a temporary name beside it first, so a half-made file is never found there. */
  output: string;
  /** ffmpeg is killed past this (a remux copies at disk speed: an hour of recording takes seconds). */
  timeoutMs?: number;
}

/**
 * One MP4 of an HLS recording, remuxed without transcoding: the H.264 and AAC packets are
 * copied as they are (`-c copy`); AAC in MPEG-TS carries ADTS headers, which MP4 does not
 * take (`aac_adtstoasc` turns them into the MP4's codec configuration), and the index goes
 * at the front (`+faststart`) so a player can start before the whole file has arrived.
 */
export async function remuxToMp4(opts: RemuxOptions): Promise<void> {
  const tmp = `${opts.output}.${process.pid}.${Date.now()}.part`;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-i',
    opts.playlist,
    '-map',
    '0:v:0?',
    '-map',
    '0:a:0?',
    '-c',
    'copy',
    '-bsf:a',
    'aac_adtstoasc',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    tmp,
  ];
  try {
    await new Promise<void>((resolve, reject) => {
      const ff = spawnTiedToParent(opts.ffmpegBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      ff.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 4000) stderr += chunk.toString();
      });
      const timer = setTimeout(() => ff.kill('SIGKILL'), opts.timeoutMs ?? 10 * 60_000);
      ff.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ff.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`ffmpeg remux failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(0, 500)}`));
      });
    });
    await rename(tmp, opts.output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
