import { LRUCache } from 'lru-cache';
import type { CompletionRepository } from '../certificates/model';
import type { Logger } from '../logger';
import type { ProgressService } from '../progress/service';
import { contentIdOf, type Course, type CourseRepository, type EnrolmentRepository } from './model';
import { presenceLookup, type PresenceReads } from './presence-rule';
import { quizPassLookup, type QuizPassReads } from '../quizzes/completion';
import { courseProgress, lessonsOf } from './service';

export interface CompletionDeps {
  courses: Pick<CourseRepository, 'get' | 'findByLessonId' | 'withSeminar'>;
  enrolments: Pick<EnrolmentRepository, 'isEnrolled' | 'courseIdsFor'>;
  progress: Pick<ProgressService, 'records'>;
  presence: PresenceReads;
  /** Passed quizzes, for the course's quiz rule. */
  quizzes: QuizPassReads;
  completions: CompletionRepository;
  /** Queues course.completed; idempotent per (course, learner). */
  onCompleted(c: { courseId: string; userId: string; completedAt: Date }): Promise<void>;
  /** Issues the learner's certificate for the course unless they have one. */
  issueCertificate(course: Course, userId: string, completedAt: Date): Promise<unknown>;
  logger: Logger;
}

/** Learner-content pairs waiting for a check: beyond this, new ones are dropped (and logged) until the queue drains. */
const QUEUE_LIMIT = 10_000;

/**
 * Course completion as a moment. Progress is computed when read (courseProgress); this
 * records, once per (course, learner), when it first reaches every lesson complete, then
 * queues course.completed and issues the certificate. The unique (course, learner) index of
 * the completions decides between two nodes or two flushes that see it at once.
 *
 * afterFlush() is what the progress flush calls: it only queues, and one background loop
 * works through the queue, so heartbeats never wait on it and a failure is logged, not thrown.
 * check() may be called from anywhere that can make a course complete (a passed quiz's hook).
 */
export class CourseCompletions {
  private readonly queue = new Set<string>();
  private draining: Promise<void> | null = null;
  /** Content id → the courses it is a lesson of, for a minute: a flush names the same lessons again and again. */
  private readonly coursesOf = new LRUCache<string, string[]>({ max: 10_000, ttl: 60_000 });
  /** (course, learner) pairs known completed, announced and certified: nothing more to do for them. */
  private readonly settled = new LRUCache<string, true>({ max: 100_000 });

  constructor(private readonly deps: CompletionDeps) {}

  /**
   * Checks one learner's course: when complete and not yet recorded, records it, queues
   * course.completed and issues the certificate; when recorded already, finishes what a crash
   * may have left (the webhook, the certificate). Returns whether the course is completed.
   */
  async check(userId: string, courseId: string): Promise<boolean> {
    const key = `${courseId}:${userId}`;
    if (this.settled.has(key)) return true;
    const course = await this.deps.courses.get(courseId);
    if (!course?.published) return false;
    let completion = await this.deps.completions.get(courseId, userId);
    if (!completion) {
      if (!(await this.deps.enrolments.isEnrolled(courseId, userId))) return false;
      if (!(await this.complete(course, userId))) return false;
      await this.deps.completions.record({ courseId, userId, completedAt: new Date() });
      // Whoever won the insert, the stored moment is the one everyone uses.
      completion = (await this.deps.completions.get(courseId, userId))!;
    }
    if (!completion.announced) {
      await this.deps.onCompleted(completion);
      await this.deps.completions.markAnnounced(courseId, userId);
    }
    await this.deps.issueCertificate(course, userId, completion.completedAt);
    this.settled.set(key, true);
    return true;
  }

  /**
   * Every course the learner is enrolled in ("My learning" asks before it lists certificates):
   * catches up a completion whose check a crash or a full queue left undone. Failures are logged.
   */
  async checkEnrolled(userId: string): Promise<void> {
    for (const courseId of await this.deps.enrolments.courseIdsFor(userId)) {
      await this.check(userId, courseId).catch((err: unknown) =>
        this.deps.logger.error({ err, userId, courseId }, 'course completion check failed'),
      );
    }
  }

  /** After a flush: the written learners' courses are checked in the background. Never throws. */
  afterFlush(saved: ReadonlyArray<{ userId: string; contentId: string }>): void {
    let dropped = 0;
    for (const { userId, contentId } of saved) {
      if (this.queue.size >= QUEUE_LIMIT) dropped++;
      else this.queue.add(`${userId}\n${contentId}`);
    }
    // The next write of these learners' progress queues them again.
    if (dropped) this.deps.logger.warn({ dropped }, 'course completion queue full; checks left for the next flush');
    this.kick();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // Queued between the loop's end and now.
      if (this.queue.size) this.kick();
    });
  }

  /** Resolves once the queue is empty (tests, and a clean stop). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (const item of this.queue) {
      this.queue.delete(item);
      const [userId, contentId] = item.split('\n') as [string, string];
      try {
        for (const courseId of await this.courseIdsOf(contentId)) await this.check(userId, courseId);
      } catch (err) {
        this.deps.logger.error({ err, userId, contentId }, 'course completion check failed');
      }
    }
  }

  /** A lesson's content id is its own id, or, for a seminar's recording, the seminar's id (contentIdOf). */
  private async courseIdsOf(contentId: string): Promise<string[]> {
    const cached = this.coursesOf.get(contentId);
    if (cached) return cached;
    const [byLesson, bySeminar] = await Promise.all([
      this.deps.courses.findByLessonId(contentId),
      this.deps.courses.withSeminar(contentId),
    ]);
    const ids = [...new Set([...(byLesson ? [byLesson.id] : []), ...bySeminar.map((c) => c.id)])];
    this.coursesOf.set(contentId, ids);
    return ids;
  }

  private async complete(course: Course, userId: string): Promise<boolean> {
    const records = new Map((await this.deps.progress.records(userId, lessonsOf(course).map(contentIdOf))).map((r) => [r.contentId, r]));
    const presence = await presenceLookup(this.deps.presence, course, [userId]);
    const quizPassed = await quizPassLookup(this.deps.quizzes, course, [userId]);
    const p = courseProgress(
      course,
      (lesson) => records.get(contentIdOf(lesson)),
      (lesson) => presence(userId, lesson),
      (lesson) => quizPassed(userId, lesson),
    );
    return p.totalLessons > 0 && p.completedLessons === p.totalLessons;
  }
}
