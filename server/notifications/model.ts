// Notifications as the domain sees them: no Express, no mongoose, no nodemailer.
import type { Page } from '../seminars/model';

export const notificationKinds = ['reminder_24h', 'reminder_1h', 'live_now', 'cancelled', 'promoted', 'rescheduled'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/**
 * One message to one user, written before it is delivered. Its id is derived
 * from what it is about, so writing it twice (after a crash, from two nodes)
 * yields one item, and the in-app notification carries the same id.
 */
export interface OutboxItem {
  id: string;
  userId: string;
  seminarId: string;
  kind: NotificationKind | 'account_mail';
  dueAt: Date;
  /** For reminders: the start they announce. A moved seminar makes them stale. */
  seminarStartsAt: Date;
  /**
   * An account e-mail (confirmation, password reset), written out because its link's token is
   * stored nowhere else in the clear; the store drops it once the item is finished.
   */
  mail?: AccountMail;
  status: 'pending' | 'sending' | 'sent' | 'cancelled' | 'failed';
  attempts: number;
}

export interface OutboxRepository {
  enqueue(items: Array<Omit<OutboxItem, 'status' | 'attempts'>>): Promise<void>;
  /** Claims the next due item, or one whose sender vanished mid-delivery (claimed before `staleBefore`). */
  claimDue(now: Date, staleBefore: Date): Promise<OutboxItem | null>;
  finish(id: string, status: 'sent' | 'cancelled' | 'failed'): Promise<void>;
  release(id: string): Promise<void>;
}

/** In-app only, to admins, about Lectern itself rather than a seminar (seminarId ''). */
export type AdminNoticeKind = 'webhook_disabled';

export interface Notification {
  id: string;
  userId: string;
  kind: NotificationKind | AdminNoticeKind;
  seminarId: string;
  title: string;
  body: string;
  createdAt: Date;
  readAt: Date | null;
}

export interface NotificationRepository {
  /** Inserts unless a notification with this id exists: delivery is idempotent. */
  insertOnce(n: Omit<Notification, 'readAt'>): Promise<void>;
  listForUser(userId: string, limit: number, cursor?: string): Promise<Page<Notification>>;
  markRead(userId: string, id: string): Promise<boolean>;
  /** Unread notifications of a user, counted up to `cap`. */
  countUnread(userId: string, cap: number): Promise<number>;
  markAllRead(userId: string): Promise<void>;
}

/** An e-mail about the account itself, not a seminar: no in-app notification goes with it. */
export interface AccountMail {
  to: string;
  subject: string;
  text: string;
}

export interface MailMessage {
  /** Stable per outbox item: the file transport names the file after it. */
  id: string;
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}
