import { z } from 'zod';
import { locale } from './common';
import { pollResult } from './polls';
import { lessonView } from './courses';

// The analytics of the workspace (issue 13): a seminar's live audience and a course's
// funnel, per-lesson completion and watch heatmaps. Lecturers see their own, admins all.

const count = z.number().int().min(0);

export const seminarAnalyticsView = z.object({
  seminarId: z.string(),
  title: z.string(),
  status: z.enum(['draft', 'scheduled', 'live', 'ended', 'cancelled']),
  timeZone: z.string(),
  registered: count,
  waitlisted: count,
  attendees: count.meta({ description: 'Distinct users who joined the live room, the seminar’s lecturers not counted' }),
  registeredAttendees: count.meta({ description: 'Attendees who held a registration (registered or waitlisted)' }),
  peakViewers: count.meta({ description: 'The most users in the room at once, sampled each second' }),
  averageViewers: z.number().min(0).meta({ description: 'Viewers per second, averaged over the session; 2 decimals' }),
  averageMinutesLive: z.number().min(0).meta({ description: 'Minutes in the room per attendee, their overlaps counted once; 1 decimal' }),
  chatMessages: count.meta({ description: 'Chat messages, deleted ones not counted' }),
  questions: count,
  replayViewers: count.meta({ description: 'Learners who have watched some of the recording since' }),
  reactions: count.meta({ description: 'Reactions viewers sent live, those refused by the rate limit not counted' }),
  presenceChecks: count.meta({ description: 'Presence checks ("Are you here?") the lecturers asked' }),
  session: z
    .object({
      from: z.iso.datetime(),
      seconds: count,
      stepSeconds: z.number().int().min(1),
      viewers: z.array(count).meta({ description: 'The peak of viewers in each step of stepSeconds from `from`' }),
      engagement: z.array(count).meta({ description: 'Reactions in each step of stepSeconds from `from`, aligned with `viewers`' }),
    })
    .nullable()
    .meta({ description: 'The live session’s timeline; null when nobody attended' }),
  polls: z.array(pollResult).meta({ description: 'Polls opened during the session, in order, with votes per option (CSV: polls.csv)' }),
});
export type SeminarAnalyticsView = z.infer<typeof seminarAnalyticsView>;

export const lessonAnalyticsView = z.object({
  lessonId: z.string(),
  title: z.string(),
  kind: lessonView.shape.kind,
  durationSeconds: z.number().nullable(),
  started: count,
  completed: count,
  heatmap: z
    .object({
      bucketSeconds: z.number().positive(),
      viewers: z.array(count).meta({ description: 'Learners who watched at least half of each bucket, from the start' }),
    })
    .nullable()
    .meta({ description: 'Null for a text lesson or one of unknown length' }),
});
export type LessonAnalyticsView = z.infer<typeof lessonAnalyticsView>;

export const courseAnalyticsView = z.object({
  courseId: z.string(),
  title: z.string(),
  completionThreshold: z.number(),
  enrolled: count,
  started: count.meta({ description: 'Enrolled learners with some progress on some lesson' }),
  completed: count.meta({ description: 'Enrolled learners who completed every lesson' }),
  lessons: z.array(lessonAnalyticsView),
});
export type CourseAnalyticsView = z.infer<typeof courseAnalyticsView>;

export const csvLocaleQuery = z.object({
  locale: locale.default('ru').meta({ description: 'The language of the header row and of yes/no cells' }),
});
