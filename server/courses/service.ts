import { randomBytes } from 'node:crypto';
import { presenceLookup, presenceMet, type PresenceReads } from './presence-rule';
import { quizPassLookup, type QuizPassReads } from '../quizzes/completion';
import { has, isAdmin, type Actor } from '../accounts/grants';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type {
  AttachableRecordingView,
  CourseStructureBody,
  CourseStructureView,
  CourseView,
  LessonContentView,
  PageQuery,
} from '../protocol';
import { renderMarkdown } from './markdown';
import { liveSeconds, type ProgressRecord } from '../progress/model';
import type { ProgressService } from '../progress/service';
import type { Page, Seminar, SeminarRepository } from '../seminars/model';
import { contentIdOf, type Course, type CourseModule, type CourseRepository, type EnrolmentRepository, type Lesson } from './model';

export interface CourseDeps {
  courses: CourseRepository;
  enrolments: EnrolmentRepository;
  seminars: SeminarRepository;
  progress: ProgressService;
  /** The length of a seminar's finished recording, if it has one. */
  recordingDuration(seminarId: string): Promise<number | null>;
  /** Finished recordings that are no lesson: none when it ended, and no course holds its seminar; newest first. */
  unattachedRecordings(limit: number): Promise<Array<{ id: string; seminarId: string; startedAt: Date; durationSeconds: number | null }>>;
  /** Ready uploaded videos of these uploaders, newest first, each with the title a lesson of it starts with. */
  uploadsBy(
    uploaderIds: string[],
    limit: number,
  ): Promise<Array<{ id: string; title: string; startedAt: Date; durationSeconds: number | null }>>;
  /** A ready recording of an uploaded video: its uploader and length; null for anything else. */
  uploadedRecording(recordingId: string): Promise<{ uploaderId: string; durationSeconds: number | null } | null>;
  /** Marks the recording as a lesson (off the unattached list). */
  recordingAttached(recordingId: string, lessonId: string): Promise<void>;
  /** Presence checks and answers, for the course's presence rule. */
  presence: PresenceReads;
  /** Passed quizzes, for the course's quiz rule. */
  quizzes: QuizPassReads;
  /** Signed, expiring HLS links to a recording's files. */
  signVideo(recordingId: string): Promise<NonNullable<LessonContentView['video']>>;
}

/** How many unattached recordings the builder is offered at most (newest first). */
export const ATTACHABLE_LIMIT = 200;

export class CourseService {
  constructor(private readonly deps: CourseDeps) {}

  async create(
    actor: Actor,
    body: Pick<Course, 'title' | 'description' | 'track' | 'completionThreshold'> & Partial<Pick<Course, 'presenceShare' | 'quizRule'>>,
  ): Promise<CourseView> {
    if (!has(actor, 'courses:manage')) throw new ForbiddenError();
    return courseView(await this.deps.courses.create({ ...body, ownerIds: [actor.userId] }));
  }

  async get(actor: Actor, id: string): Promise<CourseView> {
    return courseView(await this.visible(actor, id));
  }

  async list(actor: Actor, page: PageQuery): Promise<Page<CourseView>> {
    const scope = isAdmin(actor) ? 'all' : has(actor, 'courses:manage') ? actor.userId : undefined;
    const result = await this.deps.courses.list(scope ? { publishedOrOwnedBy: scope } : {}, page.limit, page.cursor);
    return { items: result.items.map(courseView), nextCursor: result.nextCursor };
  }

