// The lecturer's video, encoded once per run by ffmpeg: 1280x720, 30 fps, H.264 constrained
// baseline (profile-level-id 42e01f, which every browser decodes), a key frame every 2 s.
// The sender (sender.ts) plays it as RTP at its frame rate and answers PLI/FIR with the next
// key frame, as a browser's encoder would: without that, a viewer joining mid-GOP would wait
// up to 2 s for the next key frame, which would measure ffmpeg and not the SFU.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Clip {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  gopFrames: number;
  /** Each access unit: its NAL units without start codes (access unit delimiters dropped). */
  frames: Array<{ nals: Buffer[]; key: boolean; bytes: number }>;
}

export const clipSettings = { width: 1280, height: 720, fps: 30, bitrateKbps: 1500, seconds: 12, gopSeconds: 2 };

/** Encodes the clip to an Annex B file under `dir`; returns its path. */
export async function encodeClip(dir: string, ffmpeg = 'ffmpeg'): Promise<string> {
  const s = clipSettings;
  const out = path.join(dir, 'lecturer-720p.h264');
  await encodeH264(out, {
    input: `testsrc2=size=${s.width}x${s.height}:rate=${s.fps}`,
    seconds: s.seconds,
    bitrateKbps: s.bitrateKbps,
    gopFrames: s.fps * s.gopSeconds,
    ffmpeg,
  });
  return out;
}

export interface H264Encoding {
  /** An ffmpeg lavfi source graph. */
  input: string;
  seconds: number;
  bitrateKbps: number;
  /** Frames between key frames (fixed: no scene-cut key frames). */
  gopFrames: number;
  /** A size to scale the input to, e.g. `640:360`. */
  scale?: string;
  ffmpeg?: string;
}

/**
 * Encodes a lavfi source as constrained-baseline H.264 at a capped bitrate into an Annex B file,
 * with SPS/PPS before every IDR and an AUD before every frame, so frames can be split and any key
 * frame starts a stream.
 */
export async function encodeH264(out: string, e: H264Encoding): Promise<void> {
  const gop = String(e.gopFrames);
  const rate = `${e.bitrateKbps}k`;
  await run(e.ffmpeg ?? 'ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', e.input, '-t', String(e.seconds)],
    ...(e.scale ? ['-vf', `scale=${e.scale}`] : []),
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-level', '3.1'],
    ...['-pix_fmt', 'yuv420p', '-b:v', rate, '-maxrate', rate, '-bufsize', rate],
    ...['-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-x264-params', 'repeat-headers=1:aud=1'],
    ...['-bsf:v', 'h264_mp4toannexb', '-f', 'h264', out],
  ]);
}

/** Splits an Annex B stream into access units at each access unit delimiter (NAL type 9). */
export async function loadClip(file: string): Promise<Clip> {
  const data = await readFile(file);
  const nals: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 3 <= data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && (data[i + 2] === 1 || (data[i + 2] === 0 && data[i + 3] === 1))) {
      const codeLen = data[i + 2] === 1 ? 3 : 4;
      if (start >= 0) nals.push(trimTrailingZeros(data.subarray(start, i)));
      start = i + codeLen;
      i += codeLen - 1;
    }
  }
  if (start >= 0) nals.push(trimTrailingZeros(data.subarray(start)));
  const frames: Clip['frames'] = [];
  let current: Buffer[] | undefined;
  for (const nal of nals) {
    const type = nal[0]! & 0x1f;
    if (type === 9) {
      if (current?.length) frames.push(frameOf(current));
      current = [];
      continue;
    }
    (current ??= []).push(nal);
  }
  if (current?.length) frames.push(frameOf(current));
  const s = clipSettings;
  if (!frames[0]?.key) throw new Error('the clip does not start with a key frame');
  return { width: s.width, height: s.height, fps: s.fps, bitrateKbps: s.bitrateKbps, gopFrames: s.fps * s.gopSeconds, frames };
}

function frameOf(nals: Buffer[]) {
  return { nals, key: nals.some((n) => (n[0]! & 0x1f) === 5), bytes: nals.reduce((a, n) => a + n.length, 0) };
}

function trimTrailingZeros(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}
