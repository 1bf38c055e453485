import { has, type Actor } from '../accounts/grants';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { HeartbeatBody, ProgressView } from '../protocol';
import { mergeIntervals } from './intervals';
import type { ProgressJournal } from './journal';
import { emptyProgress, liveSeconds, type ProgressRecord, type ProgressRepository } from './model';
import { applyPending, mergePending, pendingKey, type Pending } from './pending';

export interface ProgressDeps {
  repo: ProgressRepository;
  /** Whether learners can see this lesson or seminar (cached by the caller). */
  contentExists(contentId: string): Promise<boolean>;
  flushIntervalMs?: number;
  /** Where close() puts what it could not write; without one, close() throws instead. */
  journal?: ProgressJournal;
  /** How long close() keeps trying the database before it writes the journal. */
  closeTimeoutMs?: number;
  /** Longest wait between flush attempts while the database keeps failing. */
  maxBackoffMs?: number;
  onFlushError?(err: unknown): void;
  onJournal?(event: { written?: string; replayed?: string[]; removed?: string[]; unreadable?: string[]; records: number }): void;
}

/** One flush, for metrics and benchmarks. */
export interface FlushReport {
  /** Records taken from the buffer. */
  records: number;
  written: number;
  /** Writes refused because another writer moved the stored version on; re-read and retried. */
  conflicts: number;
  /** Records put back in the buffer for a later flush (failed, or still conflicting). */
  requeued: number;
  ms: number;
  /** Buffered records when the flush began. */
  buffered: number;
  /** Who and what was written: course completion is checked for these after the flush (courses/completions.ts). */
  saved: Array<{ userId: string; contentId: string }>;
  error?: unknown;
}

/** Records per bulkWrite: a flush after an outage writes in steps, not in one huge command. */
const BATCH = 1000;
/** Rounds of re-read and retry for conflicting records within one flush. */
const CONFLICT_ROUNDS = 3;
const SAVED_CACHE = 100_000;

/**
 * Watch progress. Heartbeats (and live attendance) are merged in memory per learner and
 * content and written once per flush interval, so a burst of reports costs one write, and
 * one flush is one bulkWrite. Nothing accepted is dropped: a record that fails to write is
 * put back and retried, with backoff while the database is down; close() writes what it can
 * and leaves the rest in a journal on disk, which the next start replays. Players also send
 * all they watched since the page opened, so even a buffer lost in a crash is re-sent by the
 * next heartbeat of a learner still watching.
 */
export class ProgressService {
  private pending = new Map<string, Pending>();
  /** Taken from `pending` by the flush under way: still the learner's, for reads and for the journal. */
  private inFlight = new Map<string, Pending>();
  /** The record as this process last wrote it: a flush reads the database only after a conflict. */
  private readonly saved = new Map<string, ProgressRecord>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;
  /** A flush is running: the timer does not queue more behind one that waits on a dead database. */
  private busy = false;
  private failures = 0;
  private retryAt = 0;
  /** Journal files replayed at start, and the keys of theirs not yet written. */
  private replayed: { files: string[]; keys: Set<string> } | undefined;
  private readonly listeners = new Set<(r: FlushReport) => void>();

  constructor(private readonly deps: ProgressDeps) {
    this.timer = setInterval(() => {
      if (!this.busy && Date.now() >= this.retryAt) void this.flush();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private get flushIntervalMs(): number {
    return this.deps.flushIntervalMs ?? 1000;
  }

  async heartbeat(actor: Actor, hb: HeartbeatBody): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'progress:write')) throw new ForbiddenError();
    if (!(await this.deps.contentExists(hb.contentId))) throw new NotFoundError('content_not_found', 'No such lesson or seminar');
    const duration = hb.durationSeconds ?? null;
    this.buffer({
      userId: actor.userId,
      contentId: hb.contentId,
      intervals: mergeIntervals([], hb.intervals, duration),
      position: hb.position,
      sentAt: hb.sentAt,
      durationSeconds: duration,
      live: {},
    });
  }