  /** The courses the actor may edit (an admin: all), in creation order. */
  async editable(actor: Actor, page: PageQuery): Promise<Page<CourseView>> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'courses:manage')) throw new ForbiddenError();
    const result = await this.deps.courses.list(
      isAdmin(actor) ? { publishedOrOwnedBy: 'all' } : { ownedBy: actor.userId },
      page.limit,
      page.cursor,
    );
    return { items: result.items.map(courseView), nextCursor: result.nextCursor };
  }

  /** The structure as the builder edits it: text lessons' Markdown included. */
  async structure(actor: Actor, id: string): Promise<CourseStructureView> {
    const course = await this.managed(actor, id);
    return {
      courseId: course.id,
      modules: course.modules.map((m) => ({
        id: m.id,
        title: m.title,
        lessons: m.lessons.map((l) => ({
          id: l.id,
          kind: l.kind,
          title: l.title,
          seminarId: l.seminarId,
          playlistPath: l.playlistPath,
          recordingId: l.recordingId ?? null,
          body: l.body,
          durationSeconds: l.durationSeconds,
        })),
      })),
    };
  }

  /**
   * Finished recordings that are a lesson of no course yet and that this course may use
   * (the rule of setStructure): seminars' recordings, one per seminar, and the videos the
   * course's owners uploaded; newest first.
   */
  async attachableRecordings(actor: Actor, id: string): Promise<AttachableRecordingView[]> {
    const course = await this.managed(actor, id);
    const [seminars, uploads] = await Promise.all([this.attachableSeminars(course), this.attachableUploads(course)]);
    return [...seminars, ...uploads].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Uploads of the course's owners that no course holds yet (an admin may attach anyone's, but is offered the owners'). */
  private async attachableUploads(course: Course): Promise<AttachableRecordingView[]> {
    const uploads = await this.deps.uploadsBy(course.ownerIds, ATTACHABLE_LIMIT);
    const inCourses = await this.deps.courses.recordingIdsInCourses(uploads.map((u) => u.id));
    return uploads
      .filter((u) => !inCourses.has(u.id))
      .map((u) => ({
        kind: 'upload' as const,
        recordingId: u.id,
        seminarId: null,
        title: u.title,
        startedAt: u.startedAt.toISOString(),
        durationSeconds: u.durationSeconds,
      }));
  }

  private async attachableSeminars(course: Course): Promise<AttachableRecordingView[]> {
    const recordings = await this.deps.unattachedRecordings(ATTACHABLE_LIMIT);
    const seminars = await this.deps.seminars.listByIds([...new Set(recordings.map((r) => r.seminarId))]);
    const byId = new Map(seminars.map((s) => [s.id, s]));
    const seen = new Set<string>();
    const out: AttachableRecordingView[] = [];
    for (const r of recordings) {
      const seminar = byId.get(r.seminarId);
      if (seen.has(r.seminarId) || !usableIn(course, seminar)) continue;
      seen.add(r.seminarId);
      out.push({
        kind: 'seminar',
        recordingId: r.id,
        seminarId: r.seminarId,
        title: seminar!.title,
        startedAt: r.startedAt.toISOString(),
        durationSeconds: r.durationSeconds,
      });
    }
    return out;
  }

  /** A text lesson's Markdown as its learners will see it, for the builder's preview. */
  async previewMarkdown(actor: Actor, id: string, body: { title: string; body: string }): Promise<{ html: string }> {
    await this.managed(actor, id);
    return { html: renderMarkdown(body.body, body.title) };
  }

  async update(
    actor: Actor,
    id: string,
    changes: Partial<Pick<Course, 'title' | 'description' | 'track' | 'completionThreshold' | 'presenceShare' | 'quizRule'>>,
  ): Promise<CourseView> {
    await this.managed(actor, id);
    return courseView((await this.deps.courses.update(id, changes))!);
  }

  async setPublished(actor: Actor, id: string, published: boolean): Promise<CourseView> {
    const course = await this.managed(actor, id);
    if (published && course.modules.every((m) => m.lessons.length === 0)) {
      throw new ConflictError('course_empty', 'A course needs at least one lesson to be published');
    }
    return courseView((await this.deps.courses.update(id, { published }))!);
  }

  /**
   * Replaces the ordered modules and lessons. Lessons keep their ids (and so
   * their learners' progress); ids unknown to this course are refused.
   */
  async setStructure(actor: Actor, id: string, body: CourseStructureBody): Promise<CourseView> {
    const course = await this.managed(actor, id);
    const knownModules = new Set(course.modules.map((m) => m.id));
    const knownLessons = new Map(course.modules.flatMap((m) => m.lessons).map((l) => [l.id, l]));
    const seen = new Set<string>();
    const modules: CourseModule[] = [];
    for (const m of body.modules) {
      if (m.id && !knownModules.has(m.id)) throw new BadRequestError('unknown_module', `Module ${m.id} is not part of this course`);
      const lessons: Lesson[] = [];
      for (const l of m.lessons) {
        if (l.id && !knownLessons.has(l.id)) throw new BadRequestError('unknown_lesson', `Lesson ${l.id} is not part of this course`);
        const lessonId = l.id ?? newId();
        if (seen.has(lessonId)) throw new BadRequestError('duplicate_lesson', `Lesson ${lessonId} appears twice`);
        seen.add(lessonId);
        if (l.kind === 'recording') {
          const seminar = await this.deps.seminars.get(l.seminarId);
          if (!usableIn(course, seminar))
            throw new BadRequestError('seminar_not_found', `No seminar ${l.seminarId} that this course may use`);
          lessons.push({
            id: lessonId,
            kind: 'recording',
            title: l.title,
            seminarId: l.seminarId,
            playlistPath: null,
            body: null,
            // A recording finished before it became a lesson has its length already; one still to
            // come gets it when it is finalized (setRecordingDuration).
            durationSeconds: knownLessons.get(lessonId)?.durationSeconds ?? (await this.deps.recordingDuration(l.seminarId)),
          });
        } else if (l.kind === 'upload') {
          const recording = await this.deps.uploadedRecording(l.recordingId);
          // The uploader's own video, in a course they own (an admin may use anyone's).
          if (!recording || !(isAdmin(actor) || course.ownerIds.includes(recording.uploaderId)))
            throw new BadRequestError('recording_not_found', `No uploaded recording ${l.recordingId} that this course may use`);
          lessons.push({
            id: lessonId,
            kind: 'upload',
            title: l.title,
            seminarId: null,
            recordingId: l.recordingId,
            playlistPath: null,
            body: null,
            durationSeconds: recording.durationSeconds,
          });
        } else if (l.kind === 'hls') {
          lessons.push({
            id: lessonId,
            kind: 'hls',
            title: l.title,
            seminarId: null,
            playlistPath: l.playlistPath,
            body: null,
            durationSeconds: l.durationSeconds,
          });
        } else if (l.kind === 'quiz') {
          // Its questions are stored apart (server/quizzes); done when passed, not by time.
          lessons.push({
            id: lessonId,
            kind: 'quiz',
            title: l.title,
            seminarId: null,
            playlistPath: null,
            body: null,
            durationSeconds: null,
          });
        } else {
          lessons.push({
            id: lessonId,
            kind: 'text',
            title: l.title,
            seminarId: null,
            playlistPath: null,
            body: l.body,
            durationSeconds: l.durationSeconds,
          });
        }
      }
      modules.push({ id: m.id ?? newId(), title: m.title, lessons });
    }
    const updated = (await this.deps.courses.update(id, { modules }))!;
    for (const l of modules.flatMap((m) => m.lessons)) if (l.recordingId) await this.deps.recordingAttached(l.recordingId, l.id);
    return courseView(updated);
  }

  async enrol(actor: Actor, id: string): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'courses:enrol')) throw new ForbiddenError();
    const course = await this.visible(actor, id);
    if (!course.published) throw new ConflictError('course_not_published', 'The course is not published');
    await this.deps.enrolments.enrol(id, actor.userId);
  }

  async unenrol(actor: Actor, id: string): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'courses:enrol')) throw new ForbiddenError();
    // Leaving works even after the course was unpublished.
    if (!(await this.deps.enrolments.unenrol(id, actor.userId)))
      throw new NotFoundError('not_enrolled', 'You are not enrolled in this course');
  }

  /** "My learning": enrolled courses with per-lesson progress, resume positions and the course percentage. */
  async myLearning(actor: Actor) {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const enrolled = await this.deps.courses.listByIds(await this.deps.enrolments.courseIdsFor(actor.userId));
    const courses = enrolled.filter((c) => c.published || this.manages(actor, c));
    const contentIds = courses.flatMap((c) => lessonsOf(c).map(contentIdOf));
    const records = new Map((await this.deps.progress.records(actor.userId, contentIds)).map((r) => [r.contentId, r]));
    const userId = actor.userId;
    return Promise.all(
      courses.map(async (course) => {
        const presence = await presenceLookup(this.deps.presence, course, [userId]);
        const quizPassed = await quizPassLookup(this.deps.quizzes, course, [userId]);
        return courseProgress(
          course,
          (lesson) => records.get(contentIdOf(lesson)),
          (lesson) => presence(userId, lesson),
          (lesson) => quizPassed(userId, lesson),
        );
      }),
    );
  }

  /**
   * One lesson as its page shows it: a text lesson's Markdown rendered, and its neighbours
   * in the course's order. For the course's learners, and its lecturers and admins.
   */
  async lesson(actor: Actor, courseId: string, lessonId: string): Promise<LessonContentView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const course = await this.visible(actor, courseId);
    if (!this.manages(actor, course) && !(await this.deps.enrolments.isEnrolled(courseId, actor.userId)))
      throw new ForbiddenError('not_enrolled', 'Enrol in the course to read its lessons');
    const order = course.modules.flatMap((m) => m.lessons.map((lesson) => ({ lesson, module: m })));
    const at = order.findIndex((o) => o.lesson.id === lessonId);
    if (at < 0) throw new NotFoundError('lesson_not_found', 'No such lesson in this course');
    const { lesson, module } = order[at]!;
    const link = (i: number) => {
      const l = order[i]?.lesson;
      return l ? { id: l.id, kind: l.kind, title: l.title, seminarId: l.seminarId } : null;
    };
    return {
      courseId,
      courseTitle: course.title,
      moduleTitle: module.title,
      lesson: lessonView(lesson),
      html: lesson.kind === 'text' ? renderMarkdown(lesson.body ?? '', lesson.title) : null,
      video: lesson.kind === 'upload' && lesson.recordingId ? await this.deps.signVideo(lesson.recordingId) : null,
      previous: link(at - 1),
      next: link(at + 1),
    };
  }

  /** Completion figures for the course's lecturers and admins. */
  async stats(actor: Actor, id: string) {
    if (!has(actor, 'stats:read')) throw new ForbiddenError();
    const course = await this.managed(actor, id);
    const learners = await this.deps.enrolments.learnersOf(id);
    const lessons = lessonsOf(course);
    const records = await this.deps.progress.recordsFor(lessons.map(contentIdOf), learners);
    const byUser = new Map<string, Map<string, ProgressRecord>>();
    for (const r of records) {
      if (!byUser.has(r.userId)) byUser.set(r.userId, new Map());
      byUser.get(r.userId)!.set(r.contentId, r);
    }
    const presence = await presenceLookup(this.deps.presence, course, learners);
    const quizPassed = await quizPassLookup(this.deps.quizzes, course, learners);
    const perLearner = learners.map((u) =>
      courseProgress(
        course,
        (l) => byUser.get(u)?.get(contentIdOf(l)),
        (l) => presence(u, l),
        (l) => quizPassed(u, l),
      ),
    );
    return {
      courseId: id,
      enrolled: learners.length,
      completedCourse: perLearner.filter((p) => p.totalLessons > 0 && p.completedLessons === p.totalLessons).length,
      averagePercent: perLearner.length ? round(perLearner.reduce((s, p) => s + p.percent, 0) / perLearner.length) : 0,
      lessons: lessons.map((lesson, i) => ({
        lessonId: lesson.id,
        title: lesson.title,
        started: perLearner.filter((p) => p.lessons[i]!.coveredSeconds > 0 || p.lessons[i]!.liveSeconds > 0).length,
        completed: perLearner.filter((p) => p.lessons[i]!.complete).length,
      })),
    };
  }

  /** For seminars: whether the course exists and the actor may attach to it. */
  async canAttach(actor: Actor, courseId: string): Promise<boolean> {
    const course = await this.deps.courses.get(courseId);
    return !!course && this.manages(actor, course);
  }

  /** Whether learners can see this lesson: it belongs to a published course. */
  async lessonVisible(lessonId: string): Promise<boolean> {
    return (await this.deps.courses.findByLessonId(lessonId))?.published === true;
  }

  private manages(actor: Actor, course: Course): boolean {
    return isAdmin(actor) || (has(actor, 'courses:manage') && course.ownerIds.includes(actor.userId));
  }

  private async visible(actor: Actor, id: string): Promise<Course> {
    const course = await this.deps.courses.get(id);
    if (!course || (!course.published && !this.manages(actor, course))) throw new NotFoundError('course_not_found', 'No such course');
    return course;
  }

  private async managed(actor: Actor, id: string): Promise<Course> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'courses:manage')) throw new ForbiddenError();
    const course = await this.visible(actor, id);
    if (!this.manages(actor, course)) throw new ForbiddenError('not_own_course', 'Only the course’s lecturers or an admin may do this');
    return course;
  }
}

