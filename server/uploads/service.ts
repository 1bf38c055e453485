import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { has, isAdmin, type Actor } from '../accounts/grants';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, UnsupportedMediaTypeError } from '../errors';
import type { VideoProbe as ProbedVideo } from '../../media';
import type { Logger } from '../logger';
import type { Recording, RecordingRepository } from '../recordings/model';
import type { UploadView } from '../protocol';
import type { UploadJob, UploadRepository } from './model';

/** The files tus receives: where one lies, how much of it has arrived, and removing it. */
export interface IncomingFiles {
  path(id: string): string;
  /** Bytes received so far; null when there is no such upload. */
  receivedBytes(id: string): Promise<number | null>;
  /** When a byte last arrived (the file's modification time); null when this node holds no such file. */
  lastWrite(id: string): Promise<Date | null>;
  /** Removes the file and its tus info; nothing when it is gone already. */
  remove(id: string): Promise<void>;
}

export interface UploadDeps {
  uploads: UploadRepository;
  recordings: RecordingRepository;
  incoming: IncomingFiles;
  recordingsDir: string;
  nodeId: string;
  /** ffprobe: what the file holds, or the code of why it is no video. */
  probe(file: string): Promise<{ ok: true; probe: ProbedVideo } | { ok: false; reason: string }>;
  /** ffmpeg: the file to HLS in outDir (copied or transcoded), reporting its share done. */
  packageHls(
    input: string,
    outDir: string,
    probe: ProbedVideo,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<unknown>;
  /** The packaged playlist's length and segments. */
  summarize(dir: string): Promise<{ durationSeconds: number; segments: number }>;
  /** Writes poster.jpg into dir; false when it could not. */
  makePoster(dir: string): Promise<boolean>;
  /**
   * Deletes a finished upload's recording and its files as the recordings page does (refused
   * with 409 recording_in_use while a course has it as a lesson); nothing when it is gone already.
   */
  removeRecording(actor: Actor, recordingId: string): Promise<void>;
  logger: Logger;
  /** Packaging attempts (a crash mid-way is one) before a file is failed for good. */
  maxAttempts?: number;
  /** An uploaded video became playable (webhooks). */
  onReady?(recording: Recording): Promise<void>;
  /** Uploads one lecturer may have unfinished (uploading or processing) at once. */
  maxUnfinishedPerOwner?: number;
  /** An upload that has received nothing for this long is abandoned (UPLOAD_ABANDONED_AFTER_SECONDS). */
  abandonedAfterMs: number;
}

/** The longest wait between two sweeps for abandoned uploads, whatever the age they are swept at. */
const SWEEP_MAX_MS = 15 * 60_000;

/** The file names an upload may have: the containers Lectern packages. */
export const UPLOAD_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv'];
/** Uploads live under recordingsDir/uploads/<recordingId>; packaging writes next to it first. */
const UPLOADS = 'uploads';
const PROGRESS_WRITE_MS = 1000;

/**
 * Uploaded videos, from the tus upload to a packaged recording: who may upload, the
 * list with its states, and packaging in the background, one file at a time per node
 * (ffmpeg takes every core it gets). Packaging writes into a temporary directory that is
 * moved into place whole, and the recording document is created only after that: a crash
 * leaves no half recording. At boot, jobs left processing are packaged again from the
 * start (the uploaded file is kept until packaging succeeds), up to maxAttempts.
 */
export class UploadService {
  private queue: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: UploadDeps) {}

