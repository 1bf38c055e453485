import { EventEmitter } from 'node:events';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Consumer, PlainTransport, Router } from 'mediasoup/types';
import { FfmpegHlsWriter, PLAYLIST } from './ffmpeg-hls';
import type { MediaLogger } from './logger';
import { freeRtpPortPair } from './ports';
import { recorderSdp, type SdpStream } from './sdp';

export interface RecorderOptions {
  router: Router;
  /** The producers to record: the lecturer's microphone and camera (or screen). */
  audioProducerId?: string;
  videoProducerId?: string;
  dir: string;
  ffmpegBin: string;
  logger: MediaLogger;
  segmentSeconds?: number;
  maxRestarts?: number;
  /** Goes on with a playlist already in `dir` (after a worker or server restart), after a discontinuity. */
  continuePlaylist?: boolean;
}

interface RecorderEvents {
  started: [{ pid: number | undefined }];
  /** ffmpeg died unexpectedly; a restart follows unless the limit is reached. */
  crashed: [{ code: number | null; signal: string | null; restarts: number; stderrTail: string }];
  restarted: [{ pid: number | undefined; startNumber: number }];
  failed: [{ reason: string }];
  finished: [RecordingSummary];
}

export interface RecordingSummary {
  playlistPath: string;
  durationSeconds: number;
  segments: number;
  discontinuities: number;
}

interface Track {
  kind: 'audio' | 'video';
  transport: PlainTransport;
  consumer: Consumer;
  rtpPort: number;
  rtcpPort: number;
}

/**
 * Records producers of a router to HLS: each is consumed through a
 * PlainTransport into ffmpeg, described by a generated SDP. H.264 is copied;
 * VP8 is transcoded. If ffmpeg dies it is restarted and the playlist goes on
 * after a discontinuity; segments written before the crash stay listed.
 * stop() finalizes the playlist (ENDLIST) whatever state ffmpeg is in.
 */
export class Recorder extends EventEmitter<RecorderEvents> {
  private writer?: FfmpegHlsWriter;
  private restarts = 0;
  private keyFrames?: NodeJS.Timeout;
  private stopping?: Promise<RecordingSummary>;

  private constructor(
    private readonly opts: RecorderOptions,
    private readonly tracks: Track[],
    private readonly sdpPath: string,
  ) {
    super();
  }

