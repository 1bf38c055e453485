import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Actor } from '../accounts/grants';
import { has, isAdmin } from '../accounts/grants';
import type { CourseRepository, EnrolmentRepository } from '../courses/model';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { LiveRepository } from '../live/model';
import type { PollResult } from '../protocol/polls';
import { chatView, questionView } from '../live/service';
import type { Logger } from '../logger';
import type { RegistrationRepository, Seminar, SeminarRepository } from '../seminars/model';
import type { Recording, RecordingRepository } from './model';
import { ReplayClock, type Timeline } from './replay-clock';
import type { MediaUrlSigner } from './signing';
import type { SlideMoment } from '../slides/service';

export interface FinishedFiles {
  durationSeconds: number;
  segments: number;
  discontinuities: number;
}

export interface RecordingDeps {
  recordings: RecordingRepository;
  seminars: SeminarRepository;
  registrations: RegistrationRepository;
  courses: CourseRepository;
  enrolments: EnrolmentRepository;
  live: LiveRepository;
  /** The seminar's closed polls with their results: on the timeline, as chapters and with their bars. */
  polls: { results(seminarId: string, which: 'closed'): Promise<PollResult[]> };
  /** The seminar's slide changes: the replay shows them in step and lists their titles as chapters. */
  slides: { moments(seminarId: string): Promise<SlideMoment[]>; imageUrl(deckId: string, page: number): string };
  signer: MediaUrlSigner;
  recordingsDir: string;
  /** This process's node id: recordings it begins are its own until they are completed. */
  nodeId: string;
  /** Closes a playlist that a crash left open (ENDLIST), and reports what it holds. */
  finalizeFiles(dir: string): Promise<FinishedFiles>;
  /** Writes poster.jpg from the recording; false when it has no picture. */
  makePoster(dir: string): Promise<boolean>;
  logger: Logger;
  /** A recording became playable (webhooks). */
  onReady?(recording: Recording): Promise<void>;
  /** What the player loads: the replay's playlist, or one that adds the recording's subtitle tracks (server/subtitles). */
  subtitles: {
    playback(
      recording: Recording,
      prefix: string,
    ): { playlistUrl: string; subtitles: Array<{ language: 'ru' | 'en'; transcriptUrl: string }> };
  };
}

/**
 * Recordings from start to lesson: a record per live session, completion into
 * a course lesson (or a draft for staff), who may play it back, and repair of
 * what a crash left half-done.
 */
/** The newest chat messages that playback shows along the timeline. */
export const PLAYBACK_CHAT_LIMIT = 1000;
/** How long one load of a seminar's playback timeline serves every viewer. */
export const PLAYBACK_TIMELINE_TTL_MS = 5000;

export class RecordingService {
  private readonly timelines = new LRUCache<string, Promise<Timeline>>({
    max: 1000,
    ttl: PLAYBACK_TIMELINE_TTL_MS,
  });

  constructor(private readonly deps: RecordingDeps) {}

  async begin(seminar: Seminar, videoCodec: string | null): Promise<Recording> {
    const existing = await this.deps.recordings.current(seminar.id);
    if (existing) return existing;
    const id = randomBytes(12).toString('hex');
    const now = new Date();
    return this.deps.recordings.create({
      id,
      seminarId: seminar.id,
      dir: `${seminar.id}/${id}`,
      startedAt: now,
      // What its recorder counts from (controller.ts): the replay places chat and slides by it.
      timelineOrigin: seminar.liveStartedAt ?? now,
      videoCodec,
      nodeId: this.deps.nodeId,
    });
  }

  absoluteDir(recording: Pick<Recording, 'dir'>): string {
    return path.join(this.deps.recordingsDir, recording.dir);
  }

  async addScreen(recording: Recording, name: string, offsetMs: number): Promise<void> {
    await this.deps.recordings.addScreen(recording.id, { name, offsetMs });
  }

  /** Makes a finished recording playable and turns it into a lesson. */
  async complete(recordingId: string): Promise<Recording> {
    const recording = await this.deps.recordings.get(recordingId);
    if (!recording) throw new NotFoundError('recording_not_found', 'No such recording');
    if (recording.status === 'ready') return recording;
    const dir = this.absoluteDir(recording);
    const files = await this.deps.finalizeFiles(dir);
    // A seminar ended before its recorder wrote a segment (ended within seconds of going live,
    // or its media never came) has nothing to play: it fails, and no course gets a lesson that
    // cannot be played.
    const playable = files.segments > 0;
    const hasPoster = playable && (await this.deps.makePoster(dir).catch(() => false));
    // Only a seminar's recording is ever unfinished: an upload is created ready.
    const lessonId = playable && recording.seminarId ? await this.attachLesson(recording.seminarId, files.durationSeconds) : null;
    // A timeline cached while the seminar was live lacks its last seconds (a question answered
    // just before the end): the replay's first viewers get it whole. Another node's copy of it
    // still lives out its few seconds. Before the status turns ready, not after: a playback that
    // sees it ready then finds no stale entry.
    if (recording.seminarId) this.timelines.delete(recording.seminarId);
    const done = await this.deps.recordings.update(recording.id, {
      status: playable ? 'ready' : 'failed',
      endedAt: recording.endedAt ?? new Date(),
      ...files,
      hasPoster,
      lessonId,
    });
    const log = { recordingId, seminarId: recording.seminarId, ...files, lessonId };
    if (playable) this.deps.logger.info(log, 'recording ready');
    else this.deps.logger.warn(log, 'recording failed: it has no segment');
    if (done?.status === 'ready') await this.deps.onReady?.(done);
    return done!;
  }

