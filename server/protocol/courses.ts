import { z } from 'zod';
import { playbackSubtitle } from './subtitles';
import { objectId } from './common';

const lessonId = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, 'must be a lesson id');

export const lessonInput = z.discriminatedUnion('kind', [
  z.object({ id: lessonId.optional(), kind: z.literal('recording'), title: z.string().trim().min(1).max(200), seminarId: objectId }),
  z.object({
    id: lessonId.optional(),
    kind: z.literal('hls'),
    title: z.string().trim().min(1).max(200),
    playlistPath: z
      .string()
      .max(300)
      .regex(/^[A-Za-z0-9_-][A-Za-z0-9_\-/.]*\.m3u8$/, 'must be a relative playlist path under the recordings directory')
      .refine((p) => !p.split('/').some((part) => part === '..' || part === '.' || part === ''), 'must not leave the recordings directory')
      .meta({ description: 'Relative to the recordings directory; no empty, "." or ".." segments' }),
    durationSeconds: z
      .number()
      .positive()
      .max(24 * 3600),
  }),
  z.object({
    id: lessonId.optional(),
    kind: z.literal('upload'),
    title: z.string().trim().min(1).max(200),
    recordingId: objectId.meta({ description: 'A ready recording of an uploaded video (GET /uploads, GET /recordings/unattached)' }),
  }),
  z.object({
    id: lessonId.optional(),
    kind: z.literal('text'),
    title: z.string().trim().min(1).max(200),
    body: z.string().max(100_000),
    durationSeconds: z
      .number()
      .positive()
      .max(24 * 3600)
      .default(300),
  }),
  z
    .object({
      id: lessonId.optional(),
      kind: z.literal('quiz'),
      title: z.string().trim().min(1).max(200),
    })
    .meta({ description: 'A quiz: its questions and settings are set apart, by PUT /courses/:id/lessons/:lessonId/quiz' }),
]);
export type LessonInput = z.infer<typeof lessonInput>;

export const moduleInput = z.object({
  id: lessonId.optional(),
  title: z.string().trim().min(1).max(200),
  lessons: z.array(lessonInput).max(200),
});

export const courseStructureBody = z.object({ modules: z.array(moduleInput).max(100) });
export type CourseStructureBody = z.infer<typeof courseStructureBody>;

