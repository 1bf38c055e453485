import { has, isAdmin, type Actor } from '../accounts/grants';
import type { User, UserDirectory } from '../accounts/model';
import { courseProgress, lessonsOf } from '../courses/service';
import { contentIdOf, type Course, type CourseRepository, type Lesson } from '../courses/model';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { ProgressRecord, ProgressRepository } from '../progress/model';
import type { CourseAnalyticsView, PollResult, SeminarAnalyticsView } from '../protocol';
import type { Registration, RegistrationRepository, Seminar } from '../seminars/model';
import type { SeminarService } from '../seminars/service';
import { inZone } from '../seminars/time';
import type { Table } from '../tables';
import { presenceLookup } from '../courses/presence-rule';
import { quizPassLookup, type QuizPassReads } from '../quizzes/completion';
import { engagementLine, presenceOf, type AudienceReads } from './audience';
import { Heatmap } from './heatmap';
import type { AnalyticsRepository, AttendanceSpan } from './model';
import { byUser, chunks, mergeSpans, spanSeconds, ViewerSweep } from './sweep';

export interface AnalyticsDeps {
  repo: AnalyticsRepository;
  seminars: SeminarService;
  registrations: Pick<RegistrationRepository, 'listForSeminar'>;
  courses: Pick<CourseRepository, 'get'>;
  progress: Pick<ProgressRepository, 'listForContents'>;
  users: Pick<UserDirectory, 'findByIds'>;
  /** The length of a seminar's finished recording, if it has one. */
  recordingDuration(seminarId: string): Promise<number | null>;
  polls: { results(seminarId: string): Promise<PollResult[]> };
  /** Reactions and presence checks (server/live). */
  audience: AudienceReads;
  /** Passed quizzes, for the course's quiz rule. */
  quizzes: QuizPassReads;
  now?: () => Date;
}

/** Users (and their records) handled at a time: what one pass holds in memory, whatever the audience. */
export const ANALYTICS_BATCH = 500;

/**
 * The seminar and course figures of the workspace, and their per-learner CSV tables. Every
 * figure that grows with the audience is computed in one pass over a database cursor, a batch
 * of users at a time.
 */
export class AnalyticsService {
  constructor(private readonly deps: AnalyticsDeps) {}

  async seminar(actor: Actor, seminarId: string): Promise<SeminarAnalyticsView> {
    const seminar = await this.deps.seminars.managed(actor, seminarId);
    const { repo } = this.deps;
    const [counts, chatMessages, questions, replayViewers, extent, polls] = await Promise.all([
      repo.countRegistrations(seminarId),
      repo.countChat(seminarId),
      repo.countQuestions(seminarId),
      repo.countWatchers(seminarId),
      repo.attendanceExtent(seminarId),
      this.deps.polls.results(seminarId),
    ]);
    const openEnd = this.openEnd(seminar);
    const view: SeminarAnalyticsView = {
      seminarId,
      title: seminar.title,
      status: seminar.status,
      timeZone: seminar.timeZone,
      ...counts,
      attendees: 0,
      registeredAttendees: 0,
      peakViewers: 0,
      averageViewers: 0,
      averageMinutesLive: 0,
      chatMessages,
      questions,
      replayViewers,
      reactions: 0,
      presenceChecks: (await this.deps.audience.checks(seminarId)).length,
      session: null,
      polls,
    };
    if (!extent) {
      view.reactions = (await engagementLine(this.deps.audience, seminarId, { fromMs: 0, stepSeconds: 1, steps: 0 })).total;
      return view;
    }
    // The live session as the seminar recorded it, widened to any span outside it.
    const fromMs = Math.min(seminar.liveStartedAt?.getTime() ?? Infinity, extent.firstJoin.getTime());
    const toMs = Math.max(openEnd.getTime(), extent.lastLeave?.getTime() ?? 0);
    const sweep = new ViewerSweep(fromMs, toMs);
    let seconds = 0;
    for await (const group of chunks(this.viewers(seminar), ANALYTICS_BATCH)) {
      const registered = await repo.registeredAmong(
        seminarId,
        group.map((g) => g.userId),
      );
      for (const { userId, spans } of group) {
        const merged = mergeSpans(spans, openEnd.getTime());
        sweep.add(merged);
        seconds += spanSeconds(merged);
        view.attendees++;
        if (registered.has(userId)) view.registeredAttendees++;
      }
    }
    const swept = sweep.result();
    view.peakViewers = swept.peak;
    view.averageViewers = swept.average;
    view.averageMinutesLive = view.attendees ? round(seconds / view.attendees / 60, 1) : 0;
    const engagement = await engagementLine(this.deps.audience, seminarId, {
      fromMs,
      stepSeconds: swept.stepSeconds,
      steps: swept.timeline.length,
    });
    view.reactions = engagement.total;
    view.session = {
      from: new Date(fromMs).toISOString(),
      seconds: sweep.seconds,
      stepSeconds: swept.stepSeconds,
      viewers: swept.timeline,
      engagement: engagement.line,
    };
    return view;
  }

