import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Producer, Router } from 'mediasoup/types';
import { LiveWriter } from './live-writer';
import type { MediaLogger } from './logger';
import { PlaylistFile, type RecordingSummary } from './playlist';
import { PlaylistPublisher } from './publisher';
import type { Canvas } from './recording-graph';
import { Sequencer, type SequencerAction } from './sequencer';

export { readPlaylist, PLAYLIST, type RecordingSummary } from './playlist';
export { finalizePlaylist } from './crash-recovery';

/** A producer to record: the lecturer's (or the shared screen) fills the picture, guests come in a corner. */
export interface RecordingSource {
  producer: Producer;
  role: 'main' | 'guest';
}

export interface RecorderOptions {
  router: Router;
  sources?: RecordingSource[];
  dir: string;
  ffmpegBin: string;
  logger: MediaLogger;
  /** Segment length and the playlist's target duration (default 1). */
  segmentSeconds?: number;
  /** The wall-clock moment the recording's timeline starts from (the live start; default now). */
  origin?: Date;
  /** The picture's size, whatever layer or camera arrives (default 1280x720, the studio's top layer). */
  canvas?: Canvas;
  /** Whether the recording has sound (default true; screen shares have none). */
  withAudio?: boolean;
  /** Guests shown (and heard) at most. */
  maxGuests?: number;
  /** ffmpeg crashes tolerated before the recorder gives up... */
  maxRestarts?: number;
  /** ...counted since ffmpeg last ran this long without crashing. */
  stableMs?: number;
  /** Goes on with a playlist already in `dir` (after the room was rebuilt), after a discontinuity. */
  continuePlaylist?: boolean;
}

export interface RecorderStatus {
  state: 'idle' | 'recording' | 'failed' | 'stopped';
  /** Why it failed, when it did. */
  failure?: string;
  pid?: number;
  /** ffmpeg processes running (two while one hands over to another). */
  writers: number;
  /** Crashes counted against the budget now. */
  crashes: number;
  /** Crashes since the recording began. */
  restarts: number;
  sources: number;
  segments: number;
  durationSeconds: number;
}

interface RecorderEvents {
  started: [{ pid: number | undefined }];
  /** ffmpeg died unexpectedly; a restart follows unless the budget is spent. */
  crashed: [{ code: number | null; signal: string | null; restarts: number; stderrTail: string }];
  restarted: [{ pid: number | undefined }];
  /** It gave up: nothing more is recorded. */
  failed: [{ reason: string }];
  /** A new ffmpeg took over because what is recorded changed. */
  switched: [{ pid: number | undefined }];
  finished: [RecordingSummary];
}

/** Additions wait a little: a camera and its microphone arrive up to a second apart. */
const ADD_SETTLE_MS = 600;
const REMOVE_SETTLE_MS = 30;
/** Media that arrived while the end went through, kept rather than trimmed off (seconds). */
const END_SLACK_S = 0.25;
/** After a new writer let everything in, how long until its segments hold it all. */
const READY_MARGIN_S = 0.5;
/** A writer that owes the next moment and writes nothing for this long is given up on. */
const SILENT_MS = 6000;
/** The newest writer, given media and writing nothing for this long, is stuck: it gives a segment every step. */
const STUCK_MS = 10_000;

/**
 * Records producers of a router as one HLS playlist with the live session's timeline.
 *
 * Each set of producers is recorded by one ffmpeg run (a LiveWriter): pictures scaled onto one
 * canvas (guests as pictures-in-picture), sounds mixed, encoded to H.264 and AAC in segments on
 * a fixed grid. When the set changes, a new writer starts: one that only adds a producer takes
 * over at a grid point once it is running (nothing lost); when a producer goes away (paused,
 * closed), the old writer is cut at that moment and the new one starts there. A Sequencer picks
 * the segments, renamed into seg_NNNNN.ts and listed in index.m3u8; where nothing was recorded
 * (before the first picture, around a crash) black and silence keep the timeline. A crashed
 * ffmpeg is restarted, up to `maxRestarts` times within a stable period.
 */