const courseFields = {
  title: z.string().trim().min(3).max(200),
  description: z.string().trim().max(5000),
  track: z.string().trim().min(2).max(80),
  completionThreshold: z.number().min(0.5).max(1),
  presenceShare: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .meta({ description: 'Set: a seminar lesson completes only with this share of its presence checks confirmed; null: no such rule' }),
  quizRule: z.enum(['none', 'all_passed']).meta({
    description: "'all_passed': the course completes with every lesson watched and every quiz passed; 'none': quizzes do not count",
  }),
};
export const createCourseBody = z.object({
  ...courseFields,
  description: courseFields.description.default(''),
  completionThreshold: courseFields.completionThreshold.default(0.9),
  presenceShare: courseFields.presenceShare.default(null),
  quizRule: courseFields.quizRule.default('all_passed'),
});
// No defaults here: a PATCH changes only what it names.
export const updateCourseBody = z
  .object(courseFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .meta({ minProperties: 1 });

export const lessonView = z.object({
  id: z.string(),
  kind: z.enum(['recording', 'hls', 'text', 'upload', 'quiz']),
  title: z.string(),
  seminarId: objectId.nullable(),
  recordingId: objectId.nullable().meta({ description: 'An upload lesson’s recording; null for other kinds' }),
  durationSeconds: z.number().nullable(),
});
export const courseView = z.object({
  id: objectId,
  title: z.string(),
  description: z.string(),
  track: z.string(),
  published: z.boolean(),
  completionThreshold: z.number(),
  presenceShare: z.number().nullable(),
  quizRule: courseFields.quizRule,
  ownerIds: z.array(objectId),
  modules: z.array(z.object({ id: z.string(), title: z.string(), lessons: z.array(lessonView) })),
});
export type CourseView = z.infer<typeof courseView>;

export const lessonProgressView = z.object({
  lessonId: z.string(),
  coveredSeconds: z.number(),
  durationSeconds: z.number().nullable(),
  fraction: z.number(),
  complete: z.boolean(),
  resumePosition: z.number(),
  liveSeconds: z.number(),
});
export const myCourseView = z.object({
  course: courseView,
  percent: z.number().meta({ description: 'Share of the lessons completed, 0–100' }),
  completedLessons: z.number(),
  totalLessons: z.number(),
  watchedPercent: z.number().meta({
    description: 'Share of the course’s known length actually watched or read, 0–100 (covered seconds over the lessons’ durations)',
  }),
  watchedSeconds: z.number(),
  /** Lessons whose length is not known yet (a recording still in progress) add nothing. */
  totalSeconds: z.number(),
  lessons: z.array(lessonProgressView),
});

/** A lesson's neighbour in the course's order, for previous/next. */
export const lessonLink = z.object({ id: z.string(), kind: lessonView.shape.kind, title: z.string(), seminarId: objectId.nullable() });
export const lessonContentView = z.object({
  courseId: objectId,
  courseTitle: z.string(),
  moduleTitle: z.string(),
  lesson: lessonView,
  /** A text lesson's Markdown rendered to HTML with raw HTML off (markdown-it); null for other kinds. */
  html: z.string().nullable(),
  /** An upload lesson's video: signed, expiring HLS links (as seminar playback has); null for other kinds. */
  video: z
    .object({
      playlistUrl: z.string(),
      posterUrl: z.string().nullable(),
      expiresAt: z.iso.datetime(),
      durationSeconds: z.number().nullable(),
      /** Its subtitle tracks, each with its transcript (the playlist is then a master playlist offering them). */
      subtitles: z.array(playbackSubtitle),
    })
    .nullable(),
  previous: lessonLink.nullable(),
  next: lessonLink.nullable(),
});
export type LessonContentView = z.infer<typeof lessonContentView>;
export const courseStatsView = z.object({
  courseId: objectId,
  enrolled: z.number(),
  completedCourse: z.number(),
  averagePercent: z.number(),
  lessons: z.array(z.object({ lessonId: z.string(), title: z.string(), started: z.number(), completed: z.number() })),
});

// The course builder (issue 13): the structure as its lecturers edit it, the recordings it
// may take as lessons, and a text lesson's Markdown rendered as learners will see it.

/** A lesson with what its learners do not see: a text lesson's Markdown, an HLS lesson's playlist. */
export const editableLessonView = z.object({
  id: z.string(),
  kind: lessonView.shape.kind,
  title: z.string(),
  seminarId: objectId.nullable(),
  playlistPath: z.string().nullable(),
  recordingId: lessonView.shape.recordingId,
  body: z.string().nullable(),
  durationSeconds: z.number().nullable(),
});
export type EditableLessonView = z.infer<typeof editableLessonView>;
export const courseStructureView = z.object({
  courseId: objectId,
  modules: z.array(z.object({ id: z.string(), title: z.string(), lessons: z.array(editableLessonView) })),
});
export type CourseStructureView = z.infer<typeof courseStructureView>;

export const attachableRecordingView = z.object({
  kind: z.enum(['seminar', 'upload']).meta({
    description:
      "'seminar': a seminar's recording, attached as a `recording` lesson (by seminarId); 'upload': a video one of the course's owners uploaded, attached as an `upload` lesson (by recordingId)",
  }),
  recordingId: z.string(),
  seminarId: objectId.nullable().meta({ description: 'The seminar it records; null for an upload' }),
  title: z.string().meta({
    description:
      "The lesson's title unless the lecturer changes it: the seminar's title, or the upload's (its name in the library, else its file name without the extension)",
  }),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().nullable(),
});
export type AttachableRecordingView = z.infer<typeof attachableRecordingView>;

export const markdownPreviewBody = z.object({
  /** The lesson's title: a first heading that repeats it is left out, as on the lesson's page. */
  title: z.string().trim().max(200).default(''),
  body: z.string().max(100_000),
});
export const markdownPreviewView = z.object({ html: z.string() });
