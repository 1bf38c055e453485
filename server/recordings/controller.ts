import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readPlaylist, Recorder, type Producer, type RecorderStatus, type RecordingSource, type Room, type Source } from '../../media';
import type { Logger } from '../logger';
import type { Seminar } from '../seminars/model';
import type { Recording } from './model';
import type { RecordingService } from './service';

/** A producer published in a live seminar's room, and whose it is. */
export interface PublishedProducer {
  producer: Producer;
  source: Source;
  /** The lecturer (or an admin running the seminar), or a viewer invited on stage. */
  role: 'lecturer' | 'guest';
}

interface SeminarRecording {
  recording: Recording;
  /** The room the recorders consume from; a rebuilt room gets new recorders on the same playlist. */
  room?: Room;
  main?: Recorder;
  /** Camera and microphone producers of the lecturer and the guests on stage. */
  sources: Map<string, RecordingSource>;
  screen?: Recorder;
  /** The producer the current screen recording takes. */
  screenProducerId?: string;
  screens: number;
  ops: Promise<unknown>;
}

export interface RecorderReport extends RecorderStatus {
  seminarId: string;
  recordingId: string;
  kind: 'main' | 'screen';
}

/** What /readyz (and metrics) show of the recorders. */
export interface RecordersStatus {
  /** Recorders of live seminars that still record (or wait for media). */
  active: number;
  /** Recorders that gave up, with why: their seminars go on without a recording. */
  stopped: RecorderReport[];
  recorders: RecorderReport[];
}

export interface RecordingControllerDeps {
  recordings: RecordingService;
  ffmpegBin: string;
  logger: Logger;
  segmentSeconds?: number;
  /** ffmpeg crashes a recorder tolerates within `stableSeconds`... */
  maxRestarts?: number;
  /** ...a run this long without a crash renews the budget. */
  stableSeconds?: number;
}

/** The recording's picture: the studio's camera at its top simulcast layer. */
const MAIN_CANVAS = { width: 1280, height: 720 };
const SCREEN_CANVAS = { width: 1920, height: 1080 };

/**
 * Runs the recorders of live seminars. The main recording takes the lecturer's camera and
 * microphone and those of the guests on stage (pictures-in-picture, sound mixed); each screen
 * share is a playlist of its own with its start on the main timeline. When the room is rebuilt
 * (worker died) the recording goes on in the same playlist after a discontinuity.
 */
export class RecordingController {
  private readonly active = new Map<string, SeminarRecording>();
  /** ffmpeg restarts after a crash, since start: for metrics. */
  restarts = 0;

  constructor(private readonly deps: RecordingControllerDeps) {}

  /** A producer appeared in a live seminar's room. */
  producerAdded(room: Room, seminar: Seminar, published: PublishedProducer): void {
    if (!this.active.has(room.seminarId)) return;
    void this.serial(room.seminarId, async () => {
      const s = this.stateOf(room.seminarId);
      const { producer } = published;
      if (producer.closed || room.isClosed) return;
      if (published.source === 'screen') {
        if (published.role === 'lecturer') await this.startScreen(room, seminar, s, producer);
        return;
      }
      if (s.room !== room) {
        // A rebuilt room: the old producers are gone with the old one.
        s.sources.clear();
        s.room = room;
      }
      s.sources.set(producer.id, { producer, role: published.role === 'lecturer' ? 'main' : 'guest' });
      this.deps.logger.info(
        { seminarId: room.seminarId, producerId: producer.id, source: published.source, role: published.role },
        'recording a producer',
      );
      if (s.main) s.main.setSources([...s.sources.values()]);
      else s.main = await this.startMain(room, seminar, s);
    });
  }

  producerClosed(seminarId: string, producerId: string): void {
    void this.serial(seminarId, async () => {
      const s = this.active.get(seminarId);
      if (!s) return;
      if (s.sources.delete(producerId)) s.main?.setSources([...s.sources.values()]);
      if (s.screen && s.screenProducerId === producerId) {
        await s.screen.stop();
        s.screen = s.screenProducerId = undefined;
      }
    });
  }

  /** The room lost its worker: stop writing; the next producers continue the playlist. */
  roomLost(seminarId: string): void {
    void this.serial(seminarId, async () => {
      const s = this.active.get(seminarId);
      if (!s) return;
      await Promise.all([s.main?.stop(), s.screen?.stop()]);
      s.main = s.screen = s.screenProducerId = s.room = undefined;
      s.sources.clear();
    });
  }

  /** The seminar ended (at `endedAt`: the recordings end there too): finish every playlist and turn the recording into a lesson. */
  async ended(seminarId: string, endedAt?: Date): Promise<Recording | null> {
    if (!this.active.has(seminarId)) return null;
    return this.serial(seminarId, async () => {
      const s = this.stateOf(seminarId);
      await Promise.all([s.main?.stop(endedAt), s.screen?.stop(endedAt)]);
      this.active.delete(seminarId);
      return this.deps.recordings.complete(s.recording.id);
    });
  }

