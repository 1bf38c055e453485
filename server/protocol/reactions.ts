import { z } from 'zod';

// Reactions in a live room (issue 15): viewers send one of a few fixed kinds; the server
// counts them per room and pushes the counts a few times a second, never one event per click.

/** The fixed set, by name on the wire (the pages draw the emoji). */
export const REACTION_KINDS = ['like', 'clap', 'heart', 'laugh', 'think', 'fire'] as const;
export const reactionKind = z.enum(REACTION_KINDS);
export type ReactionKind = z.infer<typeof reactionKind>;

/** Counts per kind; kinds nobody sent are left out. */
export const reactionCounts = z.partialRecord(reactionKind, z.number().int().min(1));
export type ReactionCounts = z.infer<typeof reactionCounts>;

export const reactionClientEvents = {
  /** A viewer's reaction: counted into the room's next update (reaction:burst). */
  'reaction:send': z.object({ kind: reactionKind }),
} as const;

/** One window's reactions in a room, pushed to everyone in it. */
export const reactionBurst = z.object({ counts: reactionCounts });
export type ReactionBurst = z.infer<typeof reactionBurst>;
