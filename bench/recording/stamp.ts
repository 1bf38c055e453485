// The wall-clock time burned into the source's pixels, and reading it back from decoded frames.
//
// The source's filter graph sets each frame's pts to the wall clock at the moment the frame goes
// through the filter (RTCTIME, µs), just before the encoder: that is the frame's capture time.
// geq then draws BITS blocks across the top strip, most significant first, white for 1 and black
// for 0: the epoch milliseconds modulo 2^BITS (2^40 ms is about 35 years, so the value is
// unambiguous near now). Blocks of 32x48 pixels survive H.264, VP8 and a re-encode intact.
// Readers crop the strip, convert to gray and read the middle of each block.

export const BITS = 40;
export const WIDTH = 1280;
export const HEIGHT = 720;
export const FPS = 30;
const BLOCK_W = WIDTH / BITS; // 32
export const STRIP_H = 48;
export const STRIP_BYTES = WIDTH * STRIP_H; // one gray frame of the strip
const MOD = 2n ** BigInt(BITS);

/**
 * The source's filter graph: testsrc2 at 1280x720, stamped. Input [0:v], output [v]. geq works
 * on a BITS x 2 crop (one pixel per bit), scaled up with nearest-neighbour and overlaid, so the
 * stamp costs little CPU. After the stamp, timestamps become the wall clock in 1/FPS slots from
 * the first frame: when the machine is too busy for the source to keep up, frames go out fewer
 * and at their real times (the encoder runs with -fps_mode vfr), as a browser's camera track
 * drops frames, instead of a slowed-down clock.
 */
export function stampFilter(): string {
  const bit = `255*mod(floor(mod(floor(T*1000)\\,${MOD})/pow(2\\,${BITS - 1}-X))\\,2)`;
  return [
    `[0:v]settb=1/1000000,setpts=RTCTIME,split[a][b]`,
    `[b]crop=${BITS}:2:0:0,format=gray,geq=lum='${bit}',scale=${WIDTH}:${STRIP_H}:flags=neighbor,format=yuv420p[s]`,
    `[a][s]overlay=0:0,format=yuv420p,settb=1/${FPS},setpts=PTS-STARTPTS[v]`,
  ].join(';');
}

/** ffmpeg output options that turn decoded video into gray strips, one STRIP_BYTES frame each. */
export const STRIP_OUTPUT = [
  '-fps_mode',
  'passthrough',
  '-vf',
  `crop=${WIDTH}:${STRIP_H}:0:0,format=gray`,
  '-f',
  'rawvideo',
  '-pix_fmt',
  'gray',
];

/**
 * The capture time (epoch ms) burned into a strip at `offset`, or undefined where the blocks are
 * not clean black and white (a damaged or half-decoded frame) or the time is implausible.
 */
export function readStamp(buf: Buffer, offset = 0, now = Date.now()): number | undefined {
  let value = 0n;
  for (let i = 0; i < BITS; i++) {
    let sum = 0;
    let n = 0;
    for (let y = 14; y < STRIP_H - 14; y += 2) {
      const row = offset + y * WIDTH;
      for (let x = i * BLOCK_W + 8; x < (i + 1) * BLOCK_W - 8; x += 2) {
        sum += buf[row + x]!;
        n++;
      }
    }
    const mean = sum / n;
    if (mean > 70 && mean < 185) return undefined; // neither black nor white
    value = value * 2n + (mean >= 128 ? 1n : 0n);
  }
  const nowBig = BigInt(Math.round(now));
  const t = Number(nowBig - ((((nowBig - value) % MOD) + MOD) % MOD));
  // Frames come from the last minute, never from the future (same clock, one machine).
  return now - t <= 60_000 && now - t >= -5 ? t : undefined;
}

/** Cuts a byte stream of gray strips into frames. */
export class StripFrames {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < STRIP_BYTES) return;
    let all = Buffer.concat(this.pending);
    while (all.length >= STRIP_BYTES) {
      this.onFrame(all.subarray(0, STRIP_BYTES));
      all = all.subarray(STRIP_BYTES);
    }
    this.pending = all.length ? [all] : [];
    this.pendingBytes = all.length;
  }
}
