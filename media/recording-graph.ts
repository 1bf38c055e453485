// The ffmpeg command lines of the recorder: the live writer (RTP from mediasoup in,
// segments out) and the filler (black and silence for a stretch nothing was recorded).
//
// Every output shares one timeline: seconds since the recording's origin (the live start).
// A writer's segments follow a grid, anchor + k × segmentSeconds: the first video frame at
// or after each grid point is moved back onto it and made a key frame, so every segment but
// a writer's last lasts exactly segmentSeconds. That is what keeps each EXTINF within the
// playlist's target duration, and lets another writer take over at a grid point.

export interface Canvas {
  width: number;
  height: number;
}

export interface WriterPlan {
  /** Wall-clock time of timeline zero, in seconds since the epoch. */
  originSeconds: number;
  /** The grid: segments start at anchor + k × segmentSeconds (timeline seconds). */
  anchorSeconds: number;
  segmentSeconds: number;
  canvas: Canvas;
  /** Video inputs (the first ones), in order: the first fills the canvas, the others are pictures-in-picture. */
  videos: number;
  /** Audio inputs (after the video ones), mixed together. */
  audios: number;
  /** Whether the output has sound (silence when no audio stream flows); screen shares have none. */
  withAudio: boolean;
}

/** The MPEG-TS muxer moves every timestamp by twice its mux delay; segments carry timeline + this. */
export const MUX_DELAY_SECONDS = 0.7;
export const TS_OFFSET_SECONDS = 2 * MUX_DELAY_SECONDS;

const AUDIO_RATE = 48_000;
/** What ffmpeg's AAC encoder puts before its first input sample. */
const AAC_PRIMING_SAMPLES = 1024;
const AUDIO_ENCODER = ['-c:a', 'aac', '-b:a', '128k', '-ar', String(AUDIO_RATE), '-ac', '2'];
/** Seconds without a packet after which ffmpeg ends an input. */
export const LISTEN_SECONDS = 2;

/** Where the pictures-in-picture go: a quarter of the canvas, along the bottom right, inside a margin. */
export function pipBox(canvas: Canvas, index: number): { x: number; y: number; width: number; height: number } {
  const even = (n: number) => 2 * Math.round(n / 2);
  const width = even(canvas.width / 4);
  const height = even(canvas.height / 4);
  const margin = even(canvas.height / 40);
  return { x: canvas.width - (index + 1) * (width + margin), y: canvas.height - height - margin, width, height };
}

/**
 * ffmpeg's expression for "this frame onto the grid if it is the first at or after a grid
 * point", in the stream's time base. Frames never go back in time (a frame that arrived out
 * of order follows the one before it by a tick).
 */
function snapExpression(anchor: number, step: number): string {
  const a = anchor.toFixed(6);
  const cell = (v: string) => `floor((${v}-${a})/${step})`;
  const onGrid = (v: string) => `(${a}+${cell(v)}*${step})/TB`;
  const now = 'PTS*TB';
  const before = 'PREV_OUTPTS*TB';
  return `if(isnan(PREV_OUTPTS),${onGrid(now)},if(gt(${cell(now)},${cell(before)}),${onGrid(now)},max(PTS,PREV_OUTPTS+1)))`;
}

