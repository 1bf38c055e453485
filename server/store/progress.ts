import { mongo, Schema, type Connection, type Model } from 'mongoose';
import type { ProgressRecord, ProgressRepository, SaveOutcome } from '../progress/model';
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
    const [outcome] = await this.saveMany([next]);
    if (typeof outcome === 'object') throw new Error(outcome.error);
    return outcome === 'saved';
  }

  /**
   * One unordered bulkWrite for the whole batch: on the embedded FerretDB one command and one
   * SQLite commit (server/store/ferretdb/patches/write-batch-one-transaction.patch), where a
   * write each cost a commit and its fsync. Each update is conditional on the version this
   * process read, and is an upsert: when the stored version moved on, the upsert's insert
   * collides with the document's _id, and that duplicate-key error at the record's index is
   * how a conflict is told apart from a write, per record (an unordered bulk reports only
   * totals for the rest). A new record (version 1) is inserted by the same upsert.
   */
  async saveMany(records: ProgressRecord[]): Promise<SaveOutcome[]> {
    if (records.length === 0) return [];
    // Flushes write thousands of these a minute, so they go through the driver's collection:
    // toDoc already has the stored shape, and mongoose's casting of each update was a
    // measurable share of the heartbeat path's CPU.
    const ops = records.map((record): mongo.AnyBulkWriteOperation<ProgressDoc> => {
      const { _id, version, userId, contentId, ...fields } = toDoc(record);
      return {
        updateOne: {
          filter: { _id, version: version - 1 },
          update: { $set: { ...fields, version }, $setOnInsert: { userId, contentId } },
          upsert: true,
        },
      };
    });
    const keys = records.map((r) => `progress:${r.userId}:${r.contentId}`);
    const outcomes: SaveOutcome[] = records.map(() => 'saved');
    try {
      await this.gate.runAll(keys, () => this.raw.bulkWrite(ops, { ordered: false }));
    } catch (err) {
      if (!(err instanceof mongo.MongoBulkWriteError)) throw err;
      const writeErrors = ([] as mongo.WriteError[]).concat(err.writeErrors);
      const accounted = err.result.matchedCount + err.result.upsertedCount + writeErrors.length;
      // A bulk cut short (the connection lost mid-way) also arrives as a MongoBulkWriteError.
      if (writeErrors.length === 0 || accounted !== records.length) throw err;
      for (const e of writeErrors) outcomes[e.index] = isDuplicateKey(e) ? 'conflict' : { error: e.errmsg ?? `write error ${e.code}` };
    }
    return outcomes;
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