export class Recorder extends EventEmitter<RecorderEvents> {
  private readonly sources = new Map<string, { source: RecordingSource; off: () => void }>();
  private readonly writers = new Map<number, LiveWriter>();
  /** The newest writer: what it records is what the recording holds now. */
  private current?: LiveWriter;
  private nextWriterId = 1;
  private readonly publisher: PlaylistPublisher;
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;
  private reconciling = false;
  private again = false;
  private backoffUntil = 0;
  private crashes = 0;
  private restarts = 0;
  private restarting = false;
  /** Where the recording paused (nothing flowed): a later writer starts there or after. */
  private resumeAt = 0;
  private starting = false;
  private started = false;
  private failure?: string;
  private stopping?: Promise<RecordingSummary>;
  private readonly origin: number;
  private readonly step: number;
  /** When each writer last gave a segment (or started). */
  private readonly lastSegmentAt = new Map<number, number>();
  /** Writers whose main picture went away: they write no more segments, and hand over as soon as they can. */
  private readonly pictureLost = new Set<number>();
  private readonly watchdog: NodeJS.Timeout;
  /** What checkStuck counted when the current writer had been quiet for half of STUCK_MS. */
  private stuckProbe?: { writer: number; packets: number };
  private probingStuck = false;

  private constructor(
    private readonly opts: RecorderOptions,
    private readonly playlist: PlaylistFile,
    private readonly sequencer: Sequencer,
  ) {
    super();
    this.origin = (opts.origin?.getTime() ?? Date.now()) / 1000;
    this.step = opts.segmentSeconds ?? 1;
    this.publisher = new PlaylistPublisher({
      dir: opts.dir,
      ffmpegBin: opts.ffmpegBin,
      logger: opts.logger,
      playlist,
      originSeconds: this.origin,
      segmentSeconds: this.step,
      canvas: this.canvas,
      withAudio: opts.withAudio !== false,
      retire: (id) => void this.writers.get(id)?.stop(),
    });
    this.watchdog = setInterval(() => this.checkSilent(), 500);
    this.watchdog.unref();
  }

  /**
   * A writer that owes the next moment of the recording while a newer one runs, and writes
   * nothing: its picture stopped (the camera went away) or it stalled. Lagging behind is
   * fine as long as segments come; silent, it is given up on, and gives its last segment.
   */
  private checkSilent(): void {
    this.checkStuck();
    const waiting = this.sequencer.waitingOn;
    if (!waiting) return;
    const lostPicture = this.pictureLost.has(waiting.writer) && waiting.handOverKnown;
    if (!lostPicture && Date.now() - (this.lastSegmentAt.get(waiting.writer) ?? Date.now()) < SILENT_MS) return;
    if (!lostPicture) this.opts.logger.warn({ writer: waiting.writer }, 'recorder gave up on a silent ffmpeg');
    this.sequencer.giveUp(waiting.writer);
    void this.writers.get(waiting.writer)?.finish();
  }

  /**
   * A writer that hangs (seen once after a worker was replaced: its picture's first frame in,
   * then nothing for half a minute, its input never timing out) would stall the recording for
   * the rest of the seminar, or a hand-over for good: nothing else gives up on the newest
   * writer. Media sent to it all along tells stuck from starved (a source that sends nothing
   * is the inputs' business); killed, it is restarted as a crashed one is, within the budget.
   */
  private checkStuck(): void {
    const w = this.current;
    if (!w || w.stopping || this.starting || this.stopping || this.failure || this.probingStuck) return;
    const quietMs = Date.now() - (this.lastSegmentAt.get(w.id) ?? Date.now());
    if (quietMs < STUCK_MS / 2) {
      if (this.stuckProbe?.writer === w.id) this.stuckProbe = undefined;
      return;
    }
    this.probingStuck = true;
    void w
      .packetsSent()
      .then((packets) => {
        const before = this.stuckProbe?.writer === w.id ? this.stuckProbe : undefined;
        // Counted from halfway through the quiet stretch on.
        if (!before) this.stuckProbe = { writer: w.id, packets };
        if (!before || quietMs < STUCK_MS || w !== this.current || w.stopping) return;
        this.stuckProbe = undefined;
        this.lastSegmentAt.set(w.id, Date.now());
        if (packets <= before.packets) return;
        this.opts.logger.warn(
          { writer: w.id, pid: w.pid, quietMs, packets: packets - before.packets },
          'recorder ffmpeg wrote nothing while media came: killed, to be started again',
        );
        w.kill();
      })
      .finally(() => (this.probingStuck = false));
  }

