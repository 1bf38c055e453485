import { z } from 'zod';
import { objectId } from './common';

// Polls of a live seminar (issue 15): the lecturer prepares or makes one on the spot, opens and
// closes it; signed-in viewers vote once. Events of the /live namespace (registered in
// clientEvents, live.ts), and the results as the replay and the analytics show them.

export const POLL_QUESTION_MAX = 300;
export const POLL_OPTION_MAX = 120;
export const POLL_OPTIONS_MIN = 2;
export const POLL_OPTIONS_MAX = 10;
/** Polls per seminar: a seminar of a few hours has a handful; this bounds what one lecturer can store. */
export const POLLS_PER_SEMINAR = 50;

/** When viewers see the counts: right after their own vote, or only once the lecturer closes the poll. */
export const pollResultsShown = z.enum(['after_vote', 'at_close']);
export type PollResultsShown = z.infer<typeof pollResultsShown>;

export const pollStatus = z.enum(['draft', 'open', 'closed']);

export const pollDraft = z.object({
  question: z.string().trim().min(1).max(POLL_QUESTION_MAX),
  options: z.array(z.string().trim().min(1).max(POLL_OPTION_MAX)).min(POLL_OPTIONS_MIN).max(POLL_OPTIONS_MAX),
  /** Several options may be chosen at once. */
  multiple: z.boolean(),
  showResults: pollResultsShown,
});
export type PollDraft = z.infer<typeof pollDraft>;

const pollRef = z.object({ pollId: objectId });

export const pollEvents = {
  /** The lecturer prepares a poll (before the seminar or on the spot); it stays a draft until opened. */
  'poll:create': pollDraft,
  /** The lecturer opens a draft for votes: the seminar must be live. */
  'poll:open': pollRef,
  'poll:close': pollRef,
  /** A signed-in viewer's choice: one option index, or several for a multiple-choice poll. Once per poll. */
  'poll:vote': pollRef.extend({
    choices: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(POLL_OPTIONS_MAX - 1),
      )
      .min(1)
      .max(POLL_OPTIONS_MAX),
  }),
  /** The seminar's polls as this user may see them (drafts only for lecturers). */
  'poll:list': z.object({}),
} as const;

const count = z.number().int().min(0);

export const pollView = z.object({
  id: z.string(),
  question: z.string(),
  options: z.array(z.string()),
  multiple: z.boolean(),
  showResults: pollResultsShown,
  status: pollStatus,
  /** Milliseconds from the live start when it opened and closed: where it sits on the replay's timeline. */
  openedOffsetMs: z.number().nullable(),
  closedOffsetMs: z.number().nullable(),
  /** Votes per option; null while this viewer may not see them yet. */
  counts: z.array(count).nullable(),
  /** People who voted; null with the counts. */
  voters: count.nullable(),
  /** This user's own vote, if any (always null in broadcasts). */
  myChoices: z.array(count).nullable(),
});
export type PollView = z.infer<typeof pollView>;

/** A poll that was opened, with its results: the replay's timeline and the analytics. */
export const pollResult = z.object({
  id: z.string(),
  question: z.string(),
  options: z.array(z.string()),
  multiple: z.boolean(),
  openedOffsetMs: z.number(),
  closedOffsetMs: z.number().nullable(),
  counts: z.array(count),
  voters: count,
});
export type PollResult = z.infer<typeof pollResult>;
