import type { Course, Lesson } from '../courses/model';
import type { QuizRepository } from './model';

// The course's quiz rule: under 'all_passed' (the default) a quiz lesson is complete for a
// learner once one of their attempts passed, and the course is complete only with every
// lesson watched and every quiz passed; under 'none' quizzes are practice and do not count.

export type QuizPassReads = Pick<QuizRepository, 'passed'>;

/** Whether a learner passed a quiz lesson, for `courseProgress`: read in one query for these learners. */
export type QuizPassedOf = (userId: string, lesson: Lesson) => boolean;

export async function quizPassLookup(reads: QuizPassReads, course: Course, userIds: readonly string[]): Promise<QuizPassedOf> {
  const lessonIds = course.modules.flatMap((m) => m.lessons.flatMap((l) => (l.kind === 'quiz' ? [l.id] : [])));
  if (lessonIds.length === 0 || userIds.length === 0) return () => false;
  const passed = new Set((await reads.passed(lessonIds, [...userIds])).map((p) => `${p.userId}\u0000${p.lessonId}`));
  return (userId, lesson) => passed.has(`${userId}\u0000${lesson.id}`);
}
