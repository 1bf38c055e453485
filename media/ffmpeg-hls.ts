import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';

export interface HlsWriterOptions {
  ffmpegBin: string;
  sdpPath: string;
  dir: string;
  /** Copy H.264 as it arrives; anything else (VP8) is transcoded to H.264. */
  copyVideo: boolean;
  hasVideo: boolean;
  hasAudio: boolean;
  segmentSeconds: number;
  /** After a crash: continue the playlist, numbering on and marking a discontinuity. */
  continueFrom?: number;
}

interface HlsWriterEvents {
  /** ffmpeg ended. `expected` is true only after stop(). */
  exit: [{ code: number | null; signal: NodeJS.Signals | null; expected: boolean; stderrTail: string }];
}

export const PLAYLIST = 'index.m3u8';

/**
 * One ffmpeg process turning the RTP described by an SDP into an HLS EVENT
 * playlist. stop() asks ffmpeg to finish (it writes ENDLIST) and escalates to
 * SIGKILL if it lingers; an exit after stop() is expected, any other is a crash.
 */
export class FfmpegHlsWriter extends EventEmitter<HlsWriterEvents> {
  private readonly child: ChildProcess;
  private stopping?: Promise<void>;
  private exited = false;
  private stderrTail = '';

  constructor(readonly opts: HlsWriterOptions) {
    super();
    this.child = spawn(opts.ffmpegBin, args(opts), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    this.child.stdin!.on('error', () => undefined);
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      this.emit('exit', { code, signal, expected: this.stopping !== undefined, stderrTail: this.stderrTail });
    });
    this.child.once('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Lets ffmpeg finish the playlist; SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs = 5000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin!.end('q');
    });
    return this.stopping;
  }
}

function args(o: HlsWriterOptions): string[] {
  const flags = ['independent_segments', 'program_date_time', 'temp_file'];
  if (o.continueFrom !== undefined) flags.push('append_list', 'discont_start');
  return [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostats',
    '-protocol_whitelist',
    'file,udp,rtp',
    '-fflags',
    '+genpts',
    // Arrival time, not RTP time mapped through RTCP sender reports: the first report
    // otherwise shifts video by ~1.5 s, which makes a 3.5 s first segment, raises the
    // playlist's target duration, and so holds live players seconds further back.
    '-use_wallclock_as_timestamps',
    '1',
    '-analyzeduration',
    '2000000',
    '-reorder_queue_size',
    '500',
    '-f',
    'sdp',
    '-i',
    o.sdpPath,
    ...(o.hasVideo ? ['-map', '0:v:0'] : []),
    ...(o.hasAudio ? ['-map', '0:a:0'] : []),
    ...(o.hasVideo
      ? o.copyVideo
        ? ['-c:v', 'copy']
        : // Frames as they come: a guessed output rate once came out as 90000 fps and nothing was written.
          [
            '-c:v',
            'libx264',
            '-preset',
            'veryfast',
            '-tune',
            'zerolatency',
            '-pix_fmt',
            'yuv420p',
            '-fps_mode',
            'passthrough',
            '-force_key_frames',
            `expr:gte(t,n_forced*${o.segmentSeconds})`,
          ]
      : []),
    ...(o.hasAudio ? ['-af', 'aresample=async=1000', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000'] : []),
    '-f',
    'hls',
    '-hls_time',
    String(o.segmentSeconds),
    '-hls_playlist_type',
    'event',
    '-hls_flags',
    flags.join('+'),
    '-hls_segment_type',
    'mpegts',
    '-start_number',
    String(o.continueFrom ?? 0),
    '-hls_segment_filename',
    path.join(o.dir, 'seg_%05d.ts'),
    path.join(o.dir, PLAYLIST),
  ];
}
