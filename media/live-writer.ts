import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Consumer, PlainTransport, Producer, Router, RtpCapabilities } from 'mediasoup/types';
import type { MediaLogger } from './logger';
import { freeRtpPortPair, waitUntilBound } from './ports';
import { TS_OFFSET_SECONDS, writerArgs, type WriterPlan } from './recording-graph';
import { recorderSdp } from './sdp';
import type { OfferedSegment } from './sequencer';
import { SegmentWriter, type SegmentWriterExit, type WrittenSegment } from './segment-writer';

interface Track {
  producerId: string;
  kind: 'audio' | 'video';
  transport: PlainTransport;
  consumer: Consumer;
  rtpPort: number;
  rtcpPort: number;
}

interface LiveWriterEvents {
  segment: [OfferedSegment];
  /** ffmpeg gave up on an input (nothing came for a while) while the writer runs. */
  inputLost: [{ producerId: string }];
  exit: [SegmentWriterExit];
}

export interface LiveWriterOptions {
  id: number;
  router: Router;
  /** Video producers in layout order (the first fills the canvas), then audio producers. */
  videos: Producer[];
  audios: Producer[];
  dir: string;
  ffmpegBin: string;
  plan: Omit<WriterPlan, 'videos' | 'audios'>;
  logger: MediaLogger;
}

const run = promisify(execFile);

/** ffmpeg binds its ports while it opens its inputs: media let in before that is refused. */
const BIND_TIMEOUT_MS = 5000;
/** How long to wait for the first key frame before letting the sound in anyway. */
const FIRST_KEY_FRAME_MS = 2000;

/**
 * One ffmpeg run recording a fixed set of producers: a PlainTransport and a consumer per
 * producer, an SDP that describes them, and the segments ffmpeg writes on the plan's grid.
 * It owns its transports: they close when ffmpeg exits, however it exits.
 */
export class LiveWriter extends EventEmitter<LiveWriterEvents> {
  readonly startedAt = Date.now();
  private process?: SegmentWriter;
  private stopRequested = false;
  private closed = false;
  /** Producers whose input ffmpeg ended (nothing came for LISTEN_SECONDS): they are in no later segment. */
  readonly lostInputs = new Set<string>();
  private markExited: () => void = () => undefined;
  /** Resolves once ffmpeg exited and every segment it listed was emitted (at once when it never ran). */
  private readonly exited = new Promise<void>((resolve) => (this.markExited = resolve));

  private constructor(
    private readonly opts: LiveWriterOptions,
    private readonly tracks: Track[],
  ) {
    super();
  }

  get id(): number {
    return this.opts.id;
  }

  /** Producer ids of what the writer records: the pictures in their order, then the sounds. */
  get inputs(): string[] {
    return [...this.opts.videos, ...this.opts.audios].map((p) => p.id);
  }

  /** Whether its first input is a picture (else its picture is drawn from the sound). */
  get recordsVideo(): boolean {
    return this.opts.videos.length > 0;
  }