  /**
   * Attendance per learner, as a table for CSV: everyone who registered (in registration order),
   * then everyone else who joined. Times in the seminar's zone; seconds with overlaps counted once.
   */
  async seminarCsv(actor: Actor, seminarId: string): Promise<Table> {
    const seminar = await this.deps.seminars.managed(actor, seminarId);
    const ru = seminar.language === 'ru';
    const zone = seminar.timeZone;
    const header = ru
      ? ['Имя', 'E-mail', 'Запись', 'Входов', `Первый вход (${zone})`, `Последний выход (${zone})`, 'Секунд в эфире']
      : ['Name', 'E-mail', 'Registration', 'Joins', `First joined (${zone})`, `Last left (${zone})`, 'Seconds live'];
    header.push(
      ...(ru ? ['Проверок присутствия пройдено', 'Проверок присутствия задано'] : ['Presence checks passed', 'Presence checks asked']),
    );
    header.push(...seminar.questions.map((q) => q.label));
    const openEnd = this.openEnd(seminar).getTime();
    const row = (
      user: User | undefined,
      status: string,
      spans: AttendanceSpan[],
      answers: Record<string, string>,
      presence: { passed: number; asked: number } | undefined,
    ) => {
      const lastLeave = spans.some((s) => s.leftAt === null) ? null : Math.max(...spans.map((s) => s.leftAt!.getTime()));
      return [
        user?.displayName ?? '',
        user?.email ?? '',
        status,
        String(spans.length),
        spans.length ? zoned(new Date(Math.min(...spans.map((s) => s.joinedAt.getTime()))), zone) : '',
        lastLeave === null || spans.length === 0 ? '' : zoned(new Date(lastLeave), zone),
        String(Math.round(spanSeconds(mergeSpans(spans, openEnd)))),
        String(presence?.passed ?? 0),
        String(presence?.asked ?? 0),
        ...seminar.questions.map((q) => (Object.hasOwn(answers, q.id) ? (answers[q.id] ?? '') : '')),
      ];
    };
    const { deps } = this;
    async function* rows(): AsyncGenerator<string[]> {
      let cursor: string | undefined;
      do {
        const page = await deps.registrations.listForSeminar(seminarId, ANALYTICS_BATCH, cursor);
        const regs = page.items.filter((r: Registration) => r.status !== 'pending');
        const ids = regs.map((r) => r.userId);
        const [users, spans] = await Promise.all([usersById(deps, ids), deps.repo.attendanceOf(seminarId, ids)]);
        const spansOf = new Map<string, AttendanceSpan[]>();
        for (const s of spans) spansOf.set(s.userId, [...(spansOf.get(s.userId) ?? []), s]);
        const presence = await presenceOf(deps.audience, seminarId, new Map(ids.map((id) => [id, spansOf.get(id) ?? []])), openEnd);
        for (const r of regs) yield row(users.get(r.userId), r.status, spansOf.get(r.userId) ?? [], r.answers, presence.get(r.userId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for await (const group of chunks(viewersOf(deps.repo, seminar), ANALYTICS_BATCH)) {
        const registered = await deps.repo.registeredAmong(
          seminarId,
          group.map((g) => g.userId),
        );
        const others = group.filter((g) => !registered.has(g.userId));
        const users = await usersById(
          deps,
          others.map((g) => g.userId),
        );
        const presence = await presenceOf(deps.audience, seminarId, new Map(others.map((g) => [g.userId, g.spans])), openEnd);
        for (const g of others) yield row(users.get(g.userId), 'not_registered', g.spans, {}, presence.get(g.userId));
      }
    }
    return { header, rows: rows() };
  }

  async course(actor: Actor, courseId: string): Promise<CourseAnalyticsView> {
    const course = await this.managedCourse(actor, courseId);
    const lessons = lessonsOf(course);
    const heatmaps = await Promise.all(lessons.map(async (l) => this.heatmapOf(l)));
    const view: CourseAnalyticsView = {
      courseId,
      title: course.title,
      completionThreshold: course.completionThreshold,
      enrolled: 0,
      started: 0,
      completed: 0,
      lessons: lessons.map((l) => ({
        lessonId: l.id,
        title: l.title,
        kind: l.kind,
        durationSeconds: l.durationSeconds,
        started: 0,
        completed: 0,
        heatmap: null,
      })),
    };
    for await (const { progress, records } of this.learnerBatches(course)) {
      for (const p of progress) {
        view.enrolled++;
        const started = p.lessons.map((l) => l.coveredSeconds > 0 || l.liveSeconds > 0);
        if (started.some(Boolean)) view.started++;
        if (p.totalLessons > 0 && p.completedLessons === p.totalLessons) view.completed++;
        p.lessons.forEach((l, i) => {
          if (started[i]) view.lessons[i]!.started++;
          if (l.complete) view.lessons[i]!.completed++;
        });
      }
      lessons.forEach((lesson, i) => {
        const map = heatmaps[i];
        if (!map) return;
        for (const r of records) if (r.contentId === contentIdOf(lesson)) map.add(r.intervals);
      });
    }
    view.lessons.forEach((l, i) => {
      const map = heatmaps[i];
      if (map) l.heatmap = { bucketSeconds: map.bucketSeconds, viewers: map.viewers };
    });
    return view;
  }

  /** Completion per learner, as a table for CSV: one row per enrolment, one column per lesson (% watched). */
  async courseCsv(actor: Actor, courseId: string, locale: 'ru' | 'en'): Promise<Table> {
    const course = await this.managedCourse(actor, courseId);
    const ru = locale === 'ru';
    const zone = 'Europe/Moscow';
    const header = [
      ...(ru
        ? ['Имя', 'E-mail', `Дата записи (${zone})`, 'Уроков пройдено', 'Уроков всего', 'Курс пройден']
        : ['Name', 'E-mail', `Enrolled at (${zone})`, 'Lessons completed', 'Lessons total', 'Course completed']),
      ...lessonsOf(course).map((l) => `${l.title} (%)`),
    ];
    const yes = ru ? 'да' : 'yes';
    const no = ru ? 'нет' : 'no';
    const { deps } = this;
    const batches = this.learnerBatches(course);
    async function* rows(): AsyncGenerator<string[]> {
      for await (const { enrolments, progress } of batches) {
        const users = await usersById(
          deps,
          enrolments.map((e) => e.userId),
        );
        for (const [i, e] of enrolments.entries()) {
          const p = progress[i]!;
          const user = users.get(e.userId);
          yield [
            user?.displayName ?? '',
            user?.email ?? '',
            zoned(e.createdAt, zone),
            String(p.completedLessons),
            String(p.totalLessons),
            p.totalLessons > 0 && p.completedLessons === p.totalLessons ? yes : no,
            ...p.lessons.map((l) => (l.durationSeconds ? String(Math.round(100 * Math.min(1, l.coveredSeconds / l.durationSeconds))) : '')),
          ];
        }
      }
    }
    return { header, rows: rows() };
  }

  /** The enrolled learners a batch at a time, each with their progress on the course's lessons. */
  private async *learnerBatches(course: Course) {
    const contentIds = [...new Set(lessonsOf(course).map(contentIdOf))];
    for await (const enrolments of this.deps.repo.enrolments(course.id, ANALYTICS_BATCH)) {
      const records = await this.deps.progress.listForContents(
        contentIds,
        enrolments.map((e) => e.userId),
      );
      const byKey = new Map<string, ProgressRecord>(records.map((r) => [`${r.userId}\u0000${r.contentId}`, r]));
      const presence = await presenceLookup(
        this.deps.audience,
        course,
        enrolments.map((e) => e.userId),
      );
      const quizPassed = await quizPassLookup(
        this.deps.quizzes,
        course,
        enrolments.map((e) => e.userId),
      );
      const progress = enrolments.map((e) =>
        courseProgress(
          course,
          (l) => byKey.get(`${e.userId}\u0000${contentIdOf(l)}`),
          (l) => presence(e.userId, l),
          (l) => quizPassed(e.userId, l),
        ),
      );
      yield { enrolments, records, progress };
    }
  }

  private async heatmapOf(lesson: Lesson): Promise<Heatmap | null> {
    if (lesson.kind === 'text' || lesson.kind === 'quiz') return null;
    const duration =
      lesson.durationSeconds ??
      (lesson.seminarId ? await this.deps.recordingDuration(lesson.seminarId) : null) ??
      (await this.deps.repo.reportedDuration(contentIdOf(lesson)));
    return duration && duration > 0 ? new Heatmap(duration) : null;
  }

  /** Where a span still open ends: now while live, else when the seminar ended (a crash left it open). */
  private openEnd(seminar: Seminar): Date {
    const now = this.deps.now?.() ?? new Date();
    return seminar.status === 'live' ? now : (seminar.endedAt ?? now);
  }

  private viewers(seminar: Seminar) {
    return viewersOf(this.deps.repo, seminar);
  }

  private async managedCourse(actor: Actor, courseId: string): Promise<Course> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'stats:read')) throw new ForbiddenError();
    const course = await this.deps.courses.get(courseId);
    const manages = !!course && (isAdmin(actor) || (has(actor, 'courses:manage') && course.ownerIds.includes(actor.userId)));
    // An unpublished course does not exist for those who may not manage it, as everywhere else.
    if (!course || (!course.published && !manages)) throw new NotFoundError('course_not_found', 'No such course');
    if (!manages) throw new ForbiddenError('not_own_course', 'Only the course’s lecturers or an admin may do this');
    return course;
  }
}

/** The users who joined the room, one group of spans each; the seminar's lecturers are not its audience. */
async function* viewersOf(repo: AnalyticsRepository, seminar: Seminar) {
  for await (const group of byUser(repo.attendanceByUser(seminar.id, ANALYTICS_BATCH))) {
    if (!seminar.lecturerIds.includes(group.userId)) yield group;
  }
}

async function usersById(deps: Pick<AnalyticsDeps, 'users'>, ids: string[]): Promise<Map<string, User>> {
  return new Map((await deps.users.findByIds(ids)).map((u) => [u.id, u]));
}

/** A time in the zone, to the second: `2026-11-30 15:04:05`. */
function zoned(instant: Date, zone: string): string {
  return inZone(instant, zone).toFormat('yyyy-MM-dd HH:mm:ss');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
