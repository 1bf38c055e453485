import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { WebhookEventType } from '../protocol';
import type { Page } from '../seminars/model';
import type {
  NewWebhookEndpoint,
  WebhookAttempt,
  WebhookEndpoint,
  WebhookEndpointChanges,
  WebhookEndpointRepository,
  WebhookMessage,
  WebhookMessageRepository,
} from '../webhooks/model';
import { decodeCursor, encodeCursor } from './cursor';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

interface EndpointDoc extends Omit<WebhookEndpoint, 'id'> {
  _id: string;
}

const endpointSchema = new Schema<EndpointDoc>(
  {
    _id: String,
    url: String,
    description: String,
    eventTypes: [String],
    enabled: Boolean,
    disabledReason: { type: String, default: null },
    secret: String,
    consecutiveFailures: Number,
    failingSince: { type: Date, default: null },
    createdAt: Date,
  },
  { versionKey: false },
);

const toEndpoint = ({ _id, ...rest }: EndpointDoc): WebhookEndpoint => ({
  id: _id,
  ...rest,
  eventTypes: [...rest.eventTypes],
  disabledReason: rest.disabledReason ?? null,
  failingSince: rest.failingSince ?? null,
});

export class MongoWebhookEndpointRepository implements WebhookEndpointRepository {
  private constructor(
    private readonly model: Model<EndpointDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoWebhookEndpointRepository {
    return new MongoWebhookEndpointRepository(
      (connection.models.WebhookEndpoint as Model<EndpointDoc> | undefined) ??
        connection.model<EndpointDoc>('WebhookEndpoint', endpointSchema, 'webhook_endpoints'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async create(e: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    const doc = await this.model.create({
      _id: new Types.ObjectId().toHexString(),
      ...e,
      disabledReason: null,
      consecutiveFailures: 0,
      failingSince: null,
      createdAt: new Date(),
    });
    return toEndpoint(doc.toObject());
  }

  async get(id: string): Promise<WebhookEndpoint | null> {
    const doc = await this.model.findById(id).lean();
    return doc ? toEndpoint(doc) : null;
  }

  async list(): Promise<WebhookEndpoint[]> {
    return (await this.model.find().sort({ createdAt: 1, _id: 1 }).limit(1000).lean()).map(toEndpoint);
  }

  async subscribers(eventType: WebhookEventType): Promise<WebhookEndpoint[]> {
    return (await this.model.find({ enabled: true, eventTypes: eventType }).lean()).map(toEndpoint);
  }

  async update(id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null> {
    // Turned on by an admin: it starts afresh, no longer "failing".
    const fresh = changes.enabled === true ? { disabledReason: null, consecutiveFailures: 0, failingSince: null } : {};
    const doc = await this.gate.run(`webhook:${id}`, () =>
      this.model.findOneAndUpdate({ _id: id }, { $set: { ...changes, ...fresh } }, { new: true }).lean(),
    );
    return doc ? toEndpoint(doc) : null;
  }

  async setSecret(id: string, secret: string): Promise<WebhookEndpoint | null> {
    const doc = await this.gate.run(`webhook:${id}`, () =>
      this.model.findOneAndUpdate({ _id: id }, { $set: { secret } }, { new: true }).lean(),
    );
    return doc ? toEndpoint(doc) : null;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.model.deleteOne({ _id: id })).deletedCount === 1;
  }

  async recordSuccess(id: string): Promise<void> {
    await this.gate.run(`webhook:${id}`, () =>
      this.model.updateOne({ _id: id, consecutiveFailures: { $ne: 0 } }, { $set: { consecutiveFailures: 0, failingSince: null } }),
    );
  }

  async recordFailure(id: string, at: Date): Promise<WebhookEndpoint | null> {
    return this.gate.run(`webhook:${id}`, async () => {
      await this.model.updateOne({ _id: id, failingSince: null }, { $set: { failingSince: at } });
      const doc = await this.model.findOneAndUpdate({ _id: id }, { $inc: { consecutiveFailures: 1 } }, { new: true }).lean();
      return doc ? toEndpoint(doc) : null;
    });
  }

  async disableFailing(id: string): Promise<boolean> {
    const res = await this.gate.run(`webhook:${id}`, () =>
      this.model.updateOne({ _id: id, enabled: true }, { $set: { enabled: false, disabledReason: 'failing' } }),
    );
    return res.modifiedCount === 1;
  }
}

interface MessageDoc extends Omit<WebhookMessage, 'id'> {
  _id: string;
  claimedAt: Date | null;
}

const messageSchema = new Schema<MessageDoc>(
  {
    _id: String,
    endpointId: String,
    eventType: String,
    body: String,
    status: String,
    attempts: Number,
    nextAttemptAt: Date,
    createdAt: Date,
    claimedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
messageSchema.index({ status: 1, nextAttemptAt: 1 });
messageSchema.index({ endpointId: 1 });

interface AttemptDoc extends Omit<WebhookAttempt, 'id'> {
  _id: string;
}

const attemptSchema = new Schema<AttemptDoc>(
  {
    _id: String,
    messageId: String,
    endpointId: String,
    eventType: String,
    attempt: Number,
    at: Date,
    statusCode: { type: Number, default: null },
    durationMs: Number,
    ok: Boolean,
    error: { type: String, default: null },
  },
  { versionKey: false },
);
attemptSchema.index({ endpointId: 1, at: -1, _id: -1 });

export class MongoWebhookMessageRepository implements WebhookMessageRepository {
  private constructor(
    private readonly messages: Model<MessageDoc>,
    private readonly attemptLog: Model<AttemptDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoWebhookMessageRepository {
    return new MongoWebhookMessageRepository(
      (connection.models.WebhookMessage as Model<MessageDoc> | undefined) ??
        connection.model<MessageDoc>('WebhookMessage', messageSchema, 'webhook_messages'),
      (connection.models.WebhookAttempt as Model<AttemptDoc> | undefined) ??
        connection.model<AttemptDoc>('WebhookAttempt', attemptSchema, 'webhook_attempts'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return Promise.all([this.messages.createIndexes(), this.attemptLog.createIndexes()]);
  }

  async enqueue({ id, ...m }: Omit<WebhookMessage, 'status' | 'attempts'>): Promise<void> {
    try {
      await this.messages.create({ _id: id, ...m, status: 'pending', attempts: 0, claimedAt: null });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // written already: one message per event and endpoint
    }
  }

  async claimDue(now: Date, staleBefore: Date): Promise<WebhookMessage | null> {
    const due = {
      $or: [
        { status: 'pending' as const, nextAttemptAt: { $lte: now } },
        { status: 'sending' as const, claimedAt: { $lt: staleBefore } },
      ],
    };
    for (;;) {
      const candidates = await this.messages.find(due).sort({ nextAttemptAt: 1 }).limit(10).lean();
      if (candidates.length === 0) return null;
      for (const c of candidates) {
        // Ours only if it is still in the state we read: two senders never both send it.
        const res = await this.gate.run(`webhook-message:${c._id}`, () =>
          this.messages.updateOne(
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

  async finish(id: string, status: 'delivered' | 'failed' | 'cancelled'): Promise<void> {
    await this.gate.run(`webhook-message:${id}`, () => this.messages.updateOne({ _id: id }, { $set: { status, claimedAt: null } }));
  }

  async retryAt(id: string, at: Date): Promise<void> {
    await this.gate.run(`webhook-message:${id}`, () =>
      this.messages.updateOne({ _id: id, status: 'sending' }, { $set: { status: 'pending', claimedAt: null, nextAttemptAt: at } }),
    );
  }

  async removeForEndpoint(endpointId: string): Promise<void> {
    await this.messages.deleteMany({ endpointId });
    await this.attemptLog.deleteMany({ endpointId });
  }

  async logAttempt(a: Omit<WebhookAttempt, 'id'>): Promise<void> {
    await this.attemptLog.create({ _id: new Types.ObjectId().toHexString(), ...a });
  }

  async attempts(endpointId: string, limit: number, cursor?: string): Promise<Page<WebhookAttempt>> {
    const after = decodeCursor(cursor, ['time', 'id']);
    const at = after ? new Date(after[0] as number) : undefined;
    const query = at ? { endpointId, $or: [{ at: { $lt: at } }, { at, _id: { $lt: String(after![1]) } }] } : { endpointId };
    const docs = await this.attemptLog
      .find(query)
      .sort({ at: -1, _id: -1 })
      .limit(limit + 1)
      .lean();
    const items = docs
      .slice(0, limit)
      .map(({ _id, ...rest }) => ({ id: _id, ...rest, statusCode: rest.statusCode ?? null, error: rest.error ?? null }));
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.at.getTime(), last.id]) : null };
  }
}
