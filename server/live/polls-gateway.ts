import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import type { RateLimits } from '../rate-limits';
import type { Seminar } from '../seminars/model';
import type { LiveConnection, LiveFeature } from './features';
import { seminarRoom, staffRoom, userRoom, type LiveNamespace } from './gateway';
import { pollView, type PollRecord, type PollService } from './polls';

/** Poll events per user per 10 s: a lecturer clicking through polls, or a viewer voting, is far below. */
const POLL_EVENTS = { points: 20, durationSeconds: 10 };
const RATE_LIMITED = { code: 'rate_limited', message: 'Slow down: too many poll actions' };

/** Sockets that may see a poll's counts before it closes: those of users who voted in it (after_vote polls). */
const votersRoom = (pollId: string) => `poll:${pollId}:voters`;

/**
 * The poll events of the /live namespace. Counts go only to those who may see them: the
 * lecturers always, a poll's voters once they voted (when the poll shows its results after a
 * vote), everyone once it closes. A burst of votes becomes one counts update per poll per
 * `countsThrottleMs`, so a thousand votes do not send a million messages.
 */
export class PollGateway implements LiveFeature {
  private readonly limiter: RateLimiterAbstract;
  /** Per poll: a counts update already scheduled. */
  private readonly scheduled = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly deps: {
      nsp: LiveNamespace;
      polls: PollService;
      limits: RateLimits;
      logger: Logger;
      countsThrottleMs: number;
    },
  ) {
    this.limiter = deps.limits.limiter({ name: 'live-polls', ...POLL_EVENTS });
  }

  attach({ socket, on, access: member }: LiveConnection): void {
    // Per user (per connection for a guest): several tabs share one budget.
    const room = async () => {
      const access = member();
      await this.deps.limits.consume(this.limiter, access.userId ?? socket.id, RATE_LIMITED);
      return access;
    };
    on('poll:create', async (draft) => {
      const access = await room();
      const poll = await this.deps.polls.create(access, draft);
      this.publish(access.seminar.id, poll);
      return pollView(poll, null, null);
    });
    on('poll:open', async ({ pollId }) => {
      const access = await room();
      const poll = await this.deps.polls.open(access, pollId);
      this.publish(access.seminar.id, poll);
      return pollView(poll, await this.deps.polls.tally(poll), null);
    });
    on('poll:close', async ({ pollId }) => {
      const access = await room();
      const poll = await this.deps.polls.close(access, pollId);
      this.publish(access.seminar.id, poll);
      return pollView(poll, await this.deps.polls.tally(poll), null);
    });
    on('poll:vote', async ({ pollId, choices }) => {
      const access = await room();
      const poll = await this.deps.polls.vote(access, pollId, choices);
      const mine = [...new Set(choices)].sort((a, b) => a - b);
      // The voter's other tabs see the counts too, on every node (the adapter carries the join).
      if (poll.showResults === 'after_vote') this.deps.nsp.in(userRoom(access.userId!)).socketsJoin(votersRoom(poll.id));
      this.countsChanged(access.seminar.id, poll.id);
      return pollView(poll, poll.showResults === 'after_vote' ? await this.deps.polls.tally(poll) : null, mine);
    });
    on('poll:list', async () => {
      const access = await room();
      const views = await this.deps.polls.list(access);
      // A rejoin: this connection follows the counts of the polls its user already voted in.
      for (const v of views) if (v.showResults === 'after_vote' && v.myChoices && v.status === 'open') void socket.join(votersRoom(v.id));
      return views;
    });
  }

  /** The seminar ended: its open polls close, and everyone still in the room sees their results. */
  async seminarEnded(seminar: Seminar): Promise<void> {
    for (const poll of await this.deps.polls.closeAll(seminar)) this.publish(seminar.id, poll);
  }

  close(): void {
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
  }

  /** Tells the room about a poll's new state: counts to whoever may see them, the rest without. */
  publish(seminarId: string, poll: PollRecord): void {
    void this.emit(seminarId, poll).catch((err: unknown) => this.deps.logger.error({ err, pollId: poll.id }, 'announcing a poll failed'));
  }

  private async emit(seminarId: string, poll: PollRecord): Promise<void> {
    const { nsp } = this.deps;
    if (poll.status === 'draft') {
      nsp.to(staffRoom(seminarId)).emit('poll:updated', pollView(poll, null, null));
      return;
    }
    const full = pollView(poll, await this.deps.polls.tally(poll), null);
    if (poll.status === 'closed') {
      nsp.to(seminarRoom(seminarId)).emit('poll:updated', full);
      return;
    }
    const seeing = poll.showResults === 'after_vote' ? [staffRoom(seminarId), votersRoom(poll.id)] : [staffRoom(seminarId)];
    nsp.to(seeing).emit('poll:updated', full);
    nsp
      .to(seminarRoom(seminarId))
      .except(seeing)
      .emit('poll:updated', pollView(poll, null, null));
  }

  /** Sends a poll's running counts at most once per countsThrottleMs, with the votes stored by then. */
  private countsChanged(seminarId: string, pollId: string): void {
    if (this.scheduled.has(pollId)) return;
    const timer = setTimeout(() => {
      this.scheduled.delete(pollId);
      void this.sendCounts(seminarId, pollId).catch((err: unknown) =>
        this.deps.logger.error({ err, pollId }, 'sending poll counts failed'),
      );
    }, this.deps.countsThrottleMs);
    timer.unref();
    this.scheduled.set(pollId, timer);
  }

  private async sendCounts(seminarId: string, pollId: string): Promise<void> {
    const poll = await this.deps.polls.get(seminarId, pollId);
    // A closed poll was announced with its final counts already.
    if (poll?.status !== 'open') return;
    const full = pollView(poll, await this.deps.polls.tally(poll), null);
    const seeing = poll.showResults === 'after_vote' ? [staffRoom(seminarId), votersRoom(poll.id)] : [staffRoom(seminarId)];
    this.deps.nsp.to(seeing).emit('poll:updated', full);
  }
}
