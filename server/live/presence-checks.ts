import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { PresenceCheckView } from '../protocol';
import type { RateLimits } from '../rate-limits';
import type { AttendanceSpan } from '../analytics/model';
import type { AudienceRepository, PresenceAnswer, PresenceCheckRecord } from './audience-model';
import type { LiveAccess } from './service';

/** Asks per seminar: a lecturer's double click or a schedule of one a minute, not a flood of prompts. */
export const ASKS_PER_SEMINAR = { points: 2, durationSeconds: 60 };

/**
 * "Are you here?": a lecturer asks (by hand or on a schedule), and each viewer in the room
 * confirms within the window. One check is open at a time per seminar. What an attendee
 * passed is read back by `presenceTally` for the attendance export and course completion.
 */
export class PresenceChecks {
  private readonly asks: RateLimiterAbstract;

  constructor(private readonly deps: { repo: AudienceRepository; limits: RateLimits; windowMs: number; now?: () => Date }) {
    this.asks = deps.limits.limiter({ name: 'live-presence-ask', ...ASKS_PER_SEMINAR });
  }

  get windowMs(): number {
    return this.deps.windowMs;
  }

  /** Opens a check in the seminar; `viewers` is how many are in the room to answer it. */
  async ask(who: LiveAccess, viewers: number): Promise<PresenceCheckRecord> {
    if (who.role !== 'lecturer') throw new ForbiddenError('moderators_only', 'Only the lecturer or an admin may do this');
    const { seminar } = who;
    if (seminar.status !== 'live' || !seminar.liveStartedAt) throw new ConflictError('seminar_not_live', 'The seminar is not live');
    const now = this.now();
    const last = (await this.deps.repo.checks(seminar.id)).at(-1);
    if (last && last.closesAt > now)
      throw new ConflictError('check_open', 'A presence check is still open', { closesAt: last.closesAt.toISOString() });
    await this.deps.limits.consume(this.asks, seminar.id, {
      code: 'rate_limited',
      message: `At most ${ASKS_PER_SEMINAR.points} presence checks a minute`,
    });
    return this.deps.repo.addCheck({
      seminarId: seminar.id,
      askedAt: now,
      offsetMs: Math.max(0, now.getTime() - seminar.liveStartedAt.getTime()),
      closesAt: new Date(now.getTime() + this.deps.windowMs),
      viewersAsked: viewers,
    });
  }

  /** A signed-in viewer's confirmation, while the check's window is open; once per check. */
  async confirm(who: LiveAccess, checkId: string): Promise<void> {
    if (who.role !== 'viewer' || !who.userId) throw new ForbiddenError('viewers_only', 'Only signed-in viewers confirm presence');
    const check = await this.deps.repo.check(who.seminar.id, checkId);
    if (!check) throw new NotFoundError('check_not_found', 'No such presence check in this seminar');
    const now = this.now();
    if (now > check.closesAt) throw new ConflictError('check_closed', 'The time to confirm has passed');
    if (!(await this.deps.repo.addAnswer({ checkId, seminarId: who.seminar.id, userId: who.userId, at: now })))
      throw new ConflictError('already_confirmed', 'You already confirmed this check');
  }

  /** How a check ended: confirmations of the viewers who were asked. */
  async result(check: PresenceCheckRecord): Promise<{ checkId: string; confirmed: number; asked: number }> {
    return { checkId: check.id, confirmed: await this.deps.repo.countAnswers(check.id), asked: check.viewersAsked };
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

export function checkView(check: PresenceCheckRecord): PresenceCheckView {
  return {
    checkId: check.id,
    askedAt: check.askedAt.toISOString(),
    closesAt: check.closesAt.toISOString(),
    windowMs: check.closesAt.getTime() - check.askedAt.getTime(),
  };
}

/**
 * What one attendee passed: a check counts as asked of them when it was asked while they were
 * in the room (one of their spans held its moment), and as passed when they confirmed it.
 * `openEnd` closes a span still open (the seminar is live, or a crash left it so).
 */
export function presenceTally(
  checks: ReadonlyArray<Pick<PresenceCheckRecord, 'id' | 'askedAt'>>,
  spans: ReadonlyArray<Pick<AttendanceSpan, 'joinedAt' | 'leftAt'>>,
  answers: ReadonlyArray<Pick<PresenceAnswer, 'checkId'>>,
  openEnd: number,
): { passed: number; asked: number } {
  const confirmed = new Set(answers.map((a) => a.checkId));
  let asked = 0;
  let passed = 0;
  for (const check of checks) {
    const t = check.askedAt.getTime();
    const present = spans.some((s) => s.joinedAt.getTime() <= t && t <= (s.leftAt?.getTime() ?? openEnd));
    // A confirmation proves presence even when a span's edges disagree by a moment.
    if (present || confirmed.has(check.id)) asked++;
    if (confirmed.has(check.id)) passed++;
  }
  return { passed, asked };
}