function encoderArgs(plan: Pick<WriterPlan, 'segmentSeconds' | 'withAudio'>): string[] {
  const s = plan.segmentSeconds;
  return [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'high',
    // 4.0 covers 1080p30 and 720p60, and every player.
    '-level:v',
    '4.0',
    '-pix_fmt',
    'yuv420p',
    '-crf',
    '23',
    '-maxrate',
    '3M',
    '-bufsize',
    '6M',
    // Key frames only where we put them (on the grid; t counts from the first frame, itself on the grid).
    '-g',
    '100000',
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:lt(abs(t-${s}*round(t/${s})),0.000001)`,
    // Frames keep their own times (a browser's camera has no fixed rate); a guessed output rate
    // once came out as 90000 fps and nothing was written.
    '-fps_mode',
    'passthrough',
    '-enc_time_base:v',
    '1/90000',
    // x264's rate control budgets bits per frame at the stream's frame rate, which ffmpeg
    // takes from that time base (90000 fps): every frame starved, a grey picture. The
    // cameras' nominal rate instead; frames keep their own times.
    '-x264-params',
    'fps=30',
    ...(plan.withAudio ? AUDIO_ENCODER : []),
  ];
}

function segmentArgs(segmentSeconds: number, csv: string, pattern: string): string[] {
  return [
    '-muxdelay',
    String(MUX_DELAY_SECONDS),
    '-f',
    'segment',
    '-segment_format',
    'mpegts',
    '-segment_time',
    String(segmentSeconds),
    '-segment_list',
    csv,
    '-segment_list_type',
    'csv',
    '-segment_list_flags',
    '+live',
    pattern,
  ];
}

/**
 * A stream's frames onto the timeline: packets carry the wall-clock time they were read at
 * (each input is read in a thread of its own, so that time is their arrival even when
 * encoding falls behind), minus the origin. A frame whose time got lost (the first one a
 * parser hands over can have none) is dropped rather than put decades before the origin.
 */
function onTimeline(kind: 'v' | 'a', input: number, originSeconds: number): string {
  const o = originSeconds.toFixed(6);
  return kind === 'v' ? `[${input}:v:0]select='gte(t,${o})',setpts=PTS-${o}/TB` : `[${input}:a:0]aselect='gte(t,${o})',asetpts=PTS-${o}/TB`;
}

/** The filter graph of a live writer: inputs are the SDPs, pictures first; [vout] (and [aout_final]) out. */
export function writerGraph(plan: WriterPlan): string {
  const { canvas } = plan;
  if (!plan.withAudio && plan.audios > 0) throw new Error('audio streams in a writer without sound');
  const o = plan.originSeconds.toFixed(6);
  const parts: string[] = [];

  for (let i = 0; i < plan.audios; i++) parts.push(`${onTimeline('a', plan.videos + i, plan.originSeconds)},aresample=async=1000[a${i}]`);
  let audio: string | undefined;
  if (plan.audios === 1) audio = 'a0';
  else if (plan.audios > 1) {
    parts.push(
      `${Array.from({ length: plan.audios }, (_, i) => `[a${i}]`).join('')}amix=inputs=${plan.audios}:normalize=0:dropout_transition=0[amix]`,
    );
    audio = 'amix';
  }
  if (plan.withAudio && !audio && plan.videos > 0) {
    // No microphone flows: silence from the moment the pictures start, sample after sample
    // (ffmpeg asks for it only as far as the pictures have come).
    parts.push(`anullsrc=r=${AUDIO_RATE}:cl=stereo,asetpts='if(eq(N,0),st(0,RTCTIME/1000000-${o}));(ld(0)+N/SR)/TB'[silence]`);
    audio = 'silence';
  }

  for (let i = 0; i < plan.videos; i++) {
    const box = i === 0 ? { width: canvas.width, height: canvas.height } : pipBox(canvas, i - 1);
    parts.push(
      `${onTimeline('v', i, plan.originSeconds)},scale=${box.width}:${box.height}:force_original_aspect_ratio=decrease,` +
        `pad=${box.width}:${box.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p[v${i}]`,
    );
  }
  let video: string;
  if (plan.videos === 0) {
    if (!audio) throw new Error('a writer needs a picture or a sound');
    // Sound only: its waveform on black, timed by the sound itself.
    parts.push(`[${audio}]asplit[aout][wave]`);
    parts.push(`[wave]showwaves=s=${canvas.width}x${canvas.height}:mode=cline:rate=10:colors=0x505050,format=yuv420p[v0]`);
    audio = 'aout';
    video = 'v0';
  } else {
    video = 'v0';
    for (let i = 1; i < plan.videos; i++) {
      const box = pipBox(canvas, i - 1);
      parts.push(`[${video}][v${i}]overlay=x=${box.x}:y=${box.y}:eof_action=pass:repeatlast=1[o${i}]`);
      video = `o${i}`;
    }
  }
  parts.push(`[${video}]setpts='${snapExpression(plan.anchorSeconds, plan.segmentSeconds)}'[vout]`);
  if (plan.withAudio) parts.push(`[${audio!}]anull[aout_final]`);
  return parts.join(';');
}

/**
 * ffmpeg's arguments for a live writer: one SDP per stream in (pictures first), segments and
 * their CSV list out. One stream per input: ffmpeg reads each input in a thread of its own
 * (so packets get their arrival time, however busy the encoder is: with one input, frames
 * came out 0.6 s late and then twelve in a millisecond), and can end one on its own.
 */
export function writerArgs(plan: WriterPlan, files: { sdps: string[]; csv: string; pattern: string }): string[] {
  if (files.sdps.length !== plan.videos + plan.audios) throw new Error('one SDP per stream');
  return [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostats',
    ...files.sdps.flatMap((sdp) => [
      '-protocol_whitelist',
      'file,udp,rtp',
      // A stream that stops (a guest left, a microphone was paused) ends its input after a
      // couple of seconds; the picture-in-picture and the mix then go on without it instead of
      // waiting. (The Recorder replaces a writer that lost an input still sending.)
      '-listen_timeout',
      String(LISTEN_SECONDS),
      '-use_wallclock_as_timestamps',
      '1',
      // ffmpeg opens its inputs one after another, each probed before the next: an input
      // waiting meanwhile overflows its socket's buffer and loses packets (a picture then decodes
      // grey until the next key frame). The SDP says all that ffmpeg needs but a picture's size,
      // which the first key frame brings: no probing.
      '-analyzeduration',
      '0',
      '-probesize',
      '32',
      '-thread_queue_size',
      '1024',
      '-f',
      'sdp',
      '-i',
      sdp,
    ]),
    // Times stay the wall clock's until the graph puts them on the timeline.
    '-copyts',
    '-filter_complex',
    writerGraph(plan),
    '-map',
    '[vout]',
    ...(plan.withAudio ? ['-map', '[aout_final]'] : []),
    // Made-up silence never ends: the recording ends with the pictures.
    ...(plan.withAudio && plan.audios === 0 && plan.videos > 0 ? ['-shortest'] : []),
    ...encoderArgs(plan),
    ...segmentArgs(plan.segmentSeconds, files.csv, files.pattern),
  ];
}

/** ffmpeg's arguments for black (and silence) over [from, to) on the grid from `from`. */
export function fillerArgs(
  opts: { fromSeconds: number; toSeconds: number; segmentSeconds: number; canvas: Canvas; withAudio: boolean },
  files: { csv: string; pattern: string },
): string[] {
  const duration = (opts.toSeconds - opts.fromSeconds).toFixed(6);
  const from = opts.fromSeconds.toFixed(6);
  const graph = [
    `[0:v]settb=1/90000,setpts=PTS+${from}/TB[vout]`,
    // The AAC encoder's first packet comes 1024 samples before its first input: silence that
    // starts that much late keeps every packet at or after `from` (a negative time at 0 would
    // make the muxer shift the whole first segment off the grid).
    ...(opts.withAudio ? [`[1:a]asetpts=PTS+${from}/TB+${AAC_PRIMING_SAMPLES}[aout_final]`] : []),
  ].join(';');
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    '-t',
    duration,
    '-f',
    'lavfi',
    '-i',
    `color=c=black:s=${opts.canvas.width}x${opts.canvas.height}:r=25`,
    ...(opts.withAudio ? ['-t', duration, '-f', 'lavfi', '-i', `anullsrc=r=${AUDIO_RATE}:cl=stereo`] : []),
    '-copyts',
    '-filter_complex',
    graph,
    '-map',
    '[vout]',
    ...(opts.withAudio ? ['-map', '[aout_final]'] : []),
    ...encoderArgs({ segmentSeconds: opts.segmentSeconds, withAudio: opts.withAudio }),
    ...segmentArgs(opts.segmentSeconds, files.csv, files.pattern),
  ];
}

/** ffmpeg's arguments that rewrite a segment, its times kept: `middle` between the input and the output. */
function rewriteArgs(input: string, middle: string[], output: string): string[] {
  return ['-hide_banner', '-loglevel', 'error', '-y', '-copyts', '-i', input, ...middle, '-f', 'mpegts', '-mpegts_copyts', '1', output];
}

/** ffmpeg's arguments to copy a segment up to a timeline time (a segment cut short), times kept. */
export function trimArgs(input: string, output: string, toSeconds: number): string[] {
  return rewriteArgs(input, ['-map', '0', '-c', 'copy', '-to', (toSeconds + TS_OFFSET_SECONDS).toFixed(6)], output);
}

/**
 * ffmpeg's arguments to give a segment without sound silence over [start, start + duration)
 * of the timeline: its pictures copied, times kept, the streams in the writers' order.
 */
export function silenceArgs(input: string, output: string, startSeconds: number, durationSeconds: number): string[] {
  // Silence that starts 1024 samples late, and as much shorter: the AAC encoder's first packet
  // comes that much before its first input (see fillerArgs), and the sound ends with the segment.
  const priming = AAC_PRIMING_SAMPLES / AUDIO_RATE;
  const at = (startSeconds + TS_OFFSET_SECONDS).toFixed(6);
  return rewriteArgs(
    input,
    [
      '-t',
      Math.max(durationSeconds - priming, priming).toFixed(6),
      '-f',
      'lavfi',
      '-i',
      `anullsrc=r=${AUDIO_RATE}:cl=stereo`,
      '-filter_complex',
      `[1:a]asetpts=PTS+${at}/TB+${AAC_PRIMING_SAMPLES}[silence]`,
      '-map',
      '0:v',
      '-map',
      '[silence]',
      '-c:v',
      'copy',
      ...AUDIO_ENCODER,
    ],
    output,
  );
}
