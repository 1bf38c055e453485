// Reactions and presence checks as the domain stores them: no Socket.IO, no mongoose.
import type { ReactionCounts } from '../protocol';

/** One aggregation window's reactions in one room: `at` and its offset from the live start. */
export interface ReactionWindow {
  seminarId: string;
  at: Date;
  offsetMs: number;
  counts: ReactionCounts;
  total: number;
}

export interface PresenceCheckRecord {
  id: string;
  seminarId: string;
  askedAt: Date;
  offsetMs: number;
  closesAt: Date;
  /** Viewers in the room when it was asked (on the asking node): the lecturer's "N of M". */
  viewersAsked: number;
}

export interface PresenceAnswer {
  checkId: string;
  seminarId: string;
  userId: string;
  at: Date;
}

export interface AudienceRepository {
  /** Stores the windows of one flush (several rooms) in one write. */
  addReactionWindows(windows: ReactionWindow[]): Promise<void>;
  /** A seminar's windows in time order, a batch at a time (a long seminar holds tens of thousands). */
  reactionWindows(seminarId: string, batchSize: number): AsyncIterable<Array<Pick<ReactionWindow, 'at' | 'total'>>>;
  addCheck(check: Omit<PresenceCheckRecord, 'id'>): Promise<PresenceCheckRecord>;
  check(seminarId: string, checkId: string): Promise<PresenceCheckRecord | null>;
  /** The seminar's checks by time of asking (a handful an hour: the ask is rate-limited). */
  checks(seminarId: string): Promise<PresenceCheckRecord[]>;
  /** False when this user had already confirmed this check. */
  addAnswer(answer: PresenceAnswer): Promise<boolean>;
  countAnswers(checkId: string): Promise<number>;
  /** The answers of these users in the seminar. */
  answersOf(seminarId: string, userIds: string[]): Promise<PresenceAnswer[]>;
  ensureIndexes(): Promise<unknown>;
}