  static async create(opts: RecorderOptions): Promise<Recorder> {
    await mkdir(opts.dir, { recursive: true });
    const step = opts.segmentSeconds ?? 1;
    const playlist = await PlaylistFile.open(opts.dir, { segmentSeconds: step, continueExisting: opts.continuePlaylist ?? false });
    const continued = playlist.segments > 0;
    const recorder = new Recorder(opts, playlist, new Sequencer(step, continued ? playlist.durationSeconds : 0, continued));
    recorder.setSources(opts.sources ?? []);
    return recorder;
  }

  get playlistPath(): string {
    return this.playlist.file;
  }

  get ffmpegPid(): number | undefined {
    return this.current?.pid;
  }

  /** What to record from now on. Producers that pause or close drop out by themselves, and come back on resume. */
  setSources(sources: RecordingSource[]): void {
    if (this.stopping) return;
    const wanted = new Set(sources.map((s) => s.producer.id));
    let removed = false;
    for (const [id, entry] of this.sources) {
      if (wanted.has(id)) continue;
      entry.off();
      this.sources.delete(id);
      removed = true;
    }
    let added = false;
    for (const source of sources) {
      if (this.sources.has(source.producer.id) || source.producer.closed) continue;
      this.sources.set(source.producer.id, { source, off: this.watch(source.producer) });
      added = true;
    }
    if (removed) this.schedule(REMOVE_SETTLE_MS);
    else if (added) this.schedule(ADD_SETTLE_MS);
  }

  status(): RecorderStatus {
    return {
      state: this.failure ? 'failed' : this.stopping ? 'stopped' : this.current ? 'recording' : 'idle',
      ...(this.failure ? { failure: this.failure } : {}),
      ...(this.current?.pid !== undefined ? { pid: this.current.pid } : {}),
      writers: this.writers.size,
      crashes: this.crashes,
      restarts: this.restarts,
      sources: this.sources.size,
      segments: this.playlist.segments,
      durationSeconds: this.playlist.durationSeconds,
    };
  }

  /**
   * Finishes the recording at `endAt` (default now; no earlier than what is listed): every
   * ffmpeg writes out what it holds, the last segments are cut there, the playlist gets its
   * end. Safe to call twice.
   */
  stop(endAt?: Date): Promise<RecordingSummary> {
    this.stopping ??= (async () => {
      clearTimeout(this.timer);
      clearInterval(this.watchdog);
      for (const { off } of this.sources.values()) off();
      this.sources.clear();
      while (this.starting) await new Promise((r) => setTimeout(r, 20));
      // The recording ends now: ffmpeg writes out what it still holds, and the last segments
      // are cut here.
      const at = Math.max((endAt?.getTime() ?? Date.now()) / 1000 - this.origin, this.sequencer.end);
      const stoppingAt = Date.now();
      for (const w of this.writers.values()) this.enqueue(this.sequencer.cut(w.id, at, END_SLACK_S));
      await Promise.all([...this.writers.values()].map((w) => w.finish()));
      const finishedMs = Date.now() - stoppingAt;
      this.enqueue(this.sequencer.finish());
      await this.publisher.settled();
      await this.playlist.end();
      await this.publisher.removeLeftovers();
      const summary = this.playlist.summary();
      this.opts.logger.info({ ...summary, finishedMs, stoppedMs: Date.now() - stoppingAt }, 'recorder finished');
      this.emit('finished', summary);
      return summary;
    })();
    return this.stopping;
  }

  private watch(producer: Producer): () => void {
    const away = () => this.schedule(REMOVE_SETTLE_MS);
    const back = () => this.schedule(ADD_SETTLE_MS);
    producer.observer.on('pause', away);
    producer.observer.on('close', away);
    producer.observer.on('resume', back);
    return () => {
      producer.observer.off('pause', away);
      producer.observer.off('close', away);
      producer.observer.off('resume', back);
    };
  }

