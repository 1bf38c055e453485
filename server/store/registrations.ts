import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { Page, Registration, RegistrationRepository, RegistrationStatus } from '../seminars/model';
import { decodeCursor, encodeCursor } from './cursor';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

interface RegistrationDoc {
  seminarId: string;
  userId: string;
  status: RegistrationStatus;
  createdAt: Date;
  answers?: Record<string, string>;
}

const schema = new Schema<RegistrationDoc>(
  { seminarId: String, userId: String, status: String, createdAt: Date, answers: { type: Schema.Types.Mixed, default: {} } },
  { versionKey: false },
);
schema.index({ seminarId: 1, userId: 1 }, { unique: true });
schema.index({ seminarId: 1, status: 1, createdAt: 1 });
schema.index({ userId: 1, _id: -1 });
schema.index({ seminarId: 1, _id: 1 });

export class MongoRegistrationRepository implements RegistrationRepository {
  private constructor(
    private readonly model: Model<RegistrationDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoRegistrationRepository {
    return new MongoRegistrationRepository(
      (connection.models.Registration as Model<RegistrationDoc> | undefined) ??
        connection.model<RegistrationDoc>('Registration', schema, 'registrations'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async insertPending(
    seminarId: string,
    userId: string,
    answers: Record<string, string> = {},
  ): Promise<{ created: boolean; registration: Registration }> {
    try {
      const doc = await this.model.create({ seminarId, userId, status: 'pending', createdAt: new Date(), answers });
      return { created: true, registration: toRegistration(doc.toObject()) };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.find(seminarId, userId);
      if (!existing) throw err;
      return { created: false, registration: existing };
    }
  }

  async setStatus(id: string, from: RegistrationStatus[], to: RegistrationStatus): Promise<Registration | null> {
    const res = await this.gate.run(`registration:${id}`, () =>
      this.model.updateOne({ _id: id, status: { $in: from } }, { $set: { status: to } }),
    );
    if (res.modifiedCount !== 1) return null;
    const doc = await this.model.findById(id).lean();
    return doc ? toRegistration(doc) : null;
  }

  async remove(seminarId: string, userId: string): Promise<Registration | null> {
    // Delete exactly the state we read, so two concurrent removals cannot both free a seat.
    for (;;) {
      const doc = await this.model.findOne({ seminarId, userId }).lean();
      if (!doc) return null;
      const res = await this.gate.run(`registration:${String(doc._id)}`, () => this.model.deleteOne({ _id: doc._id, status: doc.status }));
      if (res.deletedCount === 1) return toRegistration(doc);
    }
  }

  async find(seminarId: string, userId: string): Promise<Registration | null> {
    const doc = await this.model.findOne({ seminarId, userId }).lean();
    return doc ? toRegistration(doc) : null;
  }

  async waitlist(seminarId: string, limit: number): Promise<Registration[]> {
    const docs = await this.model.find({ seminarId, status: 'waitlisted' }).sort({ createdAt: 1, _id: 1 }).limit(limit).lean();
    return docs.map(toRegistration);
  }

  async waitlistPosition(r: Registration): Promise<number> {
    const ahead = await this.model.countDocuments({
      seminarId: r.seminarId,
      status: 'waitlisted',
      $or: [{ createdAt: { $lt: r.createdAt } }, { createdAt: r.createdAt, _id: { $lt: new Types.ObjectId(r.id) } }],
    });
    return ahead + 1;
  }

  countRegistered(seminarId: string): Promise<number> {
    return this.model.countDocuments({ seminarId, status: 'registered' });
  }

  async listForUser(userId: string, limit: number, cursor?: string): Promise<Page<Registration>> {
    const after = decodeCursor(cursor, ['id']);
    const query = after ? { userId, _id: { $lt: new Types.ObjectId(after[0] as string) } } : { userId };
    const docs = await this.model
      .find(query)
      .sort({ _id: -1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toRegistration);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.id]) : null };
  }

  async listPending(olderThan: Date): Promise<Registration[]> {
    return (await this.model.find({ status: 'pending', createdAt: { $lt: olderThan } }).lean()).map(toRegistration);
  }

  async registeredUserIds(seminarId: string): Promise<string[]> {
    const docs = await this.model.find({ seminarId, status: 'registered' }, { userId: 1 }).lean();
    return docs.map((d) => d.userId);
  }

  async listForSeminar(seminarId: string, limit: number, cursor?: string): Promise<Page<Registration>> {
    const after = decodeCursor(cursor, ['id']);
    const query = after ? { seminarId, _id: { $gt: new Types.ObjectId(after[0] as string) } } : { seminarId };
    const docs = await this.model
      .find(query)
      .sort({ _id: 1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toRegistration);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.id]) : null };
  }

  async seminarIdsForUser(userId: string): Promise<string[]> {
    const docs = await this.model.find({ userId, status: { $in: ['registered', 'waitlisted'] } }, { seminarId: 1 }).lean();
    return docs.map((d) => d.seminarId);
  }
}

function toRegistration(doc: RegistrationDoc & { _id: unknown }): Registration {
  return {
    id: String(doc._id),
    seminarId: doc.seminarId,
    userId: doc.userId,
    status: doc.status,
    createdAt: doc.createdAt,
    answers: { ...doc.answers },
  };
}
