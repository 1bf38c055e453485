import { z } from 'zod';
import { objectId } from './common';

// Presence checks (issue 15): the lecturer asks "Are you here?", now or every N minutes
// while live; each viewer in the room then has a window (a minute by default) to confirm.

export const PRESENCE_SCHEDULE_MINUTES = { min: 1, max: 240 } as const;

export const presenceCheckClientEvents = {
  /** The lecturer asks now. */
  'presence:ask': z.object({}),
  /** The lecturer's schedule while the seminar is live: every N minutes, or null for none. */
  'presence:schedule': z.object({
    everyMinutes: z.number().int().min(PRESENCE_SCHEDULE_MINUTES.min).max(PRESENCE_SCHEDULE_MINUTES.max).nullable(),
  }),
  /** A viewer's "I am here" to an open check. */
  'presence:confirm': z.object({ checkId: objectId }),
  /** Where the room stands: the schedule, and the check open now (for a page that joined late). */
  'presence:state': z.object({}),
} as const;

/** A check as the room sees it: viewers confirm before `closesAt`. */
export const presenceCheckView = z.object({
  checkId: z.string(),
  askedAt: z.iso.datetime(),
  closesAt: z.iso.datetime(),
  /** The window's length, so a client with a wrong clock still counts down the right time. */
  windowMs: z.number().int().positive(),
});
export type PresenceCheckView = z.infer<typeof presenceCheckView>;

/** To the lecturers: a check closed, and how many confirmed of the viewers who were in the room. */
export const presenceCheckResult = z.object({ checkId: z.string(), confirmed: z.number().int().min(0), asked: z.number().int().min(0) });
export type PresenceCheckResult = z.infer<typeof presenceCheckResult>;

export const presenceSchedule = z.object({ everyMinutes: z.number().int().nullable() });
export type PresenceSchedule = z.infer<typeof presenceSchedule>;

export const presenceState = z.object({ everyMinutes: z.number().int().nullable(), open: presenceCheckView.nullable() });
export type PresenceState = z.infer<typeof presenceState>;
