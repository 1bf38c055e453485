import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { ConflictError, ForbiddenError } from '../errors';
import type { ReactionCounts, ReactionKind } from '../protocol';
import type { RateLimits } from '../rate-limits';
import type { ReactionWindow } from './audience-model';
import type { LiveAccess } from './service';

/** Reactions per viewer: a few a second in a burst, far below a flood. */
export const REACTIONS_PER_VIEWER = { points: 10, durationSeconds: 5 };

interface OpenWindow {
  at: Date;
  offsetMs: number;
  counts: ReactionCounts;
  total: number;
}

/**
 * Counts a room's reactions between flushes, so a burst from a thousand viewers becomes one
 * counted update per window and room (the gateway flushes every REACTION_WINDOW_MS) instead
 * of a thousand broadcasts. Each viewer's reactions are limited (per user, or per connection
 * for a guest), cluster-wide when rate limits live in Redis.
 */
export class ReactionTally {
  private readonly open = new Map<string, OpenWindow>();
  private readonly perViewer: RateLimiterAbstract;

  private readonly limit: { points: number; durationSeconds: number };

  constructor(private readonly deps: { limits: RateLimits; now?: () => Date; perViewer?: { points: number; durationSeconds: number } }) {
    this.limit = deps.perViewer ?? REACTIONS_PER_VIEWER;
    this.perViewer = deps.limits.limiter({ name: 'live-reaction', ...this.limit });
  }

  /** Counts one reaction into the room's open window, or throws (viewers only, live only, 429 past the limit). */
  async add(who: LiveAccess, viewerKey: string, kind: ReactionKind): Promise<void> {
    if (who.role !== 'viewer') throw new ForbiddenError('viewers_only', 'Only viewers send reactions');
    const { seminar } = who;
    if (seminar.status !== 'live' || !seminar.liveStartedAt) throw new ConflictError('seminar_not_live', 'The seminar is not live');
    await this.deps.limits.consume(this.perViewer, viewerKey, {
      code: 'rate_limited',
      message: `At most ${this.limit.points} reactions in ${this.limit.durationSeconds} s`,
    });
    let window = this.open.get(seminar.id);
    if (!window) {
      const at = this.now();
      window = { at, offsetMs: Math.max(0, at.getTime() - seminar.liveStartedAt.getTime()), counts: {}, total: 0 };
      this.open.set(seminar.id, window);
    }
    window.counts[kind] = (window.counts[kind] ?? 0) + 1;
    window.total++;
  }

  /** Every room's window since the last drain, and a fresh start: what the gateway pushes and stores. */
  drain(): ReactionWindow[] {
    const windows = [...this.open].map(([seminarId, w]) => ({ seminarId, ...w }));
    this.open.clear();
    return windows;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
