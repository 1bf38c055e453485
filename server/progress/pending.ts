// What a learner reported and the database does not hold yet, and how it merges:
// with later reports while buffered, and with the stored record when written.
import { coverage, mergeIntervals, type Interval } from './intervals';
import type { ProgressRecord } from './model';

export interface Pending {
  userId: string;
  contentId: string;
  intervals: Interval[];
  position: number;
  /** Client clock of the heartbeat that set `position`; 0 when only live attendance was reported. */
  sentAt: number;
  durationSeconds: number | null;
  /** Seconds attended per live session (a maximum, so repeated reports never double-count). */
  live: Record<string, number>;
}

export const pendingKey = (userId: string, contentId: string) => `${userId}:${contentId}`;

/** Both reports in one: intervals united, the newer position kept, live sessions at their maximum. */
export function mergePending(a: Pending, b: Pending): Pending {
  const newer = b.sentAt >= a.sentAt ? b : a;
  const duration = b.durationSeconds ?? a.durationSeconds;
  return {
    userId: a.userId,
    contentId: a.contentId,
    intervals: mergeIntervals(a.intervals, b.intervals, duration),
    position: newer.position,
    sentAt: newer.sentAt,
    durationSeconds: duration,
    live: maxLive(a.live, b.live),
  };
}

/** The stored record with a buffered report applied: the next version to write. */
export function applyPending(stored: ProgressRecord, p: Pending): ProgressRecord {
  const duration = p.durationSeconds ?? stored.durationSeconds;
  const intervals = mergeIntervals(stored.intervals, p.intervals, duration);
  const newer = p.sentAt > 0 && p.sentAt >= stored.resumeSentAt;
  return {
    ...stored,
    intervals,
    coveredSeconds: coverage(intervals),
    durationSeconds: duration,
    resumePosition: newer ? p.position : stored.resumePosition,
    resumeSentAt: newer ? p.sentAt : stored.resumeSentAt,
    live: maxLive(stored.live, p.live),
    version: stored.version + 1,
  };
}

function maxLive(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [session, seconds] of Object.entries(b)) out[session] = Math.max(out[session] ?? 0, seconds);
  return out;
}
