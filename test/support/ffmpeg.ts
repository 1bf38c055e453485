// The ffmpeg argument pieces the test helpers share: quiet output, ffmpeg's own test picture and
// tone as inputs, and the H.264 encodings the tests need (live RTP, and fixed GOPs so HLS
// segments cut on whole seconds).

/** Errors only, no banner. */
export const quiet = ['-hide_banner', '-loglevel', 'error'];

/** A lavfi picture and a sine tone as inputs 0 and 1; with `seconds`, both end then. */
export function pictureAndTone(picture: string, opts: { toneHz?: number; seconds?: number } = {}): string[] {
  const duration = opts.seconds === undefined ? '' : `:duration=${opts.seconds}`;
  return [
    '-f',
    'lavfi',
    '-i',
    `${picture}${duration}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${opts.toneHz ?? 440}:sample_rate=48000${duration}`,
  ];
}

/** x264 as a browser's H.264 is sent live: constrained baseline, no latency, Annex B for RTP. */
export const liveH264 = [
  ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'],
  ...['-bsf:v', 'h264_mp4toannexb'],
];

/**
 * x264 with a key frame every `gop` frames and never elsewhere, so segments cut exactly on them.
 * Without a preset, x264's default (with B-frames, hence an encoder delay a test may count on).
 */
export function fixedGopH264(gop: number, preset?: 'ultrafast'): string[] {
  const g = String(gop);
  return ['-c:v', 'libx264', ...(preset ? ['-preset', preset] : []), '-g', g, '-keyint_min', g, '-sc_threshold', '0'];
}