  /** Throws unless the actor may upload lesson videos (lecturers and admins). */
  assertMayUpload(actor: Actor): asserts actor is Extract<Actor, { kind: 'user' }> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'seminars:manage')) throw new ForbiddenError('missing_grant', 'This needs the seminars:manage grant');
  }

  /** A tus upload is being created: its name, size and the owner's count of unfinished uploads are checked. */
  async created(actor: Actor, id: string, meta: { fileName: string | undefined; sizeBytes: number | undefined }): Promise<UploadJob> {
    this.assertMayUpload(actor);
    const fileName = meta.fileName?.trim() ?? '';
    // eslint-disable-next-line no-control-regex -- control characters are what it refuses
    if (fileName.length === 0 || fileName.length > 200 || /[\u0000-\u001f/\\]/.test(fileName))
      throw new BadRequestError('upload_bad_name', 'Upload-Metadata must carry a filename of 1–200 characters, with no path');
    if (!UPLOAD_EXTENSIONS.includes(path.extname(fileName).toLowerCase()))
      throw new UnsupportedMediaTypeError('upload_unsupported_type', 'Only MP4, MOV and MKV videos can be uploaded');
    if (meta.sizeBytes === undefined || !Number.isSafeInteger(meta.sizeBytes) || meta.sizeBytes <= 0)
      throw new BadRequestError('upload_length_required', 'The upload must state its length (Upload-Length, not deferred)');
    if ((await this.deps.uploads.countUnfinished(actor.userId)) >= (this.deps.maxUnfinishedPerOwner ?? 10))
      throw new ConflictError('too_many_uploads', 'Finish or remove some of your uploads first');
    return this.deps.uploads.create({
      id,
      ownerId: actor.userId,
      fileName,
      sizeBytes: meta.sizeBytes,
      recordingId: randomBytes(12).toString('hex'),
    });
  }

  /** The actor's own upload (any, for an admin), or 404: another's upload is not said to exist. */
  async owned(actor: Actor, id: string): Promise<UploadJob> {
    this.assertMayUpload(actor);
    const job = await this.deps.uploads.get(id);
    if (!job || (job.ownerId !== actor.userId && !isAdmin(actor))) throw new NotFoundError('upload_not_found', 'No such upload');
    return job;
  }

  /** Every byte has arrived: packaging is queued. */
  async received(id: string): Promise<void> {
    if (await this.deps.uploads.transition(id, 'uploading', { state: 'processing', progress: 0 })) this.enqueue(id);
  }

  async list(actor: Actor): Promise<UploadView[]> {
    this.assertMayUpload(actor);
    const jobs = await this.deps.uploads.listByOwner(actor.userId, 100);
    return Promise.all(jobs.map((job) => this.view(job)));
  }

  async get(actor: Actor, id: string): Promise<UploadView> {
    return this.view(await this.owned(actor, id));
  }

  /**
   * Takes an upload off the list: one still uploading is cancelled and its file removed, a
   * failed one forgotten, and a finished one deleted with its video, unless a course has that
   * video as a lesson (409 recording_in_use, and nothing goes). One being packaged cannot be:
   * its files are in use.
   */
  async dismiss(actor: Actor, id: string): Promise<void> {
    const job = await this.owned(actor, id);
    if (job.state === 'processing') throw new ConflictError('upload_busy', 'The video is being processed; wait until it is done');
    if (job.state === 'uploading') await this.deps.incoming.remove(id);
    // The video first: if it may not go, the upload stays on the list too.
    if (job.state === 'ready') await this.deps.removeRecording(actor, job.recordingId);
    await this.deps.uploads.remove(id);
  }

  /**
   * At boot: packaging that this node's previous run, or a node whose lease expired, left
   * unfinished is started again; an upload whose last bytes arrived just before a crash
   * (before it was marked received) is queued too.
   */
  async reconcile(aliveNodes: ReadonlySet<string>): Promise<void> {
    for (const job of await this.deps.uploads.listInState('processing')) {
      if (job.nodeId !== null && job.nodeId !== this.deps.nodeId && aliveNodes.has(job.nodeId)) continue;
      this.deps.logger.warn({ uploadId: job.id, attempts: job.attempts }, 'packaging an upload again after a stop');
      this.enqueue(job.id);
    }
    for (const job of await this.deps.uploads.listInState('uploading')) {
      if ((await this.deps.incoming.receivedBytes(job.id)) === job.sizeBytes) await this.received(job.id);
    }
  }

  /**
   * Gives up uploads that this node holds the file of and that received no byte for
   * abandonedAfterMs: the file goes, and the line stays failed with upload_expired, so the
   * lecturer sees why. The job moves first: bytes that arrive meanwhile find no upload.
   */
  async expireAbandoned(now = new Date()): Promise<string[]> {
    const expired: string[] = [];
    for (const job of await this.deps.uploads.listInState('uploading')) {
      const last = await this.deps.incoming.lastWrite(job.id);
      // Another node's upload (its files lie there), or one cancelled meanwhile.
      if (!last) continue;
      const idle = now.getTime() - Math.max(last.getTime(), job.createdAt.getTime());
      if (idle < this.deps.abandonedAfterMs) continue;
      if (!(await this.deps.uploads.transition(job.id, 'uploading', { state: 'failed', errorCode: 'upload_expired', progress: 0 })))
        continue;
      await this.deps.incoming.remove(job.id);
      this.deps.logger.info({ uploadId: job.id, idleSeconds: Math.round(idle / 1000) }, 'abandoned upload expired');
      expired.push(job.id);
    }
    return expired;
  }

  /** Sweeps for abandoned uploads now and then: a quarter of their age apart, at most SWEEP_MAX_MS. */
  startExpirySweep(): void {
    if (this.sweepTimer) return;
    const every = Math.min(SWEEP_MAX_MS, Math.max(1000, this.deps.abandonedAfterMs / 4));
    this.sweepTimer = setInterval(() => {
      this.expireAbandoned().catch((err: unknown) => this.deps.logger.error({ err }, 'sweeping abandoned uploads failed; will retry'));
    }, every);
    this.sweepTimer.unref();
  }

  /** Stops the packaging under way (its job stays processing, for the next boot) and waits for the queue. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.stopping.abort();
    await this.queue;
  }

  /** Resolves once everything queued so far is done: for tests. */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(id: string): void {
    this.queue = this.queue.then(() =>
      this.stopping.signal.aborted
        ? undefined
        : this.process(id).catch((err: unknown) => this.deps.logger.error({ err, uploadId: id }, 'packaging an upload failed')),
    );
  }

  private async view(job: UploadJob): Promise<UploadView> {
    const received = job.state === 'uploading' ? ((await this.deps.incoming.receivedBytes(job.id)) ?? 0) : job.sizeBytes;
    return {
      id: job.id,
      fileName: job.fileName,
      sizeBytes: job.sizeBytes,
      receivedBytes: received,
      state: job.state,
      progress: job.state === 'ready' ? 1 : job.progress,
      errorCode: job.errorCode,
      recordingId: job.state === 'ready' ? job.recordingId : null,
      createdAt: job.createdAt.toISOString(),
    };
  }

  private dirs(job: UploadJob) {
    const root = path.join(this.deps.recordingsDir, UPLOADS);
    return { root, final: path.join(root, job.recordingId), partial: path.join(root, `.partial-${job.recordingId}`) };
  }

  private async process(id: string): Promise<void> {
    const job = await this.deps.uploads.get(id);
    if (!job || job.state !== 'processing') return;
    const log = this.deps.logger.child({ uploadId: id, recordingId: job.recordingId });
    const dirs = this.dirs(job);
    // The crash came after the recording was made: only the bookkeeping is left.
    if (await this.deps.recordings.get(job.recordingId)) return this.succeed(job);
    if (job.attempts >= (this.deps.maxAttempts ?? 3)) return this.fail(job, 'upload_packaging_failed', 'gave up after repeated attempts');
    await this.deps.uploads.update(id, { attempts: job.attempts + 1, nodeId: this.deps.nodeId, progress: 0 });

    const input = this.deps.incoming.path(id);
    const probed = await this.deps.probe(input);
    if (!probed.ok) return this.fail(job, probed.reason, 'not a video Lectern can package');

    await rm(dirs.partial, { recursive: true, force: true });
    await rm(dirs.final, { recursive: true, force: true });
    await mkdir(dirs.partial, { recursive: true });
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const onProgress = (fraction: number) => {
      const now = Date.now();
      if (now - lastWrite < PROGRESS_WRITE_MS) return;
      lastWrite = now;
      writing = this.deps.uploads.update(id, { progress: Math.round(fraction * 1000) / 1000 }).catch(() => undefined);
    };
    log.info({ video: probed.probe.video.codec, audio: probed.probe.audio?.codec ?? null }, 'packaging an upload');
    try {
      await this.deps.packageHls(input, dirs.partial, probed.probe, onProgress, this.stopping.signal);
    } catch (err) {
      await writing;
      // Stopped by a shutdown: the job stays processing and is packaged again at the next boot.
      if (this.stopping.signal.aborted) return;
      log.error({ err }, 'ffmpeg could not package an upload');
      return this.fail(job, 'upload_packaging_failed', 'ffmpeg failed');
    }
    await writing;
    const summary = await this.deps.summarize(dirs.partial);
    if (summary.segments === 0) return this.fail(job, 'upload_packaging_failed', 'no segments came out');
    // A file cut short (its index whole, the media not) says it is longer than what could be read.
    const expected = probed.probe.durationSeconds;
    if (summary.durationSeconds < expected - Math.max(1, expected * 0.05))
      return this.fail(job, 'upload_truncated', `${summary.durationSeconds} s of ${expected} s could be read`);
    const hasPoster = await this.deps.makePoster(dirs.partial).catch(() => false);
    // One rename: the recording's directory appears complete or not at all.
    await rename(dirs.partial, dirs.final);
    const recording = await this.deps.recordings.createReady({
      id: job.recordingId,
      origin: 'upload',
      uploaderId: job.ownerId,
      dir: `${UPLOADS}/${job.recordingId}`,
      startedAt: job.createdAt,
      endedAt: new Date(),
      durationSeconds: summary.durationSeconds,
      segments: summary.segments,
      videoCodec: 'video/H264',
      hasPoster,
    });
    log.info({ durationSeconds: summary.durationSeconds, segments: summary.segments }, 'upload packaged');
    await this.succeed(job);
    await this.deps.onReady?.(recording);
  }

  private async succeed(job: UploadJob): Promise<void> {
    await this.deps.uploads.update(job.id, { state: 'ready', progress: 1, nodeId: null, errorCode: null });
    await this.deps.incoming.remove(job.id);
  }

  /** Nothing of a failed upload stays but its line in the list, with the reason. */
  private async fail(job: UploadJob, code: string, why: string): Promise<void> {
    this.deps.logger.warn({ uploadId: job.id, code, why }, 'upload refused');
    const dirs = this.dirs(job);
    await rm(dirs.partial, { recursive: true, force: true });
    await rm(dirs.final, { recursive: true, force: true });
    await this.deps.incoming.remove(job.id);
    await this.deps.uploads.update(job.id, { state: 'failed', errorCode: code, progress: 0, nodeId: null });
  }
}
