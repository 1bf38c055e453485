import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnTiedToParent } from './ffmpeg';

// An uploaded video file to HLS: what ffprobe says it holds, and ffmpeg packaging it into
// the same files a live recording has (index.m3u8, seg_NNNNN.ts), so playback serves both alike.

const run = promisify(execFile);

/** Containers an upload may be: ffprobe's format names for MP4/MOV and MKV (WebM is Matroska too). */
const CONTAINERS = ['mov', 'mp4', 'matroska'];

export type ProbeRefusal =
  /** ffprobe could not read it: not a media file, or a broken one (truncated, no index). */
  | 'upload_unreadable'
  /** A media file, but of another container than MP4, MOV or MKV. */
  | 'upload_unsupported_format'
  /** No picture to show: audio only, or a cover image alone. */
  | 'upload_no_video'
  /** No length to speak of. */
  | 'upload_no_duration';

export interface VideoProbe {
  durationSeconds: number;
  video: { codec: string; width: number; height: number };
  /** The first audio stream's codec; null when the file is silent. */
  audio: { codec: string } | null;
}

interface FfprobeOutput {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number; disposition?: { attached_pic?: number } }>;
}

/** What the file holds, or why it is no video Lectern can package. */
export async function probeVideo(
  ffprobeBin: string,
  file: string,
): Promise<{ ok: true; probe: VideoProbe } | { ok: false; reason: ProbeRefusal }> {
  let out: FfprobeOutput;
  try {
    const { stdout } = await run(ffprobeBin, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
      timeout: 60_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    out = JSON.parse(stdout) as FfprobeOutput;
  } catch {
    return { ok: false, reason: 'upload_unreadable' };
  }
  const formats = (out.format?.format_name ?? '').split(',');
  if (!formats.some((f) => CONTAINERS.includes(f))) return { ok: false, reason: 'upload_unsupported_format' };
  const streams = out.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video?.codec_name || !video.width || !video.height) return { ok: false, reason: 'upload_no_video' };
  const duration = Number(out.format?.duration);
  if (!Number.isFinite(duration) || duration <= 0) return { ok: false, reason: 'upload_no_duration' };
  const audio = streams.find((s) => s.codec_type === 'audio' && s.codec_name);
  return {
    ok: true,
    probe: {
      durationSeconds: duration,
      video: { codec: video.codec_name, width: video.width, height: video.height },
      audio: audio?.codec_name ? { codec: audio.codec_name } : null,
    },
  };
}

/** Whether the streams go into HLS as they are: H.264 picture, and AAC sound or none. */
export function canCopyToHls(probe: VideoProbe): boolean {
  return probe.video.codec === 'h264' && (probe.audio === null || probe.audio.codec === 'aac');
}

export interface PackageOptions {
  ffmpegBin: string;
  input: string;
  /** An empty directory that receives index.m3u8 and seg_NNNNN.ts. */
  outDir: string;
  probe: VideoProbe;
  segmentSeconds?: number;
  /** The share done, 0–1, from ffmpeg's -progress reports (a few a second). */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/**
 * Packages the file to a VOD HLS playlist: the streams copied when HLS can carry them as
 * they are, otherwise transcoded to H.264/AAC with a keyframe on every segment boundary.
 * Rejects with ffmpeg's last error lines when it fails.
 */
export function packageHls(opts: PackageOptions): Promise<{ copied: boolean }> {
  const segment = opts.segmentSeconds ?? 4;
  const copy = canCopyToHls(opts.probe);
  const codecs = copy
    ? ['-c', 'copy']
    : [
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '23',
        '-pix_fmt',
        'yuv420p',
        '-force_key_frames',
        `expr:gte(t,n_forced*${segment})`,
        ...(opts.probe.audio ? ['-c:a', 'aac', '-b:a', '128k', '-ac', '2'] : []),
      ];
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-nostats',
    '-progress',
    'pipe:1',
    '-i',
    opts.input,
    '-map',
    '0:v:0',
    ...(opts.probe.audio ? ['-map', '0:a:0'] : []),
    ...codecs,
    '-f',
    'hls',
    '-hls_time',
    String(segment),
    '-hls_playlist_type',
    'vod',
    '-hls_segment_filename',
    path.join(opts.outDir, 'seg_%05d.ts'),
    path.join(opts.outDir, 'index.m3u8'),
  ];
  return new Promise((resolve, reject) => {
    const child = spawnTiedToParent(opts.ffmpegBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const totalUs = opts.probe.durationSeconds * 1e6;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // out_time_us is the position written so far, in microseconds (out_time_ms is too, despite its name).
      const m = /^out_time_us=(\d+)$/.exec(line);
      if (m && totalUs > 0) opts.onProgress?.(Math.min(1, Number(m[1]) / totalUs));
    });
    const abort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', abort);
      reject(err);
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', abort);
      if (code === 0) resolve({ copied: copy });
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}
