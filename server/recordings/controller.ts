import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Recorder, type Room } from '../../media';
import type { Logger } from '../logger';
import type { Seminar } from '../seminars/model';
import type { Recording } from './model';
import type { RecordingService } from './service';

interface SeminarRecording {
  recording: Recording;
  main?: Recorder;
  screen?: Recorder;
  /** The producer the current screen recording takes. */
  screenProducerId?: string;
  screens: number;
  /** Producers of the lecturer that feed the main recorder. */
  camera?: string;
  mic?: string;
  starting?: NodeJS.Timeout;
  ops: Promise<unknown>;
}

/**
 * Runs the recorders of live seminars. The main recording takes the
 * lecturer's microphone and camera; each screen share is a playlist of its own
 * with its start on the main timeline. When the room is rebuilt (worker died)
 * the recording goes on in the same playlist after a discontinuity.
 */
export class RecordingController {
  private readonly active = new Map<string, SeminarRecording>();
  /** ffmpeg restarts after a crash, since start: for metrics. */
  restarts = 0;

  constructor(private readonly deps: { recordings: RecordingService; ffmpegBin: string; logger: Logger; segmentSeconds?: number }) {}

  /** A lecturer's producer appeared in a live seminar's room. */
  producerAdded(room: Room, seminar: Seminar, producer: { id: string; source: 'camera' | 'mic' | 'screen' }): void {
    if (!this.active.has(room.seminarId)) return;
    void this.serial(room.seminarId, async () => {
      const s = await this.stateOf(room.seminarId);
      if (producer.source === 'screen') return this.startScreen(room, seminar, s, producer.id);
      if (producer.source === 'camera') s.camera = producer.id;
      if (producer.source === 'mic') s.mic = producer.id;
      // Camera and microphone arrive a moment apart: start once both are in, or after a second.
      clearTimeout(s.starting);
      const start = () => void this.serial(room.seminarId, () => this.restartMain(room, s));
      if (s.camera && s.mic) start();
      else s.starting = setTimeout(start, 1000);
    });
  }

  producerClosed(seminarId: string, producerId: string): void {
    void this.serial(seminarId, async () => {
      const s = this.active.get(seminarId) && (await this.stateOf(seminarId));
      if (!s) return;
      if (s.screen && s.screenProducerId === producerId) {
        await s.screen.stop();
        s.screen = s.screenProducerId = undefined;
      }
    });
  }

  /** The room lost its worker: stop writing; the next producers continue the playlist. */
  roomLost(seminarId: string): void {
    void this.serial(seminarId, async () => {
      const s = this.active.get(seminarId) && (await this.stateOf(seminarId));
      if (!s) return;
      clearTimeout(s.starting);
      await Promise.all([s.main?.stop(), s.screen?.stop()]);
      s.main = s.screen = s.screenProducerId = s.camera = s.mic = undefined;
    });
  }

  /** The seminar ended: finish every playlist and turn the recording into a lesson. */
  async ended(seminarId: string): Promise<Recording | null> {
    if (!this.active.has(seminarId)) return null;
    const done = this.serial(seminarId, async () => {
      const s = await this.stateOf(seminarId);
      clearTimeout(s.starting);
      await Promise.all([s.main?.stop(), s.screen?.stop()]);
      this.active.delete(seminarId);
      return this.deps.recordings.complete(s.recording.id);
    });
    return done;
  }

  /** On shutdown: close every playlist; the recordings are completed on the next boot. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.active.keys()].map((id) =>
        this.serial(id, async () => {
          const s = await this.stateOf(id);
          clearTimeout(s.starting);
          await Promise.all([s.main?.stop(), s.screen?.stop()]);
        }),
      ),
    );
    this.active.clear();
  }

  isRecording(seminarId: string): boolean {
    return this.active.has(seminarId);
  }

  private stateOf(seminarId: string): Promise<SeminarRecording> {
    const existing = this.active.get(seminarId);
    if (existing) return Promise.resolve(existing);
    throw new Error(`no recording state for ${seminarId}`);
  }

  /** Registers the seminar (creating its recording record) before any producer work. */
  async live(seminar: Seminar): Promise<void> {
    if (this.active.has(seminar.id)) return;
    const recording = await this.deps.recordings.begin(seminar, null);
    if (!this.active.has(seminar.id)) this.active.set(seminar.id, { recording, screens: 0, ops: Promise.resolve() });
  }

  private async restartMain(room: Room, s: SeminarRecording): Promise<void> {
    if (room.isClosed) return;
    await s.main?.stop();
    const dir = this.deps.recordings.absoluteDir(s.recording);
    s.main = await Recorder.create({
      router: room.origin,
      ...(s.camera ? { videoProducerId: s.camera } : {}),
      ...(s.mic ? { audioProducerId: s.mic } : {}),
      dir,
      ffmpegBin: this.deps.ffmpegBin,
      logger: this.deps.logger.child({ seminarId: room.seminarId, recordingId: s.recording.id }),
      segmentSeconds: this.deps.segmentSeconds ?? 1,
      continuePlaylist: true,
    });
    this.watch(s.main, room.seminarId);
  }

  private async startScreen(room: Room, seminar: Seminar, s: SeminarRecording, producerId: string): Promise<void> {
    await s.screen?.stop();
    s.screens += 1;
    const name = `screen-${s.screens}`;
    const offsetMs = seminar.liveStartedAt ? Date.now() - seminar.liveStartedAt.getTime() : 0;
    s.screen = await Recorder.create({
      router: room.origin,
      videoProducerId: producerId,
      dir: path.join(this.deps.recordings.absoluteDir(s.recording), name),
      ffmpegBin: this.deps.ffmpegBin,
      logger: this.deps.logger.child({ seminarId: room.seminarId, screen: name }),
      segmentSeconds: this.deps.segmentSeconds ?? 1,
    });
    s.screenProducerId = producerId;
    this.watch(s.screen, room.seminarId);
    await this.deps.recordings.addScreen(s.recording, name, offsetMs);
  }

  private watch(recorder: Recorder, seminarId: string): void {
    recorder.on('crashed', (e) => {
      this.restarts++;
      this.deps.logger.error({ seminarId, code: e.code, signal: e.signal, restarts: e.restarts }, 'recording ffmpeg crashed; restarting');
    });
    recorder.on('failed', (e) => this.deps.logger.error({ seminarId, reason: e.reason }, 'recording failed'));
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

/** A poster frame from one second into the recording. */
export async function makePoster(ffmpegBin: string, dir: string): Promise<boolean> {
  await run(
    ffmpegBin,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-ss',
      '1',
      '-i',
      path.join(dir, 'index.m3u8'),
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