  /**
   * At boot, after a crash: recordings that no living node writes are finalized
   * and become lessons, and seminars left live with no living node recording
   * them are ended — nothing stays "live" or unplayable. What another node
   * still holds (its lease is current) is left alone. `aliveNodes` must not
   * hold this node: whatever its previous run held died with it.
   */
  async reconcile(aliveNodes: ReadonlySet<string>): Promise<void> {
    const heldElsewhere = (r: Recording) => r.nodeId !== null && r.nodeId !== this.deps.nodeId && aliveNodes.has(r.nodeId);
    for (const recording of await this.deps.recordings.listUnfinished()) {
      if (heldElsewhere(recording)) continue;
      await this.complete(recording.id).catch((err: unknown) =>
        this.deps.logger.error({ err, recordingId: recording.id }, 'could not finalize a recording'),
      );
    }
    for (const seminar of await this.deps.seminars.listActive()) {
      // An encore records nothing: it is the encore scheduler's to end (seminars/encores.ts).
      if (seminar.status !== 'live' || seminar.encoreOf) continue;
      const current = await this.deps.recordings.current(seminar.id);
      if (current && heldElsewhere(current)) continue;
      await this.deps.seminars.transition(seminar.id, ['live'], 'ended', new Date());
      this.deps.logger.warn({ seminarId: seminar.id }, 'ended a seminar that a stopped node left live');
    }
  }

  /** A signed playback for the seminar's recording: live (EVENT, still growing) or finished. */
  async playback(actor: Actor, seminarId: string) {
    const seminar = await this.deps.seminars.get(seminarId);
    if (!seminar) throw new NotFoundError('seminar_not_found', 'No such seminar');
    await this.assertMayWatch(actor, seminar);
    // An encore plays its source's recording, with the source's chat, questions and slides on its timeline.
    const source = seminar.encoreOf ? await this.encoreSource(seminar) : seminar;
    const recording =
      (seminar.encoreOf ? null : await this.deps.recordings.current(seminarId)) ?? (await this.deps.recordings.latestReady(source.id));
    if (!recording) throw new NotFoundError('recording_not_found', 'This seminar has no recording yet');
    const { prefix, expiresAt } = this.deps.signer.sign(recording.id);
    // A finished recording plays as its lecturer cut it, and the timeline is that of what plays.
    const clock = ReplayClock.of(recording, source.liveStartedAt);
    const timeline = clock.place(await this.timeline(source.id));
    const media = this.deps.subtitles.playback(recording, prefix);
    return {
      recordingId: recording.id,
      seminarId,
      title: recording.title ?? seminar.title,
      live: recording.status === 'recording',
      playlistUrl: media.playlistUrl,
      subtitles: media.subtitles,
      posterUrl: recording.hasPoster ? `${prefix}/poster.jpg` : null,
      screens: recording.screens.map((s) => ({
        offsetMs: clock.fromRecording(s.offsetMs),
        playlistUrl: `${prefix}/${s.name}/index.m3u8`,
      })),
      expiresAt: expiresAt.toISOString(),
      durationSeconds: recording.durationSeconds,
      ...timeline,
      slides: timeline.slides.map((m) => ({ ...m, imageUrl: this.deps.slides.imageUrl(m.deckId, m.page) })),
    };
  }

  /** The seminar an encore repeats; refused until the encore is on air, so that nobody watches it ahead. */
  private async encoreSource(encore: Seminar): Promise<Seminar> {
    if (encore.status === 'draft' || encore.status === 'scheduled') {
      throw new ConflictError('encore_not_started', 'The encore has not started yet');
    }
    const source = await this.deps.seminars.get(encore.encoreOf!);
    if (!source) throw new NotFoundError('recording_not_found', 'The repeated seminar is gone');
    return source;
  }

  /**
   * A seminar's chat, questions and chapters as playback shows them: the same for every
   * viewer, so loaded once per seminar per few seconds (and once for requests that arrive
   * together) instead of on every anonymous call.
   */
  private timeline(seminarId: string): Promise<Timeline> {
    let pending = this.timelines.get(seminarId);
    if (!pending) {
      pending = this.loadTimeline(seminarId);
      this.timelines.set(seminarId, pending);
      pending.catch(() => this.timelines.delete(seminarId));
    }
    return pending;
  }

