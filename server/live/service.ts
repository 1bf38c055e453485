import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { UserRepository } from '../accounts/model';
import { grantsFor, type Actor } from '../accounts/grants';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { ChatMessage, Question } from '../protocol';
import type { ProgressService } from '../progress/service';
import type { RegistrationRepository, Seminar } from '../seminars/model';
import type { SeminarService } from '../seminars/service';
import type { RateLimits } from '../rate-limits';
import type { AttendanceRecord, ChatRecord, LiveRepository, QuestionRecord } from './model';
import { RecentChat } from './recent-chat';

export interface LiveAccess {
  seminar: Seminar;
  role: 'lecturer' | 'viewer';
  userId: string | null;
  displayName: string;
  canChat: boolean;
}

/**
 * What one user may write to a seminar's chat and questions together. Counted per user, in
 * Redis when there is one, so a second tab or another node shares the allowance. The window is
 * fixed (rate-limiter-flexible's), so across its edge a user gets at most twice this at once.
 */
const WRITES = { name: 'live-write-user', points: 5, durationSeconds: 10 };
const WRITES_REFUSAL = {
  code: 'rate_limited',
  message: `Slow down: at most ${WRITES.points} messages in ${WRITES.durationSeconds} seconds`,
};

/** One user's attendance in one seminar on this node, shared by all the sockets they have open there. */
interface SharedSpan {
  opened: Promise<AttendanceRecord>;
  holders: number;
}

/**
 * What happens in a live seminar apart from the media: who may enter, chat,
 * questions and votes, lecturer markers, bans and attendance. Every record
 * carries its offset from the start of the live session, for replay.
 */
export class LiveService {
  private readonly writes: RateLimiterAbstract;
  private readonly spans = new Map<string, SharedSpan>();
  private readonly recent: RecentChat;

  constructor(
    private readonly deps: {
      repo: LiveRepository;
      seminars: SeminarService;
      registrations: RegistrationRepository;
      users: UserRepository;
      progress: ProgressService;
      limits: RateLimits;
      now?: () => Date;
    },
  ) {
    this.writes = deps.limits.limiter(WRITES);
    this.recent = new RecentChat((seminarId, limit) => deps.repo.recentChat(seminarId, limit));
  }

  /**
   * The actor with the roles the user has now, not those their token was issued with:
   * a role removed (or an account gone) takes effect at the next join, not at token expiry.
   */
  async currentActor(actor: Actor): Promise<Actor> {
    if (actor.kind !== 'user') return actor;
    const user = await this.deps.users.findById(actor.userId);
    if (!user) throw new UnauthorizedError('unauthorized', 'This account no longer exists');
    if (user.disabled) throw new UnauthorizedError('account_disabled', 'This account is disabled');
    return { kind: 'user', userId: user.id, roles: user.roles, grants: grantsFor(user.roles) };
  }

  /** Who the actor is in this seminar's room, or why they may not enter. */
  async access(actor: Actor, seminarId: string): Promise<LiveAccess> {
    const seminar = await this.deps.seminars.visible(actor, seminarId);
    if (seminar.status === 'ended' || seminar.status === 'cancelled') {
      throw new ConflictError('seminar_over', `The seminar is ${seminar.status}`);
    }
    if (this.deps.seminars.manages(actor, seminar)) {
      const user = actor.kind === 'user' ? await this.deps.users.findById(actor.userId) : null;
      return { seminar, role: 'lecturer', userId: user?.id ?? null, displayName: user?.displayName ?? 'Lecturer', canChat: true };
    }
    if (seminar.status === 'draft') throw new NotFoundError('seminar_not_found', 'No such seminar');
    if (actor.kind !== 'user') {
      if (!seminar.isPublic) throw new UnauthorizedError('unauthorized', 'Sign in to watch this seminar');
      return { seminar, role: 'viewer', userId: null, displayName: 'Guest', canChat: false };
    }
    if (await this.deps.repo.isBanned(seminarId, actor.userId)) throw new ForbiddenError('banned', 'You were removed from this seminar');
    const registration = await this.deps.registrations.find(seminarId, actor.userId);
    if (!seminar.isPublic && registration?.status !== 'registered') {
      throw new ForbiddenError('not_registered', 'Register for this seminar to watch it live');
    }
    const user = await this.deps.users.findById(actor.userId);
    return { seminar, role: 'viewer', userId: actor.userId, displayName: user?.displayName ?? 'Participant', canChat: true };
  }

  async sendChat(who: LiveAccess, text: string): Promise<ChatMessage> {
    if (!who.canChat || !who.userId) throw new ForbiddenError('cannot_chat', 'Sign in to chat');
    await this.deps.limits.consume(this.writes, who.userId, WRITES_REFUSAL);
    const record = await this.deps.repo.addChat({
      seminarId: who.seminar.id,
      userId: who.userId,
      displayName: who.displayName,
      text,
      at: this.now(),
      offsetMs: this.offset(who.seminar),
    });
    this.recent.added(record);
    return chatView(record);
  }

  async deleteChat(who: LiveAccess, messageId: string): Promise<void> {
    this.moderatorOnly(who);
    if (!(await this.deps.repo.deleteChat(who.seminar.id, messageId))) throw new NotFoundError('message_not_found', 'No such message');
    this.recent.deleted(who.seminar.id, messageId);
  }

