// Courses as the domain sees them: no Express, no mongoose.
import type { Page } from '../seminars/model';

/**
 * 'upload': a video a lecturer uploaded, packaged into a recording of its own (no seminar).
 * 'quiz': questions stored apart, under the lesson's id (server/quizzes).
 */
export type LessonKind = 'recording' | 'hls' | 'text' | 'upload' | 'quiz';
/** 'all_passed': a course completes with every lesson watched and every quiz passed; 'none': quizzes do not count. */
export type QuizRule = 'none' | 'all_passed';

export interface Lesson {
  id: string;
  kind: LessonKind;
  title: string;
  /** For a recording: the seminar it records. Progress is kept per seminar then. */
  seminarId: string | null;
  /** For an upload: its recording. */
  recordingId?: string;
  playlistPath: string | null;
  body: string | null;
  durationSeconds: number | null;
}

export interface CourseModule {
  id: string;
  title: string;
  lessons: Lesson[];
}

export interface Course {
  id: string;
  title: string;
  description: string;
  track: string;
  published: boolean;
  completionThreshold: number;
  /** Set: a seminar lesson completes only with this share (0–1) of its presence checks confirmed. */
  presenceShare: number | null;
  quizRule: QuizRule;
  ownerIds: string[];
  modules: CourseModule[];
  createdAt: Date;
}

export type NewCourse = Pick<Course, 'title' | 'description' | 'track' | 'completionThreshold' | 'ownerIds'> &
  Partial<Pick<Course, 'presenceShare' | 'quizRule'>>;
export type CourseChanges = Partial<
  Pick<Course, 'title' | 'description' | 'track' | 'completionThreshold' | 'presenceShare' | 'quizRule' | 'published' | 'modules'>
>;

export interface CourseRepository {
  create(course: NewCourse): Promise<Course>;
  get(id: string): Promise<Course | null>;
  update(id: string, changes: CourseChanges): Promise<Course | null>;
  /** `ownedBy`: only the courses this user owns; `publishedOrOwnedBy`: those and every published one ('all': every course). */
  list(
    filter: { publishedOrOwnedBy?: string /* a user id, or 'all' */; ownedBy?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<Course>>;
  listByIds(ids: string[]): Promise<Course[]>;
  /** The course whose structure holds this lesson id, if any. */
  findByLessonId(lessonId: string): Promise<Course | null>;
  /** The courses with a recording lesson of this seminar (bounded: a seminar is in a handful). */
  withSeminar(seminarId: string): Promise<Course[]>;
  /** Every seminar that is a recording lesson of some course (one read of every course's list). */
  seminarIdsUsed(): Promise<string[]>;
  /** The courses with an upload lesson of this recording (bounded, as withSeminar). */
  withRecording(recordingId: string): Promise<Course[]>;
  /** Which of these recordings are an upload lesson of some course. */
  recordingIdsInCourses(recordingIds: string[]): Promise<Set<string>>;
  /** Sets the duration of every recording lesson of a seminar (once the recording is final). */
  setRecordingDuration(seminarId: string, durationSeconds: number): Promise<void>;
  /** Courses changed at or after `since`, oldest change first (search catch-up). */
  changedSince(since: Date, limit: number): Promise<Array<{ course: Course; updatedAt: Date }>>;
}

export interface EnrolmentRepository {
  enrol(courseId: string, userId: string): Promise<void>;
  unenrol(courseId: string, userId: string): Promise<boolean>;
  isEnrolled(courseId: string, userId: string): Promise<boolean>;
  courseIdsFor(userId: string): Promise<string[]>;
  learnersOf(courseId: string): Promise<string[]>;
}

/** The id under which progress on a lesson is kept. */
export function contentIdOf(lesson: Lesson): string {
  return lesson.kind === 'recording' && lesson.seminarId ? lesson.seminarId : lesson.id;
}
