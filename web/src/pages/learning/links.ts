import type { z } from 'zod';
import type { courseView, lessonLink, myCourseView } from '../../../../server/protocol/courses';

// Where each kind of lesson opens: a recording in the replay page (which resumes at the
// learner's saved position), anything else on the course's lesson page.

export type Course = z.infer<typeof courseView>;
export type MyCourse = z.infer<typeof myCourseView>;
export type LessonLink = z.infer<typeof lessonLink>;

export function lessonHref(courseId: string, lesson: Pick<LessonLink, 'id' | 'kind' | 'seminarId'>): string {
  if (lesson.kind === 'recording' && lesson.seminarId) return `/replay/${encodeURIComponent(lesson.seminarId)}`;
  return `/courses/${encodeURIComponent(courseId)}/lessons/${encodeURIComponent(lesson.id)}`;
}

export function lessonCount(course: Course): number {
  return course.modules.reduce((n, m) => n + m.lessons.length, 0);
}
