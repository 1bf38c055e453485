import { Schema, type Connection, type Model, type mongo } from 'mongoose';
import type { ProgressRecord, ProgressRepository } from '../progress/model';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

/** FerretDB v1 refuses nested arrays, so intervals are stored as {from, to} sub-documents. */
type ProgressDoc = Omit<ProgressRecord, 'intervals'> & { _id: string; intervals: Array<{ from: number; to: number }> };

/** One document per learner and content, found by _id alone: the cheapest lookup on FerretDB. */
const keyOf = (userId: string, contentId: string) => `${userId}:${contentId}`;

const schema = new Schema<ProgressDoc>(
  {
    _id: String,
    userId: String,
    contentId: String,
    intervals: { type: [new Schema({ from: Number, to: Number }, { _id: false })], default: [] },
    coveredSeconds: { type: Number, default: 0 },
    resumePosition: { type: Number, default: 0 },
    resumeSentAt: { type: Number, default: 0 },
    durationSeconds: { type: Number, default: null },
    live: { type: Schema.Types.Mixed, default: {} },
    version: { type: Number, default: 0 },
  },
  { versionKey: false, minimize: false },
);
schema.index({ userId: 1 });
schema.index({ contentId: 1 });

export class MongoProgressRepository implements ProgressRepository {
  private constructor(
    private readonly model: Model<ProgressDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoProgressRepository {
    return new MongoProgressRepository(
      (connection.models.Progress as Model<ProgressDoc> | undefined) ?? connection.model<ProgressDoc>('Progress', schema, 'progress'),
      gate,
    );
  }

  /** The same collection, typed with its stored shape (the driver types _id as an ObjectId by default). */
  private get raw(): mongo.Collection<ProgressDoc> {
    return this.model.collection as unknown as mongo.Collection<ProgressDoc>;
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async get(userId: string, contentId: string): Promise<ProgressRecord | null> {
    const doc = await this.model.findById(keyOf(userId, contentId)).lean();
    return doc ? toRecord(doc) : null;
  }

  async save(next: ProgressRecord): Promise<boolean> {
    // Flushes write thousands of these a minute, so they go through the driver's
    // collection: toDoc already has the stored shape, and mongoose's casting of
    // each update was a measurable share of the heartbeat path's CPU.
    const doc = toDoc(next);
    const { version, userId, contentId, ...fields } = doc;
    if (version === 1) {
      try {
        await this.raw.insertOne(doc);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    }
    // `live` is written only by recordLive, never overwritten here.
    const { live: _live, ...rest } = fields;
    const res = await this.gate.run(`progress:${userId}:${contentId}`, () =>
      this.raw.updateOne({ _id: keyOf(userId, contentId), version: version - 1 }, { $set: { ...rest, version } }),
    );
    return res.modifiedCount === 1;
  }

  async recordLive(userId: string, contentId: string, sessionId: string, seconds: number): Promise<void> {
    const key = `live.${sessionId.replace(/[.$]/g, '_')}`;
    for (let attempt = 0; ; attempt++) {
      try {
        // $max keeps a repeated or late report from lowering or double-counting a session.
        await this.gate.run(`progress:${userId}:${contentId}`, () =>
          this.model.updateOne(
            { _id: keyOf(userId, contentId) },
            {
              $max: { [key]: seconds },
              $setOnInsert: {
                userId,
                contentId,
                intervals: [],
                coveredSeconds: 0,
                resumePosition: 0,
                resumeSentAt: 0,
                durationSeconds: null,
                version: 1,
              },
            },
            { upsert: true },
          ),
        );
        return;
      } catch (err) {
        if (!isDuplicateKey(err) || attempt > 2) throw err;
      }
    }
  }

  async listForUser(userId: string, contentIds: string[]): Promise<ProgressRecord[]> {
    return (await this.model.find({ userId, contentId: { $in: contentIds } }).lean()).map(toRecord);
  }

  async listForContents(contentIds: string[], userIds: string[]): Promise<ProgressRecord[]> {
    return (await this.model.find({ contentId: { $in: contentIds }, userId: { $in: userIds } }).lean()).map(toRecord);
  }
}

function toDoc(record: ProgressRecord): ProgressDoc {
  return { ...record, _id: keyOf(record.userId, record.contentId), intervals: record.intervals.map(([from, to]) => ({ from, to })) };
}

function toRecord(doc: ProgressDoc): ProgressRecord {
  return {
    userId: doc.userId,
    contentId: doc.contentId,
    intervals: (doc.intervals ?? []).map(({ from, to }) => [from, to] as [number, number]),
    coveredSeconds: doc.coveredSeconds ?? 0,
    resumePosition: doc.resumePosition ?? 0,
    resumeSentAt: doc.resumeSentAt ?? 0,
    durationSeconds: doc.durationSeconds ?? null,
    live: { ...(doc.live ?? {}) },
    version: doc.version ?? 0,
  };
}