  private async loadTimeline(seminarId: string): Promise<Timeline> {
    const [questions, markers, chat, polls, slides] = await Promise.all([
      this.deps.live.questions(seminarId),
      this.deps.live.markers(seminarId),
      this.deps.live.recentChat(seminarId, PLAYBACK_CHAT_LIMIT),
      this.deps.polls.results(seminarId, 'closed'),
      this.deps.slides.moments(seminarId),
    ]);
    const chapters = [
      ...questions
        .filter((q) => q.answeringOffsetMs !== null)
        .map((q) => ({ offsetMs: q.answeringOffsetMs!, title: q.text, kind: 'question' as const })),
      ...markers.map((m) => ({ offsetMs: m.offsetMs, title: m.label, kind: 'marker' as const })),
      ...polls.map((p) => ({ offsetMs: p.openedOffsetMs, title: p.question, kind: 'poll' as const })),
      ...slideChapters(slides),
    ].sort((a, b) => a.offsetMs - b.offsetMs);
    return { chapters, chat: chat.map(chatView), questions: questions.map(questionView), polls, slides };
  }

  async unattached(actor: Actor) {
    if (!isAdmin(actor) && !has(actor, 'seminars:manage')) throw new ForbiddenError();
    // A seminar's recording becomes a course's lesson by its seminar, so it keeps no lessonId (an
    // uploaded video gets one): the courses' seminars are left out in the query, not after the
    // limit, which used ones would otherwise fill.
    return this.deps.recordings.listUnattached(100, await this.deps.courses.seminarIdsUsed());
  }

  verifyMediaPath(recordingId: string, exp: string, sig: string): boolean {
    return this.deps.signer.verify(recordingId, exp, sig);
  }

  async recordingDir(recordingId: string): Promise<{ dir: string; live: boolean } | null> {
    const r = await this.deps.recordings.get(recordingId);
    return r ? { dir: this.absoluteDir(r), live: r.status === 'recording' } : null;
  }

  private async assertMayWatch(actor: Actor, seminar: Seminar): Promise<void> {
    if (isAdmin(actor)) return;
    if (actor.kind !== 'user') {
      if (seminar.isPublic && seminar.status !== 'draft') return;
      throw new UnauthorizedError('unauthorized', 'Sign in to watch');
    }
    if (seminar.lecturerIds.includes(actor.userId)) return;
    if (seminar.status === 'draft' || seminar.status === 'cancelled') throw new NotFoundError('seminar_not_found', 'No such seminar');
    // Banned from the room is banned from its stream and recording too (a lecturer cannot be banned).
    if (await this.deps.live.isBanned(seminar.id, actor.userId)) throw new ForbiddenError('banned', 'You were removed from this seminar');
    if (seminar.isPublic) return;
    if ((await this.deps.registrations.find(seminar.id, actor.userId))?.status === 'registered') return;
    // A learner of a published course that holds the recording.
    for (const courseId of await this.deps.enrolments.courseIdsFor(actor.userId)) {
      const course = await this.deps.courses.get(courseId);
      if (course?.published && course.modules.some((m) => m.lessons.some((l) => l.seminarId === seminar.id))) return;
    }
    throw new ForbiddenError('not_allowed_to_watch', 'Register for the seminar or enrol in its course to watch');
  }

  /** Adds the recording to the seminar's course (a module "Записи семинаров" at the end), or leaves it a draft. */
  private async attachLesson(seminarId: string, durationSeconds: number): Promise<string | null> {
    const seminar = await this.deps.seminars.get(seminarId);
    if (!seminar?.courseId) return null;
    const course = await this.deps.courses.get(seminar.courseId);
    if (!course) return null;
    const existing = course.modules.flatMap((m) => m.lessons).find((l) => l.seminarId === seminarId);
    if (existing) {
      await this.deps.courses.setRecordingDuration(seminarId, durationSeconds);
      return existing.id;
    }
    const lessonId = randomBytes(9).toString('base64url');
    const lesson = {
      id: lessonId,
      kind: 'recording' as const,
      title: seminar.title,
      seminarId,
      playlistPath: null,
      body: null,
      durationSeconds,
    };
    const modules = course.modules.slice();
    const last = modules[modules.length - 1];
    if (last && last.title === 'Записи семинаров') modules[modules.length - 1] = { ...last, lessons: [...last.lessons, lesson] };
    else modules.push({ id: randomBytes(9).toString('base64url'), title: 'Записи семинаров', lessons: [lesson] });
    await this.deps.courses.update(course.id, { modules });
    return lessonId;
  }
}

/** A chapter per slide shown with a title, unless the same page was shown just before (a flip back and forth). */
function slideChapters(slides: SlideMoment[]) {
  return slides
    .filter((s, i) => s.title !== '' && !(i > 0 && slides[i - 1]!.deckId === s.deckId && slides[i - 1]!.page === s.page))
    .map((s) => ({ offsetMs: s.offsetMs, title: s.title, kind: 'slide' as const }));
}
