// The lecturer's fake camera: a Y4M clip Chromium plays in a loop (--use-file-for-fake-video-capture),
// each frame carrying its own index as a machine-readable code, so that both ends can tell which
// frame they hold. The picture is ffmpeg's testsrc2 (moving colour bars and a clock), so the encoder
// works on a moving scene, not a still one.
//
// The code: CODE_BITS columns across the top CODE_ROW_H * 2 pixels, most significant bit first; the
// upper row white for 1 and black for 0, the lower row its complement. A reader that finds a
// column whose two halves agree (a damaged or half-decoded frame) rejects the frame. Blocks of
// 80x40 pixels stay readable at the smallest simulcast layer (a quarter size: 20x10).
import { spawn } from 'node:child_process';

export const CLIP_WIDTH = 1280;
export const CLIP_HEIGHT = 720;
export const CLIP_FPS = 30;
export const CODE_BITS = 16;
export const CODE_ROW_H = 40;

/**
 * Writes `seconds` of clip to `file` (raw I420, about 1.4 MB a frame: 4 s is 166 MB). The loop
 * length bounds the latency that can be measured: a frame shown more than one loop after its
 * capture would be taken for the next loop's.
 */
export async function writeClip(file: string, seconds: number): Promise<void> {
  const bit = `255*abs(Y-mod(floor(N/pow(2\\,${CODE_BITS - 1}-X))\\,2))`;
  const graph = [
    `[0:v]split[a][b]`,
    `[b]crop=${CODE_BITS}:2:0:0,format=gray,geq=lum='${bit}',scale=${CLIP_WIDTH}:${2 * CODE_ROW_H}:flags=neighbor,format=yuv420p[s]`,
    `[a][s]overlay=0:0,format=yuv420p[v]`,
  ].join(';');
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${CLIP_WIDTH}x${CLIP_HEIGHT}:rate=${CLIP_FPS}`,
    '-t',
    String(seconds),
    '-filter_complex',
    graph,
    '-map',
    '[v]',
    '-pix_fmt',
    'yuv420p',
    file,
  ];
  await new Promise<void>((resolve, reject) => {
    const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    ffmpeg.on('error', reject);
    ffmpeg.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg (clip) exited ${code}: ${stderr.trim().slice(-500)}`))));
  });
}
