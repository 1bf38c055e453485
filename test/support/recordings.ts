import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Lectern } from '../../server/main';
import type { Recording } from '../../server/recordings/model';
import { fixedGopH264, pictureAndTone, quiet } from './ffmpeg';

const run = promisify(execFile);

/**
 * Writes HLS as Lectern's recorder does (H.264 and AAC in MPEG-TS, 1 s segments named
 * seg_NNNNN.ts, index.m3u8) from ffmpeg's test pattern and a tone: a key frame every second,
 * so every segment is exactly one second.
 */
export async function writeTestHls(dir: string, seconds: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run(
    'ffmpeg',
    [
      ...quiet,
      '-y',
      ...pictureAndTone('testsrc2=size=320x180:rate=25', { seconds }),
      ...fixedGopH264(25, 'ultrafast'),
      ...['-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '64k', '-ac', '2'],
      ...['-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod'],
      ...['-hls_segment_filename', path.join(dir, 'seg_%05d.ts'), path.join(dir, 'index.m3u8')],
    ],
    { timeout: 60_000 },
  );
}

/**
 * A finished recording of the seminar, made the way a live one ends: the record begun, HLS
 * written into its folder, then completed (playlist final, poster, lesson) by the service.
 */
export async function readyRecording(app: Lectern, seminarId: string, seconds = 12): Promise<Recording> {
  const id = randomBytes(12).toString('hex');
  const recording = await app.repos.recordings.create({
    id,
    seminarId,
    dir: `${seminarId}/${id}`,
    startedAt: new Date(),
    videoCodec: 'video/H264',
    nodeId: null,
  });
  await writeTestHls(app.domain.recordings.absoluteDir(recording), seconds);
  const done = await app.domain.recordings.complete(id);
  if (done.status !== 'ready') throw new Error(`the test recording ${id} did not become ready: ${done.status}`);
  return done;
}

/** Where a recording's files are. */
export function recordingDir(app: Lectern, recording: Pick<Recording, 'dir'>): string {
  return app.domain.recordings.absoluteDir(recording);
}
