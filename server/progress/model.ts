import type { Interval } from './intervals';

export interface ProgressRecord {
  userId: string;
  /** A lesson id, or a seminar id for a recorded seminar (live attendance lands there too). */
  contentId: string;
  intervals: Interval[];
  coveredSeconds: number;
  resumePosition: number;
  /** The client clock of the heartbeat that set resumePosition: older heartbeats do not move it back. */
  resumeSentAt: number;
  durationSeconds: number | null;
  /** Seconds attended live, per live session, so a repeated report never double-counts. */
  live: Record<string, number>;
  /** Optimistic-concurrency version: each write expects the one it read. */
  version: number;
}

/** What became of one record of a batch: written, or refused because the stored version moved on. */
export type SaveOutcome = 'saved' | 'conflict' | { error: string };

export interface ProgressRepository {
  get(userId: string, contentId: string): Promise<ProgressRecord | null>;
  /** Writes `next` if the stored version is still `next.version - 1` (0: not stored yet). */
  save(next: ProgressRecord): Promise<boolean>;
  /**
   * `save` for many records in one round trip, each still conditional on its version; the
   * outcomes are in the records' order. Throws when it cannot tell what was written (the
   * database unreachable): conditional writes make the whole batch safe to retry.
   */
  saveMany(records: ProgressRecord[]): Promise<SaveOutcome[]>;
  listForUser(userId: string, contentIds: string[]): Promise<ProgressRecord[]>;
  listForContents(contentIds: string[], userIds: string[]): Promise<ProgressRecord[]>;
}

export function liveSeconds(record: Pick<ProgressRecord, 'live'>): number {
  return Object.values(record.live).reduce((a, b) => a + b, 0);
}

export function emptyProgress(userId: string, contentId: string): ProgressRecord {
  return {
    userId,
    contentId,
    intervals: [],
    coveredSeconds: 0,
    resumePosition: 0,
    resumeSentAt: 0,
    durationSeconds: null,
    live: {},
    version: 0,
  };
}