  async recentChat(seminarId: string): Promise<ChatMessage[]> {
    return (await this.recent.get(seminarId)).map(chatView);
  }

  async ask(who: LiveAccess, text: string): Promise<QuestionRecord> {
    if (!who.canChat || !who.userId) throw new ForbiddenError('cannot_ask', 'Sign in to ask');
    await this.deps.limits.consume(this.writes, who.userId, WRITES_REFUSAL);
    return this.deps.repo.addQuestion({
      seminarId: who.seminar.id,
      userId: who.userId,
      displayName: who.displayName,
      text,
      at: this.now(),
      offsetMs: this.offset(who.seminar),
    });
  }

  async upvote(who: LiveAccess, questionId: string): Promise<QuestionRecord> {
    if (!who.userId) throw new ForbiddenError('cannot_vote', 'Sign in to vote');
    const result = await this.deps.repo.upvote(who.seminar.id, questionId, who.userId);
    if (result === 'already_voted') throw new ConflictError('already_voted', 'You already voted for this question');
    if (!result) throw new NotFoundError('question_not_found', 'No such question');
    return result;
  }

  async setQuestionStatus(who: LiveAccess, questionId: string, status: 'answering' | 'answered'): Promise<QuestionRecord> {
    this.moderatorOnly(who);
    const q = await this.deps.repo.setQuestionStatus(who.seminar.id, questionId, status, this.offset(who.seminar));
    if (!q) throw new NotFoundError('question_not_found', 'No such question');
    return q;
  }

  async questions(seminarId: string, userId: string | null): Promise<Question[]> {
    return (await this.deps.repo.questions(seminarId)).map((q) => ({
      ...questionView(q),
      votedByMe: userId !== null && q.voterIds.includes(userId),
    }));
  }

  async addMarker(who: LiveAccess, label: string) {
    this.moderatorOnly(who);
    return this.deps.repo.addMarker({ seminarId: who.seminar.id, label, offsetMs: this.offset(who.seminar) });
  }

  async ban(who: LiveAccess, userId: string): Promise<void> {
    this.moderatorOnly(who);
    if (who.seminar.lecturerIds.includes(userId))
      throw new ForbiddenError('cannot_ban_lecturer', 'A lecturer of this seminar cannot be banned');
    await this.deps.repo.ban(who.seminar.id, userId);
  }

  moderatorOnly(who: LiveAccess): void {
    if (who.role !== 'lecturer') throw new ForbiddenError('moderators_only', 'Only the lecturer or an admin may do this');
  }

  /**
   * Starts (or joins) the user's attendance span; `end` leaves it and credits the seconds to the
   * learner's progress. A user's overlapping sockets (two tabs, a phone and a laptop) share one
   * span from the first join to the last leave, so time is counted once, not per socket.
   */
  async attend(who: LiveAccess): Promise<{ checkpoint(): Promise<void>; end(): Promise<void> }> {
    if (!who.userId || who.seminar.status !== 'live') return { checkpoint: async () => {}, end: async () => {} };
    const userId = who.userId;
    const seminarId = who.seminar.id;
    const key = `${seminarId}\u0000${userId}`;
    let span = this.spans.get(key);
    if (!span) {
      const opened = this.deps.repo.openAttendance(seminarId, userId, this.now());
      const created: SharedSpan = (span = { opened, holders: 0 });
      this.spans.set(key, created);
      opened.catch(() => {
        if (this.spans.get(key) === created) this.spans.delete(key);
      });
    }
    const shared = span;
    shared.holders++;
    let record: AttendanceRecord;
    try {
      record = await shared.opened;
    } catch (err) {
      shared.holders--;
      throw err;
    }
    const credit = () =>
      this.deps.progress.recordLiveAttendance({
        userId,
        // An encore's time counts toward the lesson of the seminar it repeats.
        seminarId: who.seminar.encoreOf ?? seminarId,
        sessionId: record.id,
        seconds: (this.now().getTime() - record.joinedAt.getTime()) / 1000,
      });
    let ended = false;
    return {
      checkpoint: credit,
      end: async () => {
        if (ended) return;
        ended = true;
        // Credit first: it is buffered and cannot fail, while closing the record needs the database.
        await credit();
        if (--shared.holders > 0) return;
        if (this.spans.get(key) === shared) this.spans.delete(key);
        await this.deps.repo.closeAttendance(record.id, this.now());
      },
    };
  }

  offset(seminar: Seminar): number {
    return seminar.liveStartedAt ? Math.max(0, this.now().getTime() - seminar.liveStartedAt.getTime()) : 0;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

export function chatView(r: ChatRecord): ChatMessage {
  return { id: r.id, userId: r.userId, displayName: r.displayName, text: r.text, offsetMs: r.offsetMs, at: r.at.toISOString() };
}

export function questionView(q: QuestionRecord): Omit<Question, 'votedByMe'> {
  return {
    id: q.id,
    userId: q.userId,
    displayName: q.displayName,
    text: q.text,
    votes: q.voterIds.length,
    status: q.status,
    offsetMs: q.offsetMs,
    answeringOffsetMs: q.answeringOffsetMs,
    revision: q.revision,
  };
}