  private schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.timer && due >= this.timerDue) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      void this.reconcile();
    }, delayMs);
  }

  /** What should be recorded now: flowing producers, the main picture first. */
  private wanted(): { videos: Producer[]; audios: Producer[] } {
    const flowing = [...this.sources.values()].map((e) => e.source).filter((s) => !s.producer.closed && !s.producer.paused);
    const ordered = [...flowing.filter((s) => s.role === 'main'), ...flowing.filter((s) => s.role === 'guest')];
    const pick = (kind: 'audio' | 'video') =>
      ordered
        .filter((s) => s.producer.kind === kind)
        .slice(0, 1 + (this.opts.maxGuests ?? 3))
        .map((s) => s.producer);
    return { videos: pick('video'), audios: this.opts.withAudio === false ? [] : pick('audio') };
  }

  /** Makes the writers match the wanted producers. One pass at a time; a call meanwhile runs another pass after. */
  private async reconcile(): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.again = false;
        await this.reconcileOnce();
      } while (this.again && !this.stopping);
    } catch (err) {
      this.opts.logger.error({ err }, 'recorder could not change what it records');
    } finally {
      this.reconciling = false;
    }
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopping || this.failure) return;
    const wanted = this.wanted();
    const ids = [...wanted.videos, ...wanted.audios].map((p) => p.id);
    let current = this.current;
    // A writer that lost an input still sending (a pause of the sender's longer than ffmpeg
    // waits) is replaced like one whose inputs changed.
    const intact = (w: LiveWriter) => [...w.lostInputs].every((id) => !ids.includes(id));
    if (current && sameList(current.inputs, ids) && intact(current)) return;
    if (Date.now() < this.backoffUntil) return this.schedule(this.backoffUntil - Date.now());
    const older = [...this.writers.values()].filter((w) => w !== current && !w.stopping);
    if (current && older.length > 0) {
      // A hand-over is under way. If what the newer writer records lost an input, it may never
      // produce a picture: give it up and start again from the writer it was replacing.
      if (!current.inputs.some((id) => !ids.includes(id)) && intact(current)) return this.schedule(250);
      this.enqueue(this.sequencer.abandon(current.id));
      void current.stop();
      current = this.current = older[older.length - 1];
    }
    if (ids.length === 0) {
      // Nothing flows any more: the recording pauses here; black fills the pause if media comes back.
      if (current) {
        const at = Math.max(Date.now() / 1000 - this.origin, this.sequencer.end);
        this.resumeAt = at;
        this.enqueue(this.sequencer.cut(current.id, at));
        void current.finish();
        this.current = undefined;
      }
      return;
    }
    if (current) {
      // The new writer runs on the same grid and takes over at a grid point; nothing is lost.
      // An old writer whose picture went away can cut no more segments: it gives its last one
      // as soon as the new writer knows where it takes over.
      this.sequencer.handOver(current.id);
      const picture = current.inputs[0]!;
      if (current.recordsVideo && (!ids.includes(picture) || current.lostInputs.has(picture))) this.pictureLost.add(current.id);
      await this.startWriter(wanted, current.anchorSeconds);
    } else {
      await this.startWriter(wanted, Math.max(this.sequencer.end, this.resumeAt));
    }
  }

  private async startWriter(wanted: { videos: Producer[]; audios: Producer[] }, anchorSeconds: number): Promise<void> {
    const id = this.nextWriterId++;
    const replacing = this.current !== undefined;
    this.sequencer.addWriter(id);
    this.starting = true;
    let writer: LiveWriter | undefined;
    try {
      writer = await LiveWriter.create({
        id,
        router: this.opts.router,
        videos: wanted.videos,
        audios: wanted.audios,
        dir: this.opts.dir,
        ffmpegBin: this.opts.ffmpegBin,
        logger: this.opts.logger,
        plan: {
          originSeconds: this.origin,
          anchorSeconds,
          segmentSeconds: this.step,
          canvas: this.canvas,
          withAudio: this.opts.withAudio !== false,
        },
      });
      const w = writer;
      this.writers.set(id, w);
      this.lastSegmentAt.set(id, Date.now());
      w.on('segment', (s) => {
        this.lastSegmentAt.set(id, Date.now());
        this.enqueue(this.sequencer.offer(id, s));
      });
      w.once('exit', (e) => this.onExit(w, e));
      w.on('inputLost', (e) => {
        this.opts.logger.warn({ writer: id, producerId: e.producerId }, 'recorder ffmpeg lost an input');
        this.schedule(REMOVE_SETTLE_MS);
      });
      await w.run();
    } catch (err) {
      this.starting = false;
      await writer?.stop();
      this.writers.delete(id);
      this.enqueue(this.sequencer.exited(id));
      if (this.stopping) return;
      // A producer that closed while we started is no crash: the next pass records without it.
      if (writer?.lostInput || [...wanted.videos, ...wanted.audios].some((p) => p.closed || p.paused))
        return this.schedule(REMOVE_SETTLE_MS);
      this.opts.logger.error({ err }, 'recorder could not start ffmpeg');
      this.countCrash({ code: null, signal: null, stderrTail: err instanceof Error ? err.message : String(err) }, Date.now());
      return;
    }
    this.starting = false;
    if (this.stopping || !this.writers.has(id)) return;
    // Its first segment is due a step from now, however long letting the media in took.
    this.lastSegmentAt.set(id, Date.now());
    // Everything flows now; the sound that came last needs a moment to reach the segments.
    this.enqueue(this.sequencer.ready(id, Date.now() / 1000 - this.origin + READY_MARGIN_S));
    this.opts.logger.info(
      {
        writer: id,
        pid: writer.pid,
        videos: wanted.videos.map((p) => p.id),
        audios: wanted.audios.map((p) => p.id),
        anchor: anchorSeconds,
      },
      'recorder started ffmpeg',
    );
    this.current = writer;
    if (this.restarting) {
      this.restarting = false;
      this.emit('restarted', { pid: writer.pid });
    } else if (!this.started) {
      this.started = true;
      this.emit('started', { pid: writer.pid });
    } else if (replacing) {
      this.emit('switched', { pid: writer.pid });
    }
  }

  private get canvas(): Canvas {
    return this.opts.canvas ?? { width: 1280, height: 720 };
  }

  private enqueue(actions: SequencerAction[]): void {
    this.publisher.enqueue(actions);
  }

  private onExit(
    writer: LiveWriter,
    e: { code: number | null; signal: NodeJS.Signals | null; expected: boolean; stderrTail: string },
  ): void {
    this.writers.delete(writer.id);
    this.lastSegmentAt.delete(writer.id);
    this.pictureLost.delete(writer.id);
    this.enqueue(this.sequencer.exited(writer.id));
    if (e.stderrTail.trim()) this.opts.logger.info({ writer: writer.id, stderr: e.stderrTail.trim().slice(-600) }, 'recorder ffmpeg said');
    if (e.expected || this.stopping) return;
    const wasCurrent = this.current === writer;
    // A writer that was taking over died: the one it was taking over from carries on.
    if (wasCurrent) this.current = [...this.writers.values()].pop();
    this.countCrash(e, writer.startedAt);
    if (wasCurrent && !this.failure) this.restarting = true;
  }

  /** A crash counts against the budget, which a run that lasted `stableMs` renews. */
  private countCrash(e: { code: number | null; signal: string | null; stderrTail: string }, startedAt: number): void {
    if (Date.now() - startedAt >= (this.opts.stableMs ?? 60_000)) this.crashes = 0;
    this.crashes += 1;
    this.restarts += 1;
    this.opts.logger.error(
      { code: e.code, signal: e.signal, crashes: this.crashes, stderr: e.stderrTail.slice(-300) },
      'recorder ffmpeg died',
    );
    this.emit('crashed', { code: e.code, signal: e.signal, restarts: this.restarts, stderrTail: e.stderrTail });
    if (this.crashes > (this.opts.maxRestarts ?? 10)) {
      this.failure = 'ffmpeg kept crashing';
      this.opts.logger.error({ crashes: this.crashes }, 'recorder gave up');
      this.emit('failed', { reason: this.failure });
      return;
    }
    const delay = Math.min(200 * this.crashes, 2000);
    this.backoffUntil = Date.now() + delay;
    this.schedule(delay);
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
