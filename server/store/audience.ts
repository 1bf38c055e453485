import { Schema, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { AudienceRepository, PresenceAnswer, PresenceCheckRecord, ReactionWindow } from '../live/audience-model';
import { isDuplicateKey } from './mongo-errors';

// Reactions and presence checks: inserts only (no read-modify-write), so FerretDB v1 and
// MongoDB hold them alike; one answer per user and check is a unique index.

type Doc<T> = Omit<T, 'id'>;

const reactionSchema = new Schema<ReactionWindow>(
  // Kinds are fixed names (server/protocol/reactions.ts), so they are safe as field names.
  { seminarId: String, at: Date, offsetMs: Number, counts: { type: Schema.Types.Mixed, default: {} }, total: Number },
  { versionKey: false, minimize: false },
);
reactionSchema.index({ seminarId: 1, at: 1 });

const checkSchema = new Schema<Doc<PresenceCheckRecord>>(
  { seminarId: String, askedAt: Date, offsetMs: Number, closesAt: Date, viewersAsked: Number },
  { versionKey: false },
);
checkSchema.index({ seminarId: 1, askedAt: 1 });

const answerSchema = new Schema<PresenceAnswer>({ checkId: String, seminarId: String, userId: String, at: Date }, { versionKey: false });
answerSchema.index({ checkId: 1, userId: 1 }, { unique: true });
answerSchema.index({ seminarId: 1, userId: 1 });

function model<T>(connection: Connection, name: string, schema: Schema<T>, collection: string): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema, collection);
}

const checkOf = (d: Doc<PresenceCheckRecord> & { _id: unknown }): PresenceCheckRecord => ({
  id: String(d._id),
  seminarId: d.seminarId,
  askedAt: d.askedAt,
  offsetMs: d.offsetMs,
  closesAt: d.closesAt,
  viewersAsked: d.viewersAsked,
});

export class MongoAudienceRepository implements AudienceRepository {
  private constructor(
    private readonly reactions: Model<ReactionWindow>,
    private readonly checksModel: Model<Doc<PresenceCheckRecord>>,
    private readonly answers: Model<PresenceAnswer>,
  ) {}

  static create(connection: Connection): MongoAudienceRepository {
    return new MongoAudienceRepository(
      model(connection, 'ReactionWindow', reactionSchema, 'live_reactions'),
      model(connection, 'PresenceCheck', checkSchema, 'live_presence_checks'),
      model(connection, 'PresenceAnswer', answerSchema, 'live_presence_answers'),
    );
  }

  ensureIndexes(): Promise<unknown> {
    return Promise.all([this.reactions.createIndexes(), this.checksModel.createIndexes(), this.answers.createIndexes()]);
  }

  async addReactionWindows(windows: ReactionWindow[]): Promise<void> {
    if (windows.length) await this.reactions.insertMany(windows, { ordered: false });
  }

  async *reactionWindows(seminarId: string, batchSize: number): AsyncGenerator<Array<Pick<ReactionWindow, 'at' | 'total'>>> {
    const cursor = this.reactions.find({ seminarId }, { _id: 0, at: 1, total: 1 }).sort({ at: 1 }).lean().cursor({ batchSize });
    let batch: Array<Pick<ReactionWindow, 'at' | 'total'>> = [];
    try {
      for await (const doc of cursor) {
        batch.push({ at: doc.at, total: doc.total });
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    } finally {
      await cursor.close();
    }
  }

  async addCheck(check: Omit<PresenceCheckRecord, 'id'>): Promise<PresenceCheckRecord> {
    return checkOf((await this.checksModel.create(check)).toObject());
  }

  async check(seminarId: string, checkId: string): Promise<PresenceCheckRecord | null> {
    if (!isValidObjectId(checkId)) return null;
    const doc = await this.checksModel.findOne({ _id: checkId, seminarId }).lean();
    return doc ? checkOf(doc) : null;
  }

  async checks(seminarId: string): Promise<PresenceCheckRecord[]> {
    return (await this.checksModel.find({ seminarId }).sort({ askedAt: 1 }).lean()).map(checkOf);
  }

  async addAnswer(answer: PresenceAnswer): Promise<boolean> {
    try {
      await this.answers.create(answer);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  countAnswers(checkId: string): Promise<number> {
    return this.answers.countDocuments({ checkId });
  }

  async answersOf(seminarId: string, userIds: string[]): Promise<PresenceAnswer[]> {
    if (!userIds.length) return [];
    return this.answers
      .find({ seminarId, userId: { $in: userIds } }, { _id: 0, checkId: 1, seminarId: 1, userId: 1, at: 1 })
      .lean<PresenceAnswer[]>();
  }
}
