import { has, type Actor } from '../accounts/grants';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { HeartbeatBody, ProgressView } from '../protocol';
import { coverage, mergeIntervals, type Interval } from './intervals';
import { emptyProgress, liveSeconds, type ProgressRecord, type ProgressRepository } from './model';

interface Pending {
  userId: string;
  contentId: string;
  intervals: Interval[];
  position: number;
  sentAt: number;
  durationSeconds: number | null;
}

export interface ProgressDeps {
  repo: ProgressRepository;
  /** Whether learners can see this lesson or seminar (cached by the caller). */
  contentExists(contentId: string): Promise<boolean>;
  flushIntervalMs?: number;
  onFlushError?(err: unknown): void;
}

/**
 * Watch progress. Heartbeats are merged in memory per learner and content and
 * written once per flush interval, so a burst of heartbeats costs one write.
 * Players send all they watched since the page opened, so even the buffer lost
 * in a crash is re-sent by the next heartbeat; stop() flushes everything.
 */
export class ProgressService {
  private readonly pending = new Map<string, Pending>();
  /** The record as this process last wrote it: a flush reads the database only after a conflict. */
  private readonly saved = new Map<string, ProgressRecord>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: ProgressDeps) {
    this.timer = setInterval(() => void this.flush(), deps.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  async heartbeat(actor: Actor, hb: HeartbeatBody): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'progress:write')) throw new ForbiddenError();
    if (!(await this.deps.contentExists(hb.contentId))) throw new NotFoundError('content_not_found', 'No such lesson or seminar');
    const key = `${actor.userId}:${hb.contentId}`;
    const prev = this.pending.get(key);
    const duration = hb.durationSeconds ?? prev?.durationSeconds ?? null;
    const newer = !prev || hb.sentAt >= prev.sentAt;
    this.pending.set(key, {
      userId: actor.userId,
      contentId: hb.contentId,
      intervals: mergeIntervals(prev?.intervals ?? [], hb.intervals, duration),
      position: newer ? hb.position : prev.position,
      sentAt: newer ? hb.sentAt : prev.sentAt,
      durationSeconds: duration,
    });
  }

  /** The stored progress with what is still buffered merged in: a learner reads their own writes. */
  async get(actor: Actor, contentId: string): Promise<ProgressView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const stored = (await this.deps.repo.get(actor.userId, contentId)) ?? emptyProgress(actor.userId, contentId);
    const buffered = this.pending.get(`${actor.userId}:${contentId}`);
    return progressView(buffered ? apply(stored, buffered) : stored);
  }

  /** Live attendance from the live room: seconds per live session, kept as a maximum so reports are idempotent. */
  async recordLiveAttendance(input: { userId: string; seminarId: string; sessionId: string; seconds: number }): Promise<void> {
    await this.deps.repo.recordLive(input.userId, input.seminarId, input.sessionId, Math.max(0, Math.round(input.seconds)));
  }

  records(userId: string, contentIds: string[]): Promise<ProgressRecord[]> {
    return this.deps.repo.listForUser(userId, contentIds);
  }

  recordsFor(contentIds: string[], userIds: string[]): Promise<ProgressRecord[]> {
    return this.deps.repo.listForContents(contentIds, userIds);
  }

  /** Writes everything buffered. Flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  /** Stops the timer and writes what is buffered; throws if it cannot, so no shutdown drops progress silently. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.timer);
    }
    for (let attempt = 1; ; attempt++) {
      await this.flush();
      if (this.pending.size === 0) return;
      if (attempt >= 5) throw new Error(`could not write ${this.pending.size} buffered progress records`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }

  get bufferedCount(): number {
    return this.pending.size;
  }

  private async flushOnce(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending.clear();
    const queue = batch.slice();
    // Two writers: the embedded database is a single SQLite file, and more in flight only queue there.
    const workers = Array.from({ length: Math.min(2, queue.length) }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        try {
          await this.write(item);
        } catch (err) {
          // Put it back unless a newer heartbeat already covers it; it is retried next flush.
          const key = `${item.userId}:${item.contentId}`;
          const newer = this.pending.get(key);
          this.pending.set(key, newer ? mergePending(item, newer) : item);
          this.deps.onFlushError?.(err);
        }
      }
    });
    await Promise.all(workers);
  }

  private async write(item: Pending): Promise<void> {
    const key = `${item.userId}:${item.contentId}`;
    for (let attempt = 0; ; attempt++) {
      const known = attempt === 0 ? this.saved.get(key) : undefined;
      const stored = known ?? (await this.deps.repo.get(item.userId, item.contentId)) ?? emptyProgress(item.userId, item.contentId);
      const next = apply(stored, item);
      if (await this.deps.repo.save(next)) {
        if (this.saved.size >= 50_000) this.saved.delete(this.saved.keys().next().value!);
        this.saved.delete(key);
        this.saved.set(key, next);
        return;
      }
      // Another node (or tab's flush) wrote first: read theirs and merge again.
      this.saved.delete(key);
      if (attempt > 20) throw new Error(`progress write for ${key} kept conflicting`);
    }
  }
}

function apply(stored: ProgressRecord, p: Pending): ProgressRecord {
  const duration = p.durationSeconds ?? stored.durationSeconds;
  const intervals = mergeIntervals(stored.intervals, p.intervals, duration);
  const newer = p.sentAt >= stored.resumeSentAt;
  return {
    ...stored,
    intervals,
    coveredSeconds: coverage(intervals),
    durationSeconds: duration,
    resumePosition: newer ? p.position : stored.resumePosition,
    resumeSentAt: newer ? p.sentAt : stored.resumeSentAt,
    version: stored.version + 1,
  };
}

function mergePending(a: Pending, b: Pending): Pending {
  const newer = b.sentAt >= a.sentAt ? b : a;
  const duration = b.durationSeconds ?? a.durationSeconds;
  return { ...newer, intervals: mergeIntervals(a.intervals, b.intervals, duration), durationSeconds: duration };
}

export function progressView(r: ProgressRecord): ProgressView {
  return {
    contentId: r.contentId,
    coveredSeconds: r.coveredSeconds,
    intervals: r.intervals,
    resumePosition: r.resumePosition,
    durationSeconds: r.durationSeconds,
    liveSeconds: liveSeconds(r),
  };
}
