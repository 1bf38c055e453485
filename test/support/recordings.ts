import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
  const recording = await openRecording(app, seminarId);
  const id = recording.id;
  await writeTestHls(app.domain.recordings.absoluteDir(recording), seconds);
  const done = await app.domain.recordings.complete(id);
  if (done.status !== 'ready') throw new Error(`the test recording ${id} did not become ready: ${done.status}`);
  return done;
}

/** A recording begun and not finished, held by no node (as one a crash before leases left). */
export async function openRecording(app: Lectern, seminarId: string): Promise<Recording> {
  const id = randomBytes(12).toString('hex');
  return app.repos.recordings.create({
    id,
    seminarId,
    dir: `${seminarId}/${id}`,
    startedAt: new Date(),
    videoCodec: 'video/H264',
    nodeId: null,
  });
}

/** Where a recording's files are. */
export function recordingDir(app: Lectern, recording: Pick<Recording, 'dir'>): string {
  return app.domain.recordings.absoluteDir(recording);
}

/**
 * A writer's run as ffmpeg leaves it: 1 s segments w1_NNNNN.ts and their CSV list w1.csv. The
 * sound lasts `soundSeconds` (the whole run unless told; 0 for none, as a screen share's run).
 */
export async function writerRun(seconds: number, soundSeconds = seconds): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-writer-run-'));
  await run(
    'ffmpeg',
    [
      ...['-v', 'error'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=25:duration=${seconds}`],
      ...(soundSeconds > 0 ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${soundSeconds}`] : []),
      ...fixedGopH264(25),
      '-c:a',
      'aac',
      '-f',
      'segment',
      '-segment_time',
      '1',
      '-segment_list',
      path.join(dir, 'w1.csv'),
      '-segment_list_type',
      'csv',
      path.join(dir, 'w1_%05d.ts'),
    ],
    { cwd: dir },
  );
  return dir;
}

/** The playlist as the Recorder had written it: the first `listed` segments, renamed, no end. */
export async function listedByRecorder(dir: string, listed: number): Promise<void> {
  // Each segment from its start to the next one's, on the writer's own timeline (its first holds the encoder's delay).
  const starts = (await readFile(path.join(dir, 'w1.csv'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => Number(l.split(',')[1]));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:EVENT'];
  for (let i = 0; i < listed; i++) {
    const uri = `seg_${String(i).padStart(5, '0')}.ts`;
    await rename(path.join(dir, `w1_${String(i).padStart(5, '0')}.ts`), path.join(dir, uri));
    const at = new Date(Date.UTC(2026, 10, 30, 10, 0, 0) + starts[i]! * 1000).toISOString();
    lines.push(`#EXTINF:${(starts[i + 1]! - starts[i]!).toFixed(6)},`, `#EXT-X-PROGRAM-DATE-TIME:${at}`, uri);
  }
  await writeFile(path.join(dir, 'index.m3u8'), lines.join('\n') + '\n');
}
