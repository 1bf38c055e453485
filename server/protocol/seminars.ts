import { DateTime } from 'luxon';
import { z } from 'zod';
import { locale, objectId } from './common';
import { registrationQuestion, registrationQuestions } from './workspace';

export const seminarStatus = z.enum(['draft', 'scheduled', 'live', 'ended', 'cancelled']);
export type SeminarStatusWire = z.infer<typeof seminarStatus>;

export const timeZone = z
  .string()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return tz.includes('/') || tz === 'UTC';
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Moscow')
  .meta({ description: 'An IANA time zone with a "/" (Europe/Moscow), or UTC' });

/** Wall-clock time in the seminar's zone, as staff type it: 2026-12-03T18:30 */
export const localDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be a local date-time like 2026-12-03T18:30')
  .refine((v) => DateTime.fromISO(v, { zone: 'UTC' }).isValid, 'must be a date and time that exist')
  .meta({ description: 'Wall-clock date and time in the seminar’s zone, e.g. 2026-12-03T18:30; the date must exist' });

const seminarFields = {
  title: z.string().trim().min(3).max(200),
  description: z.string().trim().max(5000).default(''),
  track: z.string().trim().min(2).max(80),
  language: locale.default('ru'),
  startsAt: localDateTime,
  timeZone: timeZone.default('Europe/Moscow'),
  durationMinutes: z.number().int().min(15).max(600),
  capacity: z.number().int().min(1).max(100_000),
  isPublic: z.boolean().default(false),
  lecturerIds: z.array(objectId).min(1).max(5).optional(),
  courseId: objectId.optional(),
  questions: registrationQuestions.default([]),
};

export const createSeminarBody = z.object(seminarFields);
export type CreateSeminarBody = z.infer<typeof createSeminarBody>;

export const updateSeminarBody = z
  .object({
    title: seminarFields.title,
    description: z.string().trim().max(5000),
    track: seminarFields.track,
    language: locale,
    startsAt: localDateTime,
    timeZone,
    durationMinutes: seminarFields.durationMinutes,
    capacity: seminarFields.capacity,
    isPublic: z.boolean(),
    lecturerIds: z.array(objectId).min(1).max(5),
    questions: registrationQuestions,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .meta({ minProperties: 1 });
export type UpdateSeminarBody = z.infer<typeof updateSeminarBody>;

export const transitionBody = z.object({ to: z.enum(['scheduled', 'live', 'ended', 'cancelled']) });

/** Which part of the catalogue: a filter on status, narrowed further by `status` when both are given. */
export const seminarWhen = z.enum(['live', 'upcoming', 'past']);
export type SeminarWhen = z.infer<typeof seminarWhen>;

const instant = z.iso.datetime({ offset: true });

export const seminarListQuery = z.object({
  status: seminarStatus.optional(),
  track: z.string().max(80).optional(),
  when: seminarWhen.optional().meta({
    description:
      'live: on air now; upcoming: scheduled (and drafts, to those who may see them), soonest first; past: ended, most recent first. Cancelled seminars are in none of them.',
  }),
  startsFrom: instant.optional().meta({ description: 'Only seminars starting at or after this instant (ISO 8601 with Z or an offset)' }),
  startsBefore: instant.optional().meta({ description: 'Only seminars starting before this instant (ISO 8601 with Z or an offset)' }),
});
export type SeminarListQuery = z.infer<typeof seminarListQuery>;

export const seminarView = z.object({
  id: objectId,
  title: z.string(),
  description: z.string(),
  track: z.string(),
  language: locale,
  status: seminarStatus,
  startsAt: z.iso.datetime(),
  startsAtLocal: localDateTime,
  timeZone: z.string(),
  durationMinutes: z.number(),
  capacity: z.number(),
  registeredCount: z.number(),
  isPublic: z.boolean(),
  lecturerIds: z.array(objectId),
  courseId: objectId.nullable(),
  sequence: z.number(),
  questions: z.array(registrationQuestion),
  encoreOf: objectId.nullable().meta({
    description: 'An encore (a repeat): the ended seminar whose recording it plays as a live event; null for an ordinary seminar',
  }),
});
export type SeminarView = z.infer<typeof seminarView>;

/** One seminar as its page shows it: with its lecturers' names. */
export const seminarPageView = seminarView.extend({
  lecturers: z.array(z.object({ id: objectId, displayName: z.string() })),
});
export type SeminarPageView = z.infer<typeof seminarPageView>;

export const registrationView = z.object({
  seminarId: objectId,
  status: z.enum(['registered', 'waitlisted']),
  waitlistPosition: z.number().int().nullable(),
  createdAt: z.iso.datetime(),
});
export type RegistrationView = z.infer<typeof registrationView>;

export const myRegistrationView = registrationView.extend({ seminar: seminarView });
