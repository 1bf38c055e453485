import { Schema, type Connection, type Model } from 'mongoose';
import type { Notification, NotificationRepository, OutboxItem, OutboxRepository } from '../notifications/model';
import type { Page } from '../seminars/model';
import { decodeCursor, encodeCursor } from './cursor';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

interface OutboxDoc extends Omit<OutboxItem, 'id'> {
  _id: string;
  claimedAt: Date | null;
}

const outboxSchema = new Schema<OutboxDoc>(
  {
    _id: String,
    userId: String,
    seminarId: String,
    kind: String,
    dueAt: Date,
    seminarStartsAt: Date,
    status: String,
    attempts: Number,
    claimedAt: { type: Date, default: null },
    mail: { type: new Schema({ to: String, subject: String, text: String }, { _id: false }), default: undefined },
  },
  { versionKey: false },
);
outboxSchema.index({ status: 1, dueAt: 1 });
outboxSchema.index({ userId: 1 });

export class MongoOutboxRepository implements OutboxRepository {
  private constructor(
    private readonly model: Model<OutboxDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoOutboxRepository {
    return new MongoOutboxRepository(
      (connection.models.Outbox as Model<OutboxDoc> | undefined) ?? connection.model<OutboxDoc>('Outbox', outboxSchema, 'outbox'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async enqueue(items: Array<Omit<OutboxItem, 'status' | 'attempts'>>): Promise<void> {
    for (const { id, ...item } of items) {
      try {
        await this.model.create({ _id: id, ...item, status: 'pending', attempts: 0, claimedAt: null });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // already written: the same message is not queued twice
      }
    }
  }

  async claimDue(now: Date, staleBefore: Date): Promise<OutboxItem | null> {
    const due = {
      $or: [
        { status: 'pending' as const, dueAt: { $lte: now } },
        { status: 'sending' as const, claimedAt: { $lt: staleBefore } },
      ],
    };
    for (;;) {
      const candidates = await this.model.find(due).sort({ dueAt: 1 }).limit(10).lean();
      if (candidates.length === 0) return null;
      for (const c of candidates) {
        // The claim is ours only if the item is still in the state we read.
        const res = await this.gate.run(`outbox:${c._id}`, () =>
          this.model.updateOne(
            { _id: c._id, status: c.status, claimedAt: c.claimedAt },
            { $set: { status: 'sending', claimedAt: now }, $inc: { attempts: 1 } },
          ),
        );
        if (res.modifiedCount === 1) {
          const { _id, claimedAt: _claimed, ...rest } = c;
          return { id: _id, ...rest, status: 'sending', attempts: c.attempts + 1 };
        }
      }
    }
  }

  async finish(id: string, status: 'sent' | 'cancelled' | 'failed'): Promise<void> {
    // An account e-mail's text carries a link's token: kept no longer than it takes to send.
    await this.gate.run(`outbox:${id}`, () => this.model.updateOne({ _id: id }, { $set: { status }, $unset: { mail: 1 } }));
  }

  async release(id: string): Promise<void> {
    await this.gate.run(`outbox:${id}`, () =>
      this.model.updateOne({ _id: id, status: 'sending' }, { $set: { status: 'pending', claimedAt: null } }),
    );
  }
}

interface NotificationDoc extends Omit<Notification, 'id'> {
  _id: string;
}

const notificationSchema = new Schema<NotificationDoc>(
  {
    _id: String,
    userId: String,
    kind: String,
    seminarId: String,
    title: String,
    body: String,
    createdAt: Date,
    readAt: { type: Date, default: null },
  },
  { versionKey: false },
);
notificationSchema.index({ userId: 1, createdAt: -1, _id: -1 });

export class MongoNotificationRepository implements NotificationRepository {
  private constructor(private readonly model: Model<NotificationDoc>) {}

  static create(connection: Connection): MongoNotificationRepository {
    return new MongoNotificationRepository(
      (connection.models.Notification as Model<NotificationDoc> | undefined) ??
        connection.model<NotificationDoc>('Notification', notificationSchema, 'notifications'),
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async insertOnce(n: Omit<Notification, 'readAt'>): Promise<void> {
    const { id, ...rest } = n;
    try {
      await this.model.create({ _id: id, ...rest, readAt: null });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async listForUser(userId: string, limit: number, cursor?: string): Promise<Page<Notification>> {
    const after = decodeCursor(cursor, ['time', 'string']);
    const at = after ? new Date(after[0] as number) : undefined;
    const query = at ? { userId, $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: String(after![1]) } }] } : { userId };
    const docs = await this.model
      .find(query)
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(({ _id, ...rest }) => ({ id: _id, ...rest, readAt: rest.readAt ?? null }));
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.createdAt.getTime(), last.id]) : null };
  }

  async markRead(userId: string, id: string): Promise<boolean> {
    const res = await this.model.updateOne({ _id: id, userId }, { $set: { readAt: new Date() } });
    return res.matchedCount === 1;
  }

  countUnread(userId: string, cap: number): Promise<number> {
    return this.model.countDocuments({ userId, readAt: null }).limit(cap).exec();
  }

  async markAllRead(userId: string): Promise<void> {
    await this.model.updateMany({ userId, readAt: null }, { $set: { readAt: new Date() } });
  }
}
