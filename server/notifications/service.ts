import type { UserRepository } from '../accounts/model';
import { UnauthorizedError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { UNREAD_COUNT_CAP, type NotificationView, type PageQuery, type UnreadCountView } from '../protocol';
import type { Page, RegistrationRepository, Seminar, SeminarRepository } from '../seminars/model';
import type { SeminarEvents } from '../seminars/service';
import type { Actor } from '../accounts/grants';
import type { AccountMail, Mailer, Notification, NotificationKind, NotificationRepository, OutboxItem, OutboxRepository } from './model';
import { messageFor } from './texts';

const HOUR = 3_600_000;
const REMINDERS: Array<{ kind: NotificationKind; before: number }> = [
  { kind: 'reminder_1h', before: HOUR },
  { kind: 'reminder_24h', before: 24 * HOUR },
];

export interface NotificationDeps {
  outbox: OutboxRepository;
  notifications: NotificationRepository;
  seminars: SeminarRepository;
  registrations: RegistrationRepository;
  users: UserRepository;
  mailer: Mailer;
  publicBaseUrl: string;
  logger: Logger;
  /** How long a claimed item may stay unsent before another sender takes it over. */
  claimTimeoutMs?: number;
}

/**
 * Reminders and notices through an outbox: each message is written with a
 * deterministic id before delivery, and delivered by claiming it atomically,
 * so every message is delivered once, also across restarts and several nodes.
 */
export class NotificationService implements SeminarEvents {
  private ticking?: Promise<void>;
  private again?: Promise<void>;

  constructor(private readonly deps: NotificationDeps) {}

  /**
   * One scheduler pass: write the reminders that are due, then deliver what is
   * due. Passes never overlap; one asked for during a pass runs after it, so
   * nothing queued meanwhile waits for the next timer.
   */
  tick(now?: Date): Promise<void> {
    if (this.ticking) {
      this.again ??= this.ticking.then(() => {
        this.again = undefined;
        return this.tick(now);
      });
      return this.again;
    }
    this.ticking = (async () => {
      try {
        const at = now ?? new Date();
        await this.enqueueDueReminders(at);
        await this.deliverDue(at);
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  async live(seminar: Seminar): Promise<void> {
    await this.enqueueFor(seminar, 'live_now', await this.deps.registrations.registeredUserIds(seminar.id), new Date());
    void this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'notification delivery failed'));
  }

  async cancelled(seminar: Seminar, userIds: string[]): Promise<void> {
    await this.enqueueFor(seminar, 'cancelled', userIds, new Date());
    void this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'notification delivery failed'));
  }

  async moved(seminar: Seminar, userIds: string[]): Promise<void> {
    // The id carries the new start, so each move is told once, and a second move again.
    await this.enqueueFor(seminar, 'rescheduled', userIds, new Date());
    void this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'notification delivery failed'));
  }

  async promoted(seminar: Seminar, userId: string): Promise<void> {
    await this.enqueueFor(seminar, 'promoted', [userId], new Date());
    // At once, as "live now" is: the promoted learner is likely waiting on the seminar's page.
    void this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'notification delivery failed'));
  }

  async ended(): Promise<void> {}

  /**
   * Queues an e-mail about the account (confirmation, reset link) through the outbox, so it is
   * delivered once even across a restart, and starts delivery at once.
   */
  async accountMail(id: string, userId: string, mail: AccountMail): Promise<void> {
    const now = new Date();
    await this.deps.outbox.enqueue([{ id, userId, seminarId: '', kind: 'account_mail', dueAt: now, seminarStartsAt: now, mail }]);
    void this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'account mail delivery failed'));
  }

  async list(actor: Actor, page: PageQuery): Promise<Page<NotificationView>> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const result = await this.deps.notifications.listForUser(actor.userId, page.limit, page.cursor);
    return { items: result.items.map(notificationView), nextCursor: result.nextCursor };
  }

  async unreadCount(actor: Actor): Promise<UnreadCountView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    return { count: await this.deps.notifications.countUnread(actor.userId, UNREAD_COUNT_CAP) };
  }

  async markAllRead(actor: Actor): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    await this.deps.notifications.markAllRead(actor.userId);
  }

  async markRead(actor: Actor, id: string): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!(await this.deps.notifications.markRead(actor.userId, id)))
      throw new NotFoundError('notification_not_found', 'No such notification');
  }

  private async enqueueDueReminders(now: Date): Promise<void> {
    const upcoming = await this.deps.seminars.listStartingBetween(now, new Date(now.getTime() + 24 * HOUR));
    for (const seminar of upcoming) {
      // Only the latest reminder that is due: who registers 30 minutes before gets "in one hour", not both.
      const due = REMINDERS.find((r) => now.getTime() >= seminar.startsAt.getTime() - r.before);
      if (!due) continue;
      const userIds = await this.deps.registrations.registeredUserIds(seminar.id);
      await this.enqueueFor(seminar, due.kind, userIds, new Date(seminar.startsAt.getTime() - due.before));
    }
  }

  private async enqueueFor(seminar: Seminar, kind: NotificationKind, userIds: string[], dueAt: Date): Promise<void> {
    if (userIds.length === 0) return;
    await this.deps.outbox.enqueue(
      userIds.map((userId) => ({
        id: `${kind}.${seminar.id}.${seminar.startsAt.getTime()}.${userId}`,
        userId,
        seminarId: seminar.id,
        kind,
        dueAt,
        seminarStartsAt: seminar.startsAt,
      })),
    );
  }

  private async deliverDue(now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - (this.deps.claimTimeoutMs ?? 60_000));
    for (let item = await this.deps.outbox.claimDue(now, staleBefore); item; item = await this.deps.outbox.claimDue(now, staleBefore)) {
      try {
        await this.deliver(item, now);
      } catch (err) {
        this.deps.logger.error({ err, outboxId: item.id }, 'notification delivery failed; will retry');
        if (item.attempts >= 5) await this.deps.outbox.finish(item.id, 'failed');
        else await this.deps.outbox.release(item.id);
        return;
      }
    }
  }

  private async deliver(item: OutboxItem, now: Date): Promise<void> {
    if (item.kind === 'account_mail') {
      if (item.mail) await this.deps.mailer.send({ id: item.id, ...item.mail });
      await this.deps.outbox.finish(item.id, item.mail ? 'sent' : 'cancelled');
      this.deps.logger.info({ outboxId: item.id, kind: item.kind }, 'account mail delivered');
      return;
    }
    const seminar = await this.deps.seminars.get(item.seminarId);
    const user = await this.deps.users.findById(item.userId);
    if (!seminar || !user || !(await this.stillRelevant(item, seminar))) {
      await this.deps.outbox.finish(item.id, 'cancelled');
      return;
    }
    const link = `${this.deps.publicBaseUrl}/seminars/${seminar.id}`;
    const message = messageFor(item.kind, seminar, user.locale, link);
    // Both steps are idempotent on the item's id, so a retry after a crash repeats neither.
    await this.deps.notifications.insertOnce({
      id: item.id,
      userId: user.id,
      kind: item.kind,
      seminarId: seminar.id,
      ...message,
      createdAt: now,
    });
    await this.deps.mailer.send({ id: item.id, to: user.email, subject: message.title, text: message.body });
    await this.deps.outbox.finish(item.id, 'sent');
    this.deps.logger.info({ outboxId: item.id, kind: item.kind }, 'notification delivered');
  }

  private async stillRelevant(item: OutboxItem, seminar: Seminar): Promise<boolean> {
    if (item.kind === 'reminder_24h' || item.kind === 'reminder_1h') {
      const registration = await this.deps.registrations.find(seminar.id, item.userId);
      return (
        seminar.status === 'scheduled' &&
        seminar.startsAt.getTime() === item.seminarStartsAt.getTime() &&
        registration?.status === 'registered'
      );
    }
    if (item.kind === 'live_now') return seminar.status === 'live';
    // A notice of a start that has since moved again is stale: the later notice says it.
    if (item.kind === 'rescheduled') return seminar.status === 'scheduled' && seminar.startsAt.getTime() === item.seminarStartsAt.getTime();
    return true;
  }
}

export function notificationView(n: Notification): NotificationView {
  return {
    id: n.id,
    kind: n.kind,
    seminarId: n.seminarId,
    title: n.title,
    body: n.body,
    createdAt: n.createdAt.toISOString(),
    readAt: n.readAt ? n.readAt.toISOString() : null,
  };
}