  /** The stored progress with what is still buffered merged in: a learner reads their own writes. */
  async get(actor: Actor, contentId: string): Promise<ProgressView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const key = pendingKey(actor.userId, contentId);
    const stored = (await this.deps.repo.get(actor.userId, contentId)) ?? emptyProgress(actor.userId, contentId);
    const buffered = [this.inFlight.get(key), this.pending.get(key)].filter((p) => p !== undefined);
    return progressView(buffered.reduce(applyPending, stored));
  }

  /**
   * Live attendance from the live room: seconds per live session, kept as a maximum so reports
   * are idempotent. Buffered like heartbeats, so a checkpoint never waits on (or fails with)
   * the database.
   */
  recordLiveAttendance(input: { userId: string; seminarId: string; sessionId: string; seconds: number }): Promise<void> {
    this.buffer({
      userId: input.userId,
      contentId: input.seminarId,
      intervals: [],
      position: 0,
      sentAt: 0,
      durationSeconds: null,
      // Field names: MongoDB paths cannot hold '.' or '$'.
      live: { [input.sessionId.replace(/[.$]/g, '_')]: Math.max(0, Math.round(input.seconds)) },
    });
    return Promise.resolve();
  }

  /** A learner's records with what is still buffered merged in, as get() reads them: "My learning" is never behind the player. */
  async records(userId: string, contentIds: string[]): Promise<ProgressRecord[]> {
    const stored = new Map((await this.deps.repo.listForUser(userId, contentIds)).map((r) => [r.contentId, r]));
    const out: ProgressRecord[] = [];
    for (const contentId of new Set(contentIds)) {
      const key = pendingKey(userId, contentId);
      const buffered = [this.inFlight.get(key), this.pending.get(key)].filter((p) => p !== undefined);
      const record = stored.get(contentId);
      if (buffered.length === 0) {
        if (record) out.push(record);
        continue;
      }
      out.push(buffered.reduce(applyPending, record ?? emptyProgress(userId, contentId)));
    }
    return out;
  }

  recordsFor(contentIds: string[], userIds: string[]): Promise<ProgressRecord[]> {
    return this.deps.repo.listForContents(contentIds, userIds);
  }

  /** Writes everything buffered. Flushes never overlap. Never rejects: what fails stays buffered. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce()).catch((err: unknown) => this.deps.onFlushError?.(err));
    return this.flushing;
  }

  /** Calls `listener` after every flush that had something to write; returns the unsubscribe. */
  onFlush(listener: (r: FlushReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Loads the journal that an earlier shutdown left, into the buffer; the files are removed
   * once the database holds every record of theirs.
   */
  async replayJournal(): Promise<void> {
    const journal = this.deps.journal;
    if (!journal) return;
    const { entries, unreadable } = await journal.read();
    if (entries.length === 0 && unreadable.length === 0) return;
    const keys = new Set<string>();
    for (const entry of entries) {
      for (const record of entry.records) {
        this.buffer(record);
        keys.add(pendingKey(record.userId, record.contentId));
      }
    }
    this.replayed = { files: entries.map((e) => e.file), keys };
    this.deps.onJournal?.({ replayed: this.replayed.files, unreadable, records: keys.size });
    if (keys.size === 0) await this.forgetReplayed();
    // Now, not a whole flush interval later: this is progress already waiting since the last stop.
    else void this.flush();
  }

  /**
   * Stops the timer and writes what is buffered. While the database keeps failing it tries
   * for closeTimeoutMs, then writes the rest to the journal; it throws only if that fails
   * too, so no shutdown drops progress silently. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /** Learner-content records accepted and not yet written (the flush under way included). */
  get bufferedCount(): number {
    let n = this.pending.size;
    for (const key of this.inFlight.keys()) if (!this.pending.has(key)) n++;
    return n;
  }

  private async closeOnce(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + (this.deps.closeTimeoutMs ?? 5000);
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      // A flush against an unreachable database waits for the driver's own timeout: bound it.
      const finished = await Promise.race([this.flush().then(() => true), sleep(Math.max(0, left)).then(() => false)]);
      if (finished && this.pending.size === 0 && this.inFlight.size === 0) return;
      if (Date.now() >= deadline) break;
      await sleep(Math.min(200 * attempt, deadline - Date.now()));
    }
    const unwritten = this.unwritten();
    if (unwritten.length === 0) return;
    if (!this.deps.journal) throw new Error(`could not write ${unwritten.length} buffered progress records`);
    // The journal holds every buffered record, those of the replayed files included, so
    // those files are no longer needed once it is on disk.
    const written = await this.deps.journal.write(unwritten);
    this.deps.onJournal?.({ written, records: unwritten.length });
    await this.forgetReplayed();
  }

  /** Everything not yet known to be written: the buffer and the flush under way, merged. */
  private unwritten(): Pending[] {
    const all = new Map(this.inFlight);
    for (const [key, p] of this.pending) {
      const other = all.get(key);
      all.set(key, other ? mergePending(other, p) : p);
    }
    return [...all.values()];
  }

  private buffer(p: Pending): void {
    const key = pendingKey(p.userId, p.contentId);
    const prev = this.pending.get(key);
    this.pending.set(key, prev ? mergePending(prev, p) : p);
  }

  private async flushOnce(): Promise<void> {
    if (this.pending.size === 0) return;
    this.busy = true;
    const started = performance.now();
    const report: FlushReport = {
      records: this.pending.size,
      written: 0,
      conflicts: 0,
      requeued: 0,
      ms: 0,
      buffered: this.pending.size,
      saved: [],
    };
    this.inFlight = this.pending;
    this.pending = new Map();
    try {
      const items = [...this.inFlight.values()];
      for (let i = 0; i < items.length; i += BATCH) await this.writeBatch(items.slice(i, i + BATCH), report);
      this.failures = 0;
      this.retryAt = 0;
    } catch (err) {
      // The database is unreachable (or the outcome unknown): everything not written goes back.
      report.error = err;
      this.failures++;
      const backoff = Math.min(this.deps.maxBackoffMs ?? 30_000, this.flushIntervalMs * 2 ** this.failures);
      this.retryAt = Date.now() + backoff;
      this.deps.onFlushError?.(err);
    } finally {
      report.requeued += this.inFlight.size;
      for (const [key, item] of this.inFlight) {
        // Failing again and again: stop trusting what this process believes is stored.
        if (this.failures >= 2) this.saved.delete(key);
        this.requeue(item);
      }
      this.inFlight = new Map();
      report.ms = performance.now() - started;
      this.busy = false;
      for (const listener of this.listeners) listener(report);
    }
    if (this.replayed?.keys.size === 0) await this.forgetReplayed();
  }

  /**
   * Writes one batch in rounds: records that conflict are read again, merged and retried;
   * what is written leaves `inFlight`, what is left there is put back by the caller.
   */
  private async writeBatch(items: Pending[], report: FlushReport): Promise<void> {
    let round = items;
    for (let attempt = 0; round.length > 0 && attempt < CONFLICT_ROUNDS; attempt++) {
      const next = await Promise.all(round.map((item) => this.stored(item).then((stored) => applyPending(stored, item))));
      const outcomes = await this.deps.repo.saveMany(next);
      const again: Pending[] = [];
      outcomes.forEach((outcome, i) => {
        const item = round[i]!;
        const key = pendingKey(item.userId, item.contentId);
        if (outcome === 'saved') {
          this.remember(key, next[i]!);
          this.inFlight.delete(key);
          this.replayed?.keys.delete(key);
          report.written++;
          report.saved.push({ userId: item.userId, contentId: item.contentId });
        } else {
          // Another writer moved the stored version on, or this record failed on its own: read it again.
          this.saved.delete(key);
          if (outcome === 'conflict') {
            report.conflicts++;
            again.push(item);
          } else {
            this.deps.onFlushError?.(new Error(`progress write for ${key} failed: ${outcome.error}`));
          }
        }
      });
      round = again;
    }
  }

  private async stored(item: Pending): Promise<ProgressRecord> {
    const known = this.saved.get(pendingKey(item.userId, item.contentId));
    if (known) return known;
    return (await this.deps.repo.get(item.userId, item.contentId)) ?? emptyProgress(item.userId, item.contentId);
  }

  private remember(key: string, record: ProgressRecord): void {
    this.saved.delete(key);
    if (this.saved.size >= SAVED_CACHE) this.saved.delete(this.saved.keys().next().value!);
    this.saved.set(key, record);
  }

  /** Puts a record that was not written back, merged with whatever arrived since. */
  private requeue(item: Pending): void {
    const key = pendingKey(item.userId, item.contentId);
    const newer = this.pending.get(key);
    this.pending.set(key, newer ? mergePending(item, newer) : item);
  }

  private async forgetReplayed(): Promise<void> {
    const replayed = this.replayed;
    if (!replayed || !this.deps.journal) return;
    this.replayed = undefined;
    await this.deps.journal.remove(replayed.files);
    this.deps.onJournal?.({ removed: replayed.files, records: 0 });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
