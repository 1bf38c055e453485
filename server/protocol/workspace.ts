import { z } from 'zod';
import { locale, objectId, role } from './common';

// The lecturer's and admin's workspace: registration questions and their answers,
// the registrations list, the lecturer search, and the admin's user list.

export const MAX_QUESTIONS = 10;

export const questionId = z
  .string()
  .regex(/^[a-z0-9]{1,16}$/, 'must be 1-16 lowercase letters or digits')
  .meta({ description: 'Chosen by the organiser’s page (q1, q2 …); unique within the seminar' });

export const registrationQuestion = z
  .object({
    id: questionId,
    label: z.string().trim().min(1).max(200),
    kind: z.enum(['text', 'choice']),
    required: z.boolean(),
    /** The choices of a choice question; absent (or empty) for a text one. */
    options: z.array(z.string().trim().min(1).max(100)).max(20).default([]),
  })
  .refine((q) => (q.kind === 'choice' ? q.options.length >= 2 : q.options.length === 0), {
    message: 'a choice question needs 2-20 options; a text question none',
    path: ['options'],
  })
  .refine((q) => new Set(q.options).size === q.options.length, { message: 'must not repeat an option', path: ['options'] })
  .meta({ description: 'A choice question has 2-20 distinct options; a text question has none' });
export type RegistrationQuestion = z.infer<typeof registrationQuestion>;

export const registrationQuestions = z
  .array(registrationQuestion)
  .max(MAX_QUESTIONS)
  .refine((qs) => new Set(qs.map((q) => q.id)).size === qs.length, 'must not repeat a question id')
  .meta({ description: 'The organiser’s own questions, asked on registration; ids are unique' });

export const MAX_ANSWER_LENGTH = 1000;

export const registrationAnswers = z
  .record(questionId, z.string().trim().max(MAX_ANSWER_LENGTH))
  .refine((a) => Object.keys(a).length <= MAX_QUESTIONS, `must answer at most ${MAX_QUESTIONS} questions`)
  .meta({ maxProperties: MAX_QUESTIONS, description: 'Answers by question id; a choice answer is one of its options' });
export type RegistrationAnswers = z.infer<typeof registrationAnswers>;

export const registerForSeminarBody = z.object({ answers: registrationAnswers.default({}) });

export const registrantView = z.object({
  userId: objectId,
  displayName: z.string(),
  email: z.string(),
  status: z.enum(['registered', 'waitlisted']),
  createdAt: z.iso.datetime(),
  answers: z.record(z.string(), z.string()),
});
export type RegistrantView = z.infer<typeof registrantView>;

export const mySeminarsQuery = z.object({
  status: z.enum(['draft', 'scheduled', 'live', 'ended', 'cancelled']).optional(),
});

export const lecturerSearchQuery = z
  .object({
    q: z.string().trim().min(2).max(100).optional(),
    ids: z
      .string()
      .regex(/^[0-9a-f]{24}(,[0-9a-f]{24}){0,4}$/, 'must be 1-5 comma-separated ids')
      .optional()
      .meta({ description: 'Up to 5 comma-separated user ids: names for lecturers already chosen' }),
  })
  .refine((q) => (q.q === undefined) !== (q.ids === undefined), 'give either q or ids')
  .meta({ description: 'Exactly one of q and ids' });

export const lecturerView = z.object({ id: objectId, displayName: z.string() });

export const userListQuery = z.object({
  q: z.string().trim().max(100).optional().meta({ description: 'Part of the name, or the start of the e-mail; case-insensitive' }),
  role: role.optional(),
});

export const adminUserView = z.object({
  id: objectId,
  email: z.string(),
  displayName: z.string(),
  locale,
  roles: z.array(role),
  createdAt: z.iso.datetime(),
  disabled: z.boolean(),
});
export type AdminUserView = z.infer<typeof adminUserView>;

export const disabledBody = z.object({ disabled: z.boolean() });