/**
 * A lesson opens its seminar (live stream and recording) to the course's learners, so it may
 * only be a seminar anyone may watch (public, and scheduled or later) or one that a course
 * owner lectures: never another lecturer's private seminar, whoever edits the course.
 */
function usableIn(course: Course, seminar: Seminar | null | undefined): boolean {
  return (
    !!seminar &&
    ((seminar.isPublic && ['scheduled', 'live', 'ended'].includes(seminar.status)) ||
      seminar.lecturerIds.some((id) => course.ownerIds.includes(id)))
  );
}

export function lessonsOf(course: Course): Lesson[] {
  return course.modules.flatMap((m) => m.lessons);
}

/**
 * `presenceOf`: the learner's presence checks per seminar lesson, for the course's presence rule;
 * `quizPassed`: whether they passed a quiz lesson, for its quiz rule.
 */
export function courseProgress(
  course: Course,
  recordOf: (lesson: Lesson) => ProgressRecord | undefined,
  presenceOf: (lesson: Lesson) => { passed: number; asked: number } | undefined = () => undefined,
  quizPassed: (lesson: Lesson) => boolean = () => false,
) {
  const all = lessonsOf(course);
  const lessons = all.map((lesson) => {
    const r = recordOf(lesson);
    const duration = lesson.durationSeconds ?? r?.durationSeconds ?? null;
    const covered = r?.coveredSeconds ?? 0;
    const fraction = duration ? Math.min(1, covered / duration) : 0;
    return {
      lessonId: lesson.id,
      coveredSeconds: covered,
      durationSeconds: duration,
      fraction: round(fraction, 4),
      complete:
        lesson.kind === 'quiz'
          ? quizPassed(lesson)
          : duration !== null && fraction >= course.completionThreshold - 1e-9 && presenceMet(course, presenceOf(lesson)),
      resumePosition: r?.resumePosition ?? 0,
      liveSeconds: r ? liveSeconds(r) : 0,
    };
  });
  // Under the quiz rule 'none' a quiz is practice: it counts toward neither side of completion.
  const counted = lessons.filter((_, i) => course.quizRule !== 'none' || all[i]!.kind !== 'quiz');
  const completedLessons = counted.filter((l) => l.complete).length;
  // The share watched counts what was actually covered, so 81 % of the only long lesson is
  // about 81 %, not the 0 % of "no lesson complete yet". Lessons of unknown length add nothing.
  const known = lessons.filter((l) => l.durationSeconds);
  const totalSeconds = known.reduce((s, l) => s + l.durationSeconds!, 0);
  const watchedSeconds = known.reduce((s, l) => s + Math.min(l.coveredSeconds, l.durationSeconds!), 0);
  return {
    course: courseView(course),
    percent: counted.length ? round((100 * completedLessons) / counted.length) : 0,
    completedLessons,
    totalLessons: counted.length,
    watchedPercent: totalSeconds ? round((100 * watchedSeconds) / totalSeconds) : 0,
    watchedSeconds: round(watchedSeconds),
    totalSeconds: round(totalSeconds),
    lessons,
  };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function newId(): string {
  return randomBytes(9).toString('base64url');
}

export function courseView(c: Course): CourseView {
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    track: c.track,
    published: c.published,
    completionThreshold: c.completionThreshold,
    presenceShare: c.presenceShare,
    quizRule: c.quizRule,
    ownerIds: c.ownerIds,
    modules: c.modules.map((m) => ({
      id: m.id,
      title: m.title,
      lessons: m.lessons.map(lessonView),
    })),
  };
}

function lessonView(l: Lesson) {
  return {
    id: l.id,
    kind: l.kind,
    title: l.title,
    seminarId: l.seminarId,
    recordingId: l.recordingId ?? null,
    durationSeconds: l.durationSeconds,
  };
}