  static async create(opts: RecorderOptions): Promise<Recorder> {
    await mkdir(opts.dir, { recursive: true });
    const tracks: Track[] = [];
    try {
      for (const [kind, producerId] of [
        ['audio', opts.audioProducerId],
        ['video', opts.videoProducerId],
      ] as const) {
        if (!producerId) continue;
        const { rtpPort, rtcpPort } = await freeRtpPortPair();
        const transport = await opts.router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
          rtcpMux: false,
          comedia: false,
        });
        await transport.connect({ ip: '127.0.0.1', port: rtpPort, rtcpPort });
        // The consumer takes the producer's best layer; paused until ffmpeg listens.
        const consumer = await transport.consume({ producerId, rtpCapabilities: opts.router.rtpCapabilities, paused: true });
        tracks.push({ kind, transport, consumer, rtpPort, rtcpPort });
      }
      if (tracks.length === 0) throw new Error('nothing to record');
    } catch (err) {
      for (const t of tracks) t.transport.close();
      throw err;
    }
    const sdpPath = path.join(opts.dir, 'recording.sdp');
    await writeFile(
      sdpPath,
      recorderSdp(
        tracks.map<SdpStream>((t) => ({ kind: t.kind, rtpPort: t.rtpPort, rtcpPort: t.rtcpPort, rtpParameters: t.consumer.rtpParameters })),
      ),
    );
    const recorder = new Recorder(opts, tracks, sdpPath);
    let continueFrom: number | undefined;
    if (opts.continuePlaylist) {
      const existing = await readPlaylist(path.join(opts.dir, PLAYLIST));
      if (existing.segments.length > 0) {
        // ffmpeg's append_list stops at ENDLIST; take it off, numbering goes on after the last segment.
        await writeFile(path.join(opts.dir, PLAYLIST), existing.text.replace(/#EXT-X-ENDLIST\s*/g, ''));
        continueFrom = lastSegmentNumber(existing.segments) + 1;
      }
    }
    await recorder.startWriter(continueFrom, false);
    return recorder;
  }

  get playlistPath(): string {
    return path.join(this.opts.dir, PLAYLIST);
  }

  get videoCodec(): string | undefined {
    return this.tracks.find((t) => t.kind === 'video')?.consumer.rtpParameters.codecs[0]?.mimeType;
  }

  get ffmpegPid(): number | undefined {
    return this.writer?.pid;
  }

  /** Finishes the recording: ffmpeg closes the playlist, transports close. Safe to call twice. */
  stop(): Promise<RecordingSummary> {
    this.stopping ??= (async () => {
      clearInterval(this.keyFrames);
      await this.writer?.stop();
      for (const t of this.tracks) t.transport.close();
      const summary = await finalizePlaylist(this.playlistPath);
      this.emit('finished', summary);
      return summary;
    })();
    return this.stopping;
  }

  private async startWriter(continueFrom?: number, restart = continueFrom !== undefined): Promise<void> {
    const video = this.tracks.find((t) => t.kind === 'video');
    const writer = new FfmpegHlsWriter({
      ffmpegBin: this.opts.ffmpegBin,
      sdpPath: this.sdpPath,
      dir: this.opts.dir,
      copyVideo: video?.consumer.rtpParameters.codecs[0]?.mimeType.toLowerCase() === 'video/h264',
      hasVideo: !!video,
      hasAudio: this.tracks.some((t) => t.kind === 'audio'),
      segmentSeconds: this.opts.segmentSeconds ?? 2,
      ...(continueFrom !== undefined ? { continueFrom } : {}),
    });
    this.writer = writer;
    writer.once('exit', (e) => {
      if (e.expected || this.stopping) return;
      void this.onCrash(e);
    });
    // ffmpeg binds its ports while it reads the SDP; give it a moment before media flows.
    await new Promise((r) => setTimeout(r, 300));
    // Video first: mediasoup forwards it from a key frame on, so audio let in earlier would
    // open the first segment before any picture, stretch it, and raise the playlist's
    // target duration, which live players keep behind the edge.
    if (video) {
      await video.consumer.enableTraceEvent(['keyframe']);
      const firstKeyFrame = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        video.consumer.on('trace', (trace) => {
          if (trace.type === 'keyframe') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await video.consumer.resume();
      this.requestKeyFrames();
      await firstKeyFrame;
      await video.consumer.enableTraceEvent([]);
    }
    for (const t of this.tracks) if (t.kind === 'audio') await t.consumer.resume();
    if (!video) this.requestKeyFrames();
    if (restart) this.emit('restarted', { pid: writer.pid, startNumber: continueFrom ?? 0 });
    else this.emit('started', { pid: writer.pid });
  }

  /** Segments must start on key frames: ask now, and at each segment boundary while copying. */
  private requestKeyFrames(): void {
    clearInterval(this.keyFrames);
    const video = this.tracks.find((t) => t.kind === 'video');
    if (!video) return;
    void video.consumer.requestKeyFrame().catch(() => undefined);
    this.keyFrames = setInterval(
      () => void video.consumer.requestKeyFrame().catch(() => undefined),
      (this.opts.segmentSeconds ?? 2) * 1000,
    );
    this.keyFrames.unref();
  }

  private async onCrash(e: { code: number | null; signal: NodeJS.Signals | null; stderrTail: string }): Promise<void> {
    this.restarts += 1;
    this.opts.logger.error(
      { code: e.code, signal: e.signal, restarts: this.restarts, stderr: e.stderrTail.slice(-300) },
      'recorder ffmpeg died',
    );
    this.emit('crashed', { code: e.code, signal: e.signal, restarts: this.restarts, stderrTail: e.stderrTail });
    if (this.restarts > (this.opts.maxRestarts ?? 10)) {
      this.emit('failed', { reason: 'ffmpeg kept crashing' });
      return;
    }
    await new Promise((r) => setTimeout(r, Math.min(200 * this.restarts, 2000)));
    if (this.stopping) return;
    const { segments } = await readPlaylist(this.playlistPath);
    await this.startWriter(segments.length === 0 ? 0 : lastSegmentNumber(segments) + 1);
  }
}

interface ParsedPlaylist {
  text: string;
  segments: Array<{ uri: string; duration: number }>;
  ended: boolean;
  discontinuities: number;
}

export async function readPlaylist(file: string): Promise<ParsedPlaylist> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const segments: Array<{ uri: string; duration: number }> = [];
  let duration = 0;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#')) segments.push({ uri: line, duration });
  }
  return { text, segments, ended: text.includes('#EXT-X-ENDLIST'), discontinuities: (text.match(/#EXT-X-DISCONTINUITY\b/g) ?? []).length };
}

function lastSegmentNumber(segments: Array<{ uri: string }>): number {
  return Math.max(...segments.map((s) => Number(/(\d+)\.ts$/.exec(s.uri)?.[1] ?? -1)));
}

/** Makes a playlist final (ENDLIST) if ffmpeg could not: after a crash, or on boot after a server crash. */
export async function finalizePlaylist(file: string): Promise<RecordingSummary> {
  const playlist = await readPlaylist(file);
  if (playlist.text && !playlist.ended) await appendFile(file, (playlist.text.endsWith('\n') ? '' : '\n') + '#EXT-X-ENDLIST\n');
  return {
    playlistPath: file,
    durationSeconds: Math.round(playlist.segments.reduce((s, x) => s + x.duration, 0) * 1000) / 1000,
    segments: playlist.segments.length,
    discontinuities: playlist.discontinuities,
  };
}
