import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Lectern } from '../../server/main';
import type { UploadView } from '../../server/protocol/uploads';
import type { Api } from './api';
import { pictureAndTone, quiet } from './ffmpeg';
import { waitFor } from './media';

const run = promisify(execFile);

/** The tus endpoint, as GET /uploads/settings names it. */
export const TUS = '/api/v1/uploads/files';

/**
 * A test video made with ffmpeg from lavfi: a moving test picture with a tone. `h264` is
 * MP4 with H.264/AAC (HLS copies it), `vp9` is MKV with VP9/Opus (HLS needs a transcode).
 * `noise` makes the picture expensive to compress, so a small file still spans several chunks.
 */
export async function makeVideo(
  dir: string,
  kind: 'h264' | 'vp9',
  opts: { seconds?: number; noise?: boolean; name?: string } = {},
): Promise<string> {
  const seconds = opts.seconds ?? 4;
  const file = path.join(dir, opts.name ?? (kind === 'h264' ? 'lesson.mp4' : 'lesson.mkv'));
  const picture = `testsrc2=size=320x240:rate=25${opts.noise ? ',noise=alls=60:allf=t' : ''}`;
  const codecs =
    kind === 'h264'
      ? [
          ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
          ...['-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart'],
        ]
      : ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-c:a', 'libopus', '-b:a', '64k'];
  await run('ffmpeg', [...quiet, '-y', ...pictureAndTone(picture), '-t', String(seconds), ...codecs, file]);
  return file;
}

/**
 * A text document under a video's name: the same bytes every run. Random bytes were tried and are not junk
 * every time: ffprobe read 7 of 400 random 200 kB files as H.263 or LRC, which made the refusal's
 * code differ from run to run.
 */
export async function makeJunk(dir: string, name = 'broken.mp4', bytes = 200_000): Promise<string> {
  const file = path.join(dir, name);
  // Buffer.alloc repeats the line to fill the size.
  await writeFile(file, Buffer.alloc(bytes, 'Это не видео, а текстовый документ. This is not a video but a text document.\n'));
  return file;
}

function metadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

/** POST to create a tus upload; the raw response. */
export function tusCreate(app: Lectern, token: string | undefined, fileName: string, size: number): Promise<Response> {
  return fetch(`${app.url}${TUS}`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(size),
      'Upload-Metadata': metadata({ filename: fileName, filetype: 'video/mp4' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
}

export function tusPatch(app: Lectern, token: string, location: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(`${app.url}${location}`, {
    method: 'PATCH',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
      authorization: `Bearer ${token}`,
    },
    body,
  });
}

export function tusHead(app: Lectern, token: string | undefined, location: string): Promise<Response> {
  return fetch(`${app.url}${location}`, {
    method: 'HEAD',
    headers: { 'Tus-Resumable': '1.0.0', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

/** The error code of a refusal (the tus layer answers the API's JSON error body as text). */
export async function codeOf(res: Response): Promise<string | undefined> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** Waits until the caller's upload reaches `state` (or fails, if that was not the state waited for). */
export async function waitForUpload(
  api: Api,
  token: string,
  id: string,
  state: UploadView['state'],
  timeoutMs = 120_000,
): Promise<UploadView> {
  return waitFor(
    async () => {
      const res = await api.call<UploadView[]>('GET', '/uploads', { token });
      const u = res.body.find((x) => x.id === id);
      if (u && u.state !== state && u.state === 'failed') throw new Error(`upload ${id} failed with ${u.errorCode}`);
      return u?.state === state ? u : undefined;
    },
    timeoutMs,
    `upload ${id} ${state}`,
  );
}

/** Every file name under a directory, recursively (none when it does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}