  get anchorSeconds(): number {
    return this.opts.plan.anchorSeconds;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  private get files() {
    const base = path.join(this.opts.dir, `w${this.opts.id}`);
    return { sdps: this.tracks.map((_, i) => `${base}-${i}.sdp`), csv: `${base}.csv`, pattern: `${base}_%05d.ts` };
  }

  /** Creates the transports and consumers (paused); run() starts ffmpeg and lets media in. */
  static async create(opts: LiveWriterOptions): Promise<LiveWriter> {
    const tracks: Track[] = [];
    try {
      const rtpCapabilities = withoutCongestionControl(opts.router.rtpCapabilities);
      // In ffmpeg's input order: pictures first, then sounds (see writerArgs).
      for (const [kind, producers] of [
        ['video', opts.videos],
        ['audio', opts.audios],
      ] as const) {
        for (const producer of producers) {
          const { rtpPort, rtcpPort } = await freeRtpPortPair();
          const transport = await opts.router.createPlainTransport({
            listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
            rtcpMux: false,
            comedia: false,
            appData: { recorder: true },
          });
          try {
            await transport.connect({ ip: '127.0.0.1', port: rtpPort, rtcpPort });
            const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
            if (consumer.type === 'simulcast' || consumer.type === 'svc') await consumer.setPreferredLayers(bestLayers(consumer));
            tracks.push({ producerId: producer.id, kind, transport, consumer, rtpPort, rtcpPort });
          } catch (err) {
            transport.close();
            throw err;
          }
        }
      }
    } catch (err) {
      for (const t of tracks) t.transport.close();
      throw err;
    }
    return new LiveWriter(opts, tracks);
  }

  /**
   * Ends the recording of this writer without losing what ffmpeg still holds: media stops
   * flowing, each input ends, and ffmpeg writes out everything it had read (it may be seconds
   * behind when the machine is busy) before it exits. Stopped after `timeoutMs` if it lingers.
   */
  async finish(timeoutMs = 8000): Promise<void> {
    this.stopRequested = true;
    if (!this.process) return this.close();
    for (const t of this.tracks) t.transport.close();
    // Packets still in flight land first; then an RTCP BYE ends each input at once (rather than
    // after LISTEN_SECONDS of silence), behind everything ffmpeg read before it.
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all(this.tracks.map((t) => sendBye(t.rtcpPort, t.consumer.rtpParameters.encodings?.[0]?.ssrc ?? 0)));
    const timer = setTimeout(() => void this.process?.stop(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.close();
  }

  /** Asks ffmpeg to finish its last segment now ('q': what is queued is dropped); resolves once it exited and every segment was emitted. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.process) return this.close();
    void this.process.stop();
    await this.exited;
    this.close();
  }

  /** Asked to stop: on its way out, whatever it still writes. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Whether a producer it records has closed (a start that failed because of it is no crash). */
  get lostInput(): boolean {
    return this.tracks.some((t) => t.consumer.closed || t.consumer.producerPaused);
  }

  /** RTP packets its consumers have sent to ffmpeg so far. */
  async packetsSent(): Promise<number> {
    const counts = await Promise.all(
      this.tracks.map(async (t) => {
        const stats = await t.consumer.getStats().catch(() => []);
        return stats.find((x) => x.type === 'outbound-rtp')?.packetCount ?? 0;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** For tests and for giving up: kills ffmpeg as a crash would. */
  kill(): void {
    this.process?.kill();
  }

  /** Starts ffmpeg and lets media in once it listens. Listen for its events before. */
  async run(): Promise<void> {
    const files = this.files;
    for (const [i, t] of this.tracks.entries()) {
      await writeFile(
        files.sdps[i]!,
        recorderSdp([{ kind: t.kind, rtpPort: t.rtpPort, rtcpPort: t.rtcpPort, rtpParameters: t.consumer.rtpParameters }]),
      );
    }
    const plan: WriterPlan = { ...this.opts.plan, videos: this.opts.videos.length, audios: this.opts.audios.length };
    const proc = new SegmentWriter(this.opts.ffmpegBin, writerArgs(plan, files), files.csv);
    this.process = proc;
    // While it runs, every segment it lists was cut at a grid point. Once asked to stop, the
    // last one it lists is its last (cut wherever it stopped): those wait for the exit.
    // Segments go out in order; the first waits for its start to be read from the file.
    const held: WrittenSegment[] = [];
    let emitting = Promise.resolve();
    const emit = (s: WrittenSegment, last: boolean) => {
      emitting = emitting.then(async () => {
        this.emit('segment', await this.onGrid(s, last));
      });
    };
    proc.on('segment', (s) => {
      if (this.stopRequested) held.push(s);
      else emit(s, false);
    });
    proc.on('line', (line) => {
      const lost = /w\d+-(\d+)\.sdp: Connection timed out/.exec(line);
      const track = lost ? this.tracks[Number(lost[1])] : undefined;
      if (!track || this.stopRequested || this.lostInputs.has(track.producerId)) return;
      this.lostInputs.add(track.producerId);
      this.emit('inputLost', { producerId: track.producerId });
    });
    proc.once('exit', (e) => {
      held.forEach((s, i) => emit(s, i === held.length - 1));
      void emitting.then(() => {
        this.close();
        this.emit('exit', { ...e, expected: e.expected || this.stopRequested });
        this.markExited();
      });
    });
    // ffmpeg opens its inputs one after another, binding each one's ports as it does, and
    // reads a packet from it before it opens the next: each consumer is let in once its port
    // listens. Pictures come first, from a key frame (a decoder that misses the one carrying
    // the stream's parameters shows grey until the next, and a browser sends one only when
    // asked); the sound, let in earlier, would open the first segment before any picture.
    for (const [i, t] of this.tracks.entries()) {
      const bound = await waitUntilBound([t.rtpPort], BIND_TIMEOUT_MS);
      if (!proc.running || this.closed) return;
      if (!bound) this.opts.logger.warn({ writer: this.opts.id, input: i }, 'recorder ffmpeg did not listen in time');
      if (t.kind === 'audio') {
        await t.consumer.resume();
        continue;
      }
      const keyFrame = i === 0 ? this.firstKeyFrame(t.consumer) : undefined;
      await t.consumer.resume();
      this.requestKeyFrames(t.consumer);
      await keyFrame;
    }
  }

  /** Resolves at the consumer's first key frame, or after FIRST_KEY_FRAME_MS; leaves no listener behind. */
  private async firstKeyFrame(consumer: Consumer): Promise<void> {
    // The consumer may close while this is asked (the writer replaced, the seminar ended): then
    // there is no key frame to wait for, and a rejection here would go unhandled while the
    // caller awaits resume().
    const tracing = await consumer.enableTraceEvent(['keyframe']).then(
      () => true,
      () => false,
    );
    if (!tracing) return;
    let onTrace: ((trace: { type: string }) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FIRST_KEY_FRAME_MS);
      onTrace = (trace) => {
        if (trace.type === 'keyframe') resolve();
      };
      consumer.on('trace', onTrace);
    });
    clearTimeout(timer);
    consumer.off('trace', onTrace!);
    if (!consumer.closed) await consumer.enableTraceEvent([]).catch(() => undefined);
  }

  /**
   * A key frame can be lost while ffmpeg starts (it takes a while on a busy machine): ask
   * again a few times; the first picture waits for one from every picture input.
   */
  private requestKeyFrames(consumer: Consumer): void {
    for (const delay of [0, 500, 1200, 2500, 4000, 6000]) {
      const timer = setTimeout(() => {
        if (!this.closed && !consumer.closed) void consumer.requestKeyFrame().catch(() => undefined);
      }, delay);
      timer.unref();
    }
  }

  /**
   * A segment's times on the grid. One cut at a grid point ends at the first grid point past
   * its start that its media reaches (its last frame may stop short of it, frames missing,
   * and its last audio packet reach a little past). The last one of a run ends where its media
   * does. The first of a run has no start in ffmpeg's list: its first picture says it.
   */
  private async onGrid(s: WrittenSegment, last: boolean): Promise<OfferedSegment> {
    const { anchorSeconds: a, segmentSeconds: step } = this.opts.plan;
    const cell = (t: number) => Math.floor((t - a + 1e-6) / step);
    const file = path.join(this.opts.dir, path.basename(s.file));
    const start = s.index === 0 ? ((await firstPictureTime(this.ffprobeBin, file)) ?? a + cell(s.end - 0.001) * step) : s.start;
    // ffmpeg's list ends a segment at its last picture; the last one of a run can hold sound past it.
    const end = last
      ? Math.max(s.end, (await mediaEnd(this.ffprobeBin, file)) ?? s.end)
      : a + Math.max(cell(start) + 1, cell(s.end - 0.1 * step) + 1) * step;
    return { file: path.basename(s.file), start: round6(start), end: round6(Math.max(end, start)) };
  }

  private get ffprobeBin(): string {
    return /ffmpeg$/.test(this.opts.ffmpegBin) ? this.opts.ffmpegBin.replace(/ffmpeg$/, 'ffprobe') : 'ffprobe';
  }

  private close(): void {
    if (!this.process) this.markExited();
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tracks) t.transport.close();
    const files = this.files;
    void Promise.all([...files.sdps, files.csv].map((f) => rm(f, { force: true }))).catch(() => undefined);
  }
}

/**
 * The router's capabilities without congestion control. ffmpeg sends no transport-cc or REMB
 * feedback; with them, mediasoup would estimate this transport's bandwidth from nothing and
 * hold the recorder near its initial 600 kbps: the top simulcast layer came late, and at half
 * its frame rate (temporal layer 1).
 */
export function withoutCongestionControl(caps: RtpCapabilities): RtpCapabilities {
  return {
    ...caps,
    codecs: (caps.codecs ?? []).map((c) => ({
      ...c,
      rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) => f.type !== 'transport-cc' && f.type !== 'goog-remb'),
    })),
    headerExtensions: (caps.headerExtensions ?? []).filter((h) => !h.uri.includes('transport-wide-cc') && !h.uri.includes('abs-send-time')),
  };
}

/** The top spatial and temporal layer the producer sends. */
function bestLayers(consumer: Consumer): { spatialLayer: number; temporalLayer: number } {
  const mode = /^L(\d+)T(\d+)/.exec(consumer.rtpParameters.encodings?.[0]?.scalabilityMode ?? '');
  return { spatialLayer: mode ? Number(mode[1]) - 1 : 0, temporalLayer: mode ? Number(mode[2]) - 1 : 0 };
}

/** The timeline time of a segment file's first picture (its first video packet), or undefined. */
async function firstPictureTime(ffprobeBin: string, file: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(
      ffprobeBin,
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-read_intervals', '%+#1', '-of', 'csv=p=0', file],
      { timeout: 10_000 },
    );
    const pts = Number.parseFloat(stdout);
    return Number.isFinite(pts) ? pts - TS_OFFSET_SECONDS : undefined;
  } catch {
    return undefined;
  }
}

/** The timeline time where a segment file's media ends: its last packet, picture or sound. */
async function mediaEnd(ffprobeBin: string, file: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(ffprobeBin, ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file], {
      timeout: 10_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const ends = stdout
      .split('\n')
      .map((line) => line.split(',').map(Number.parseFloat))
      .filter(([pts, duration]) => Number.isFinite(pts) && Number.isFinite(duration))
      .map(([pts, duration]) => pts! + duration! - TS_OFFSET_SECONDS);
    return ends.length > 0 ? Math.max(...ends) : undefined;
  } catch {
    return undefined;
  }
}

/** An RTCP receiver report and BYE: ffmpeg's RTP input ends when it reads one (it needs 12 bytes or more). */
function sendBye(port: number, ssrc: number): Promise<void> {
  const packet = Buffer.alloc(16);
  packet.writeUInt32BE(0x80c90001, 0); // RR, no report blocks
  packet.writeUInt32BE(ssrc >>> 0, 4);
  packet.writeUInt32BE(0x81cb0001, 8); // BYE, one source
  packet.writeUInt32BE(ssrc >>> 0, 12);
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.send(packet, port, '127.0.0.1', () => {
      socket.close();
      resolve();
    });
  });
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
