import type { AudienceRepository } from '../live/audience-model';
import type { Course, Lesson } from './model';

// The course's optional presence rule (issue 15): with `presenceShare` set, a seminar lesson
// counts as complete only for a learner who confirmed at least that share of the presence
// checks asked in the seminar. A seminar without checks sets no condition.

export type PresenceReads = Pick<AudienceRepository, 'checks' | 'answersOf'>;

/** Checks passed of those asked in a lesson's seminar; undefined where the rule does not apply. */
export type PresenceOf = (userId: string, lesson: Lesson) => { passed: number; asked: number } | undefined;

/** What `courseProgress` needs to apply the rule to these learners, read in one query per seminar. */
export async function presenceLookup(reads: PresenceReads, course: Course, userIds: readonly string[]): Promise<PresenceOf> {
  if (course.presenceShare === null || userIds.length === 0) return () => undefined;
  const seminarIds = [...new Set(course.modules.flatMap((m) => m.lessons.flatMap((l) => (l.seminarId ? [l.seminarId] : []))))];
  const bySeminar = new Map<string, { asked: number; passed: Map<string, Set<string>> }>();
  for (const seminarId of seminarIds) {
    const checks = await reads.checks(seminarId);
    if (checks.length === 0) continue;
    const asked = new Set(checks.map((c) => c.id));
    const passed = new Map<string, Set<string>>();
    for (const a of await reads.answersOf(seminarId, [...userIds])) {
      if (!asked.has(a.checkId)) continue;
      if (!passed.has(a.userId)) passed.set(a.userId, new Set());
      passed.get(a.userId)!.add(a.checkId);
    }
    bySeminar.set(seminarId, { asked: checks.length, passed });
  }
  return (userId, lesson) => {
    const s = lesson.seminarId ? bySeminar.get(lesson.seminarId) : undefined;
    return s ? { passed: s.passed.get(userId)?.size ?? 0, asked: s.asked } : undefined;
  };
}

/** Whether a learner's presence meets the course's rule for a lesson (true where it does not apply). */
export function presenceMet(course: Pick<Course, 'presenceShare'>, presence: { passed: number; asked: number } | undefined): boolean {
  if (course.presenceShare === null || !presence || presence.asked === 0) return true;
  return presence.passed / presence.asked >= course.presenceShare - 1e-9;
}