  /** On shutdown: close every playlist; the recordings are completed on the next boot. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.active.keys()].map((id) =>
        this.serial(id, async () => {
          const s = this.stateOf(id);
          await Promise.all([s.main?.stop(), s.screen?.stop()]);
        }),
      ),
    );
    this.active.clear();
  }

  isRecording(seminarId: string): boolean {
    return this.active.has(seminarId);
  }

  /** Every recorder of a live seminar, read-only: for /readyz and metrics. */
  status(): RecordersStatus {
    const recorders: RecorderReport[] = [];
    for (const [seminarId, s] of this.active) {
      for (const [kind, recorder] of [
        ['main', s.main],
        ['screen', s.screen],
      ] as const) {
        if (recorder) recorders.push({ seminarId, recordingId: s.recording.id, kind, ...recorder.status() });
      }
    }
    return {
      active: recorders.filter((r) => r.state === 'recording' || r.state === 'idle').length,
      stopped: recorders.filter((r) => r.state === 'failed'),
      recorders,
    };
  }

  /** Registers the seminar (creating its recording record) before any producer work. */
  async live(seminar: Seminar): Promise<void> {
    if (this.active.has(seminar.id)) return;
    const recording = await this.deps.recordings.begin(seminar, 'video/H264');
    if (!this.active.has(seminar.id)) this.active.set(seminar.id, { recording, sources: new Map(), screens: 0, ops: Promise.resolve() });
  }

  private stateOf(seminarId: string): SeminarRecording {
    const existing = this.active.get(seminarId);
    if (existing) return existing;
    throw new Error(`no recording state for ${seminarId}`);
  }

  private recorderOptions(seminarId: string, s: SeminarRecording) {
    return {
      ffmpegBin: this.deps.ffmpegBin,
      segmentSeconds: this.deps.segmentSeconds ?? 1,
      ...(this.deps.maxRestarts !== undefined ? { maxRestarts: this.deps.maxRestarts } : {}),
      ...(this.deps.stableSeconds !== undefined ? { stableMs: this.deps.stableSeconds * 1000 } : {}),
      logger: this.deps.logger.child({ seminarId, recordingId: s.recording.id }),
    };
  }

  private async startMain(room: Room, seminar: Seminar, s: SeminarRecording): Promise<Recorder> {
    const recorder = await Recorder.create({
      ...this.recorderOptions(room.seminarId, s),
      router: room.origin,
      sources: [...s.sources.values()],
      dir: this.deps.recordings.absoluteDir(s.recording),
      // The recording's timeline origin (the live start): the replay places chat and slides by it.
      origin: timelineOrigin(s.recording, seminar),
      canvas: MAIN_CANVAS,
      continuePlaylist: true,
    });
    this.watch(recorder, room.seminarId);
    return recorder;
  }

  private async startScreen(room: Room, seminar: Seminar, s: SeminarRecording, producer: Producer): Promise<void> {
    await s.screen?.stop();
    s.screens += 1;
    const name = `screen-${s.screens}`;
    const startedAt = new Date();
    // Its start on the main recording's timeline.
    const offsetMs = startedAt.getTime() - timelineOrigin(s.recording, seminar).getTime();
    s.screen = await Recorder.create({
      ...this.recorderOptions(room.seminarId, s),
      router: room.origin,
      sources: [{ producer, role: 'main' }],
      dir: path.join(this.deps.recordings.absoluteDir(s.recording), name),
      origin: startedAt,
      canvas: SCREEN_CANVAS,
      withAudio: false,
    });
    s.screenProducerId = producer.id;
    this.watch(s.screen, room.seminarId);
    await this.deps.recordings.addScreen(s.recording, name, offsetMs);
  }

  private watch(recorder: Recorder, seminarId: string): void {
    recorder.on('crashed', (e) => {
      this.restarts++;
      this.deps.logger.error({ seminarId, code: e.code, signal: e.signal, restarts: e.restarts }, 'recording ffmpeg crashed; restarting');
    });
    recorder.on('failed', (e) => this.deps.logger.error({ seminarId, reason: e.reason }, 'recording stopped for good'));
  }

  /** One operation at a time per seminar. */
  private serial<T>(seminarId: string, op: () => Promise<T>): Promise<T> {
    const s = this.active.get(seminarId);
    if (!s) return Promise.resolve(undefined as T);
    const next = s.ops.then(op, op);
    s.ops = next.catch((err: unknown) => this.deps.logger.error({ err, seminarId }, 'recording operation failed'));
    return next;
  }
}

const run = promisify(execFile);

/** The wall-clock moment of a recording's time 0; one begun before it was stored counts from the live start. */
function timelineOrigin(recording: Recording, seminar: Seminar): Date {
  return recording.timelineOrigin ?? seminar.liveStartedAt ?? recording.startedAt;
}

/** A poster frame from a little into the recording (past the black before the first picture). */
export async function makePoster(ffmpegBin: string, dir: string): Promise<boolean> {
  const playlist = path.join(dir, 'index.m3u8');
  const duration = (await readPlaylist(playlist)).segments.reduce((s, x) => s + x.duration, 0);
  await run(
    ffmpegBin,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-ss',
      String(Math.min(10, duration / 2).toFixed(2)),
      '-i',
      playlist,
      '-frames:v',
      '1',
      '-vf',
      'scale=640:-2',
      path.join(dir, 'poster.jpg'),
    ],
    { timeout: 15_000 },
  );
  return true;
}
