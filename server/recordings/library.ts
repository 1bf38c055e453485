import { randomBytes } from 'node:crypto';
import { rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../accounts/grants';
import { has, isAdmin } from '../accounts/grants';
import type { Course, CourseRepository } from '../courses/model';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { Logger } from '../logger';
import type { RecordingView, TrimRecordingBody } from '../protocol';
import type { Seminar, SeminarRepository } from '../seminars/model';
import type { Recording, RecordingRepository, RecordingTrim } from './model';
import type { MediaUrlSigner } from './signing';

/** What the library needs of media/ (injected: the domain does not run ffmpeg itself). */
export interface RecordingFiles {
  /** Writes the replay playlist of a cut; null when it would keep nothing. */
  cut(
    dir: string,
    range: { startSeconds: number; endSeconds: number | null },
  ): Promise<{ startSeconds: number; endSeconds: number; durationSeconds: number; totalSeconds: number; whole: boolean } | null>;
  /** Removes the replay playlists and MP4s of other cuts than this one. */
  prune(dir: string, trim: RecordingTrim | null): Promise<void>;
  replayPlaylist(trim: RecordingTrim | null): string;
  downloadFile(trim: RecordingTrim | null): string;
  /** One MP4 of the playlist, copied without transcoding, written whole or not at all. */
  remux(playlist: string, output: string): Promise<void>;
}

export interface RecordingLibraryDeps {
  recordings: RecordingRepository;
  seminars: SeminarRepository;
  courses: CourseRepository;
  /** Signs playback addresses (the poster). */
  mediaSigner: MediaUrlSigner;
  /** Signs download links: a secret of their own, so a playback address never opens a download. */
  downloadSigner: MediaUrlSigner;
  recordingsDir: string;
  files: RecordingFiles;
  logger: Logger;
}

/** A lecturer's seminars are read up to this many to list their recordings. */
const MAX_SEMINARS_LISTED = 2000;

/**
 * The workspace's recordings: their lecturers (admins: all of them) rename, cut, delete and
 * download them. Only finished recordings are changed; one being written is left alone.
 */
export class RecordingLibrary {
  /** MP4s being made, by recording and cut: requests that arrive together wait for one ffmpeg. */
  private readonly building = new Map<string, Promise<void>>();
  /** Cuts and deletions of one recording, one at a time: two cuts at once could prune each other's playlist. */
  private readonly changes = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: RecordingLibraryDeps) {}

  async list(
    actor: Actor,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: RecordingView[]; nextCursor: string | null }> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!isAdmin(actor) && !has(actor, 'seminars:manage')) throw new ForbiddenError();
    const scope = isAdmin(actor) ? 'all' : (await this.seminarsOf(actor.userId)).map((s) => s.id);
    const result = await this.deps.recordings.list(scope, page.limit, page.cursor);
    const seminarIds = [...new Set(result.items.flatMap((r) => (r.seminarId === null ? [] : [r.seminarId])))];
    const seminars = new Map((await this.deps.seminars.listByIds(seminarIds)).map((s) => [s.id, s]));
    const items: RecordingView[] = [];
    for (const r of result.items) items.push(await this.view(r, (r.seminarId !== null ? seminars.get(r.seminarId) : undefined) ?? null));
    return { items, nextCursor: result.nextCursor };
  }

  async get(actor: Actor, id: string): Promise<RecordingView> {
    const { recording, seminar } = await this.managed(actor, id);
    return this.view(recording, seminar);
  }

  async rename(actor: Actor, id: string, title: string): Promise<RecordingView> {
    const { recording, seminar } = await this.managed(actor, id);
    const updated = await this.deps.recordings.update(recording.id, { title: title === '' ? null : title });
    if (!updated) throw new NotFoundError('recording_not_found', 'No such recording');
    return this.view(updated, seminar);
  }

  /**
   * Cuts the replay to [start, end] of the recording, each point moved to the nearest segment
   * boundary; [0, null] undoes the cut. The replay's length (playback, course lessons, hence
   * completion) follows; MP4s of an earlier cut are removed.
   */
  trim(actor: Actor, id: string, body: TrimRecordingBody): Promise<RecordingView> {
    return this.serial(id, () => this.trimNow(actor, id, body));
  }

  private async trimNow(actor: Actor, id: string, body: TrimRecordingBody): Promise<RecordingView> {
    const { recording, seminar } = await this.managed(actor, id);
    this.assertReady(recording);
    const total = recording.trim?.totalSeconds ?? recording.durationSeconds ?? 0;
    if (body.startSeconds >= total || (body.endSeconds !== null && body.endSeconds > total + 0.001))
      throw new BadRequestError('trim_out_of_range', `The recording is ${total} s long`);
    const dir = this.absoluteDir(recording);
    const cut = await this.deps.files.cut(dir, body);
    if (!cut) throw new BadRequestError('trim_empty', 'The cut keeps no segment of the recording');
    const trim = cut.whole ? null : { startSeconds: cut.startSeconds, endSeconds: cut.endSeconds, totalSeconds: cut.totalSeconds };
    const updated = await this.deps.recordings.update(recording.id, { trim, durationSeconds: cut.durationSeconds });
    if (!updated) throw new NotFoundError('recording_not_found', 'No such recording');
    await this.deps.files.prune(dir, trim);
    if (recording.seminarId) await this.deps.courses.setRecordingDuration(recording.seminarId, cut.durationSeconds);
    this.deps.logger.info({ recordingId: id, trim, durationSeconds: cut.durationSeconds }, 'recording cut');
    return this.view(updated, seminar);
  }

  /**
   * Deletes the recording and its files. Refused while it is being written, and while a
   * published course has a lesson that plays it (unpublish or change the course first); the
   * lessons of unpublished courses that play a seminar's recording are taken out of them.
   * An uploaded video is refused while any course has it as a lesson: it was put there by
   * hand, and only the course's lecturer should take it out.
   */
  remove(actor: Actor, id: string): Promise<void> {
    return this.serial(id, () => this.removeNow(actor, id));
  }

  private async removeNow(actor: Actor, id: string): Promise<void> {
    const { recording } = await this.managed(actor, id);
    if (recording.status === 'recording') throw new ConflictError('recording_in_progress', 'The recording is still being written');
    const [usedBy] = recording.origin === 'upload' ? await this.deps.courses.withRecording(recording.id) : [];
    if (usedBy) throw new ConflictError('recording_in_use', `It is a lesson of the course "${usedBy.title}" (${usedBy.id})`);
    const courses = recording.seminarId ? await this.deps.courses.withSeminar(recording.seminarId) : [];
    const published = courses.find((c) => c.published);
    if (published) throw new ConflictError('recording_in_published_course', `It is a lesson of the published course "${published.title}"`);

    // Moved aside first (one rename), so the record and its files go together: if the record
    // cannot be removed, the files come back.
    const dir = this.absoluteDir(recording);
    const trash = path.join(this.deps.recordingsDir, `.deleting-${recording.id}-${randomBytes(4).toString('hex')}`);
    const moved = await rename(dir, trash).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    try {
      await this.deps.recordings.remove(recording.id);
    } catch (err) {
      if (moved) await rename(trash, dir).catch(() => undefined);
      throw err;
    }
    // Its lessons in unpublished courses go once the recording is gone (not before: a refusal leaves them be).
    if (recording.seminarId !== null) for (const course of courses) await this.detach(course, recording.seminarId);
    if (moved) {
      await rm(trash, { recursive: true, force: true }).catch((err: unknown) =>
        this.deps.logger.error({ err, recordingId: id, trash }, 'could not remove the files of a deleted recording'),
      );
    }
    // The seminar's folder, once it holds no recording.
    await rmdir(path.dirname(dir)).catch(() => undefined);
    this.deps.logger.info({ recordingId: id, seminarId: recording.seminarId, detachedFrom: courses.map((c) => c.id) }, 'recording deleted');
  }

  /** A signed, expiring address of the recording's MP4 (the replay as cut). */
  async downloadLink(actor: Actor, id: string): Promise<{ url: string; expiresAt: string; fileName: string }> {
    const { recording, seminar } = await this.managed(actor, id);
    this.assertReady(recording);
    const { exp, sig, expiresAt } = this.deps.downloadSigner.token(recording.id);
    return {
      url: `/api/v1/recordings/${recording.id}/download.mp4?exp=${exp}&sig=${sig}`,
      expiresAt: expiresAt.toISOString(),
      fileName: fileNameOf(recording, seminar),
    };
  }

  /**
   * The MP4 for a signed download link: made from the replay's playlist on the first request
   * (requests that arrive meanwhile wait for the same ffmpeg), then kept beside the recording
   * until the recording is cut again or deleted.
   */
  async download(id: string, exp: string, sig: string): Promise<{ file: string; fileName: string }> {
    if (!this.deps.downloadSigner.verify(id, exp, sig))
      throw new ForbiddenError('bad_signature', 'The download link is invalid or has expired');
    const recording = await this.deps.recordings.get(id);
    if (!recording) throw new NotFoundError('recording_not_found', 'No such recording');
    this.assertReady(recording);
    const dir = this.absoluteDir(recording);
    const file = path.join(dir, this.deps.files.downloadFile(recording.trim));
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (!exists) await this.build(recording, dir, file);
    const seminar = recording.seminarId ? await this.deps.seminars.get(recording.seminarId) : null;
    return { file, fileName: fileNameOf(recording, seminar) };
  }

  private async build(recording: Recording, dir: string, file: string): Promise<void> {
    let pending = this.building.get(file);
    if (!pending) {
      const started = Date.now();
      pending = this.deps.files.remux(path.join(dir, this.deps.files.replayPlaylist(recording.trim)), file).then(
        () => this.deps.logger.info({ recordingId: recording.id, file, ms: Date.now() - started }, 'recording MP4 made'),
        (err: unknown) => {
          this.deps.logger.error({ err, recordingId: recording.id }, 'could not make the recording MP4');
          throw err;
        },
      );
      this.building.set(file, pending);
      void pending.finally(() => this.building.delete(file)).catch(() => undefined);
    }
    await pending;
    // Cut (or deleted) while it was being made: that MP4 is not the replay any more.
    const now = await this.deps.recordings.get(recording.id);
    if (!now || this.deps.files.downloadFile(now.trim) !== path.basename(file)) {
      await rm(file, { force: true });
      throw new ConflictError('recording_changed', 'The recording changed while its MP4 was made; ask for the download again');
    }
  }

  private serial<T>(id: string, op: () => Promise<T>): Promise<T> {
    const next = (this.changes.get(id) ?? Promise.resolve()).then(op, op);
    const tail = next.catch(() => undefined);
    this.changes.set(id, tail);
    void tail.then(() => {
      if (this.changes.get(id) === tail) this.changes.delete(id);
    });
    return next;
  }

  private async detach(stale: Course, seminarId: string): Promise<void> {
    // Read again: the course builder may have changed it meanwhile.
    const course = await this.deps.courses.get(stale.id);
    if (!course) return;
    const modules = course.modules.map((m) => ({
      ...m,
      lessons: m.lessons.filter((l) => !(l.kind === 'recording' && l.seminarId === seminarId)),
    }));
    await this.deps.courses.update(course.id, { modules });
  }

  private assertReady(recording: Recording): void {
    if (recording.status !== 'ready') throw new ConflictError('recording_not_ready', `The recording is ${recording.status}, not finished`);
  }

  private absoluteDir(recording: Recording): string {
    const dir = path.resolve(this.deps.recordingsDir, recording.dir);
    if (!dir.startsWith(path.resolve(this.deps.recordingsDir) + path.sep))
      throw new Error(`recording ${recording.id} lies outside the recordings directory`);
    return dir;
  }

  /** The recording, if the actor may change it (its seminar's lecturers, an upload's uploader, admins); else 403/404. */
  async managed(actor: Actor, id: string): Promise<{ recording: Recording; seminar: Seminar | null }> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const recording = await this.deps.recordings.get(id);
    if (!recording) throw new NotFoundError('recording_not_found', 'No such recording');
    const seminar = recording.seminarId ? await this.deps.seminars.get(recording.seminarId) : null;
    if (isAdmin(actor)) return { recording, seminar };
    const own = recording.origin === 'upload' ? recording.uploaderId === actor.userId : !!seminar?.lecturerIds.includes(actor.userId);
    if (!has(actor, 'seminars:manage') || !own)
      throw new ForbiddenError('not_own_recording', 'Only the seminar’s lecturers (an upload: its uploader) or an admin may do this');
    return { recording, seminar };
  }

  private async seminarsOf(userId: string): Promise<Seminar[]> {
    const out: Seminar[] = [];
    let cursor: string | undefined;
    do {
      // Every status: a recording outlives what happens to its seminar afterwards.
      const page = await this.deps.seminars.list(
        { statuses: ['draft', 'scheduled', 'live', 'ended', 'cancelled'], draftsOf: userId, lecturerOf: userId, newestFirst: true },
        100,
        cursor,
      );
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < MAX_SEMINARS_LISTED);
    return out;
  }

  private async view(r: Recording, seminar: Seminar | null): Promise<RecordingView> {
    const courses = r.seminarId
      ? await this.deps.courses.withSeminar(r.seminarId)
      : r.origin === 'upload'
        ? await this.deps.courses.withRecording(r.id)
        : [];
    return {
      id: r.id,
      seminarId: r.seminarId || null,
      seminarTitle: seminar?.title ?? null,
      title: r.title ?? seminar?.title ?? '',
      customTitle: r.title,
      status: r.status,
      startedAt: r.startedAt.toISOString(),
      durationSeconds: r.durationSeconds,
      totalSeconds: r.trim?.totalSeconds ?? r.durationSeconds,
      trim: r.trim ? { startSeconds: r.trim.startSeconds, endSeconds: r.trim.endSeconds } : null,
      posterUrl: r.hasPoster ? `${this.deps.mediaSigner.sign(r.id).prefix}/poster.jpg` : null,
      courses: courses.map((c) => ({ id: c.id, title: c.title, published: c.published })),
      subtitles: r.subtitles.map((t) => ({
        language: t.language,
        cueCount: t.cueCount,
        sourceFormat: t.sourceFormat,
        sourceEncoding: t.sourceEncoding,
        uploadedAt: t.uploadedAt.toISOString(),
      })),
    };
  }
}

/** A file name for the download: the title, without what file systems refuse. */
function fileNameOf(recording: Recording, seminar: Seminar | null): string {
  const base = (recording.title ?? seminar?.title ?? 'recording')
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_')
    .trim()
    .slice(0, 120);
  return `${base || 'recording'}.mp4`;
}
