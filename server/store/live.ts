import { Schema, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { AttendanceRecord, ChatRecord, LiveRepository, MarkerRecord, QuestionRecord } from '../live/model';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

type Doc<T> = Omit<T, 'id'>;

const chatSchema = new Schema<Doc<ChatRecord>>(
  {
    seminarId: String,
    userId: String,
    displayName: String,
    text: String,
    at: Date,
    offsetMs: Number,
    deletedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
chatSchema.index({ seminarId: 1, at: -1 });
// A user's own messages: the personal-data export and the erase after an account is deleted.
chatSchema.index({ userId: 1 });

const questionSchema = new Schema<Doc<QuestionRecord>>(
  {
    seminarId: String,
    userId: String,
    displayName: String,
    text: String,
    voterIds: { type: [String], default: [] },
    status: { type: String, default: 'open' },
    at: Date,
    offsetMs: Number,
    answeringOffsetMs: { type: Number, default: null },
    revision: { type: Number, default: 0 },
  },
  { versionKey: false },
);
questionSchema.index({ seminarId: 1, at: 1 });
questionSchema.index({ userId: 1 });
questionSchema.index({ voterIds: 1 });

const markerSchema = new Schema<Doc<MarkerRecord>>({ seminarId: String, label: String, offsetMs: Number }, { versionKey: false });
markerSchema.index({ seminarId: 1, offsetMs: 1 });

const banSchema = new Schema<{ seminarId: string; userId: string; at: Date }>(
  { seminarId: String, userId: String, at: Date },
  { versionKey: false },
);
banSchema.index({ seminarId: 1, userId: 1 }, { unique: true });

const attendanceSchema = new Schema<Doc<AttendanceRecord>>(
  { seminarId: String, userId: String, joinedAt: Date, leftAt: { type: Date, default: null } },
  { versionKey: false },
);
attendanceSchema.index({ seminarId: 1, userId: 1 });
attendanceSchema.index({ userId: 1 });

function model<T>(connection: Connection, name: string, schema: Schema<T>, collection: string): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema, collection);
}

const withId = <T>(doc: T & { _id: unknown }): Omit<T, '_id'> & { id: string } => {
  const { _id, ...rest } = doc;
  return { ...rest, id: String(_id) };
};

/** Questions stored before revisions were counted have none: they start at 0. */
const questionRecord = (doc: Omit<Doc<QuestionRecord>, 'revision'> & { revision?: number; _id: unknown }): QuestionRecord => {
  const q = withId(doc);
  return { ...q, revision: q.revision ?? 0 };
};

export class MongoLiveRepository implements LiveRepository {
  private constructor(
    private readonly chat: Model<Doc<ChatRecord>>,
    private readonly qs: Model<Doc<QuestionRecord>>,
    private readonly marks: Model<Doc<MarkerRecord>>,
    private readonly bans: Model<{ seminarId: string; userId: string; at: Date }>,
    private readonly attend: Model<Doc<AttendanceRecord>>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoLiveRepository {
    return new MongoLiveRepository(
      model(connection, 'ChatMessage', chatSchema, 'live_chat'),
      model(connection, 'Question', questionSchema, 'live_questions'),
      model(connection, 'Marker', markerSchema, 'live_markers'),
      model(connection, 'Ban', banSchema, 'live_bans'),
      model(connection, 'Attendance', attendanceSchema, 'live_attendance'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return Promise.all([this.chat, this.qs, this.marks, this.bans, this.attend].map((m) => (m as Model<unknown>).createIndexes()));
  }

  async addChat(m: Omit<ChatRecord, 'id' | 'deletedAt'>): Promise<ChatRecord> {
    return withId((await this.chat.create({ ...m, deletedAt: null })).toObject());
  }

  async deleteChat(seminarId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const res = await this.gate.run(`chat:${id}`, () =>
      this.chat.updateOne({ _id: id, seminarId, deletedAt: null }, { $set: { deletedAt: new Date() } }),
    );
    return res.modifiedCount === 1;
  }

  async recentChat(seminarId: string, limit: number): Promise<ChatRecord[]> {
    const docs = await this.chat.find({ seminarId, deletedAt: null }).sort({ at: -1 }).limit(limit).lean();
    return docs.reverse().map((d) => withId(d) as ChatRecord);
  }

  async addQuestion(q: Omit<QuestionRecord, 'id' | 'voterIds' | 'status' | 'answeringOffsetMs' | 'revision'>): Promise<QuestionRecord> {
    return withId((await this.qs.create({ ...q, voterIds: [], status: 'open', answeringOffsetMs: null, revision: 0 })).toObject());
  }

  async upvote(seminarId: string, questionId: string, userId: string): Promise<QuestionRecord | null | 'already_voted'> {
    if (!isValidObjectId(questionId)) return null;
    const res = await this.gate.run(`question:${questionId}`, () =>
      this.qs.updateOne(
        { _id: questionId, seminarId, voterIds: { $ne: userId } },
        { $addToSet: { voterIds: userId }, $inc: { revision: 1 } },
      ),
    );
    const doc = await this.qs.findOne({ _id: questionId, seminarId }).lean();
    if (!doc) return null;
    return res.modifiedCount === 1 ? questionRecord(doc) : 'already_voted';
  }

  async setQuestionStatus(
    seminarId: string,
    questionId: string,
    status: 'answering' | 'answered',
    offsetMs: number,
  ): Promise<QuestionRecord | null> {
    if (!isValidObjectId(questionId)) return null;
    await this.gate.run(`question:${questionId}`, async () => {
      const set: Record<string, unknown> = { status };
      // The first change marks the chapter: "answering now", or "answered" for a question the
      // lecturer answered without announcing it. Later toggles keep it.
      await this.qs.updateOne({ _id: questionId, seminarId, answeringOffsetMs: null }, { $set: { answeringOffsetMs: offsetMs } });
      await this.qs.updateOne({ _id: questionId, seminarId }, { $set: set, $inc: { revision: 1 } });
    });
    const doc = await this.qs.findOne({ _id: questionId, seminarId }).lean();
    return doc ? questionRecord(doc) : null;
  }

  async questions(seminarId: string): Promise<QuestionRecord[]> {
    return (await this.qs.find({ seminarId }).sort({ at: 1 }).lean()).map(questionRecord);
  }

  async addMarker(m: Omit<MarkerRecord, 'id'>): Promise<MarkerRecord> {
    return withId((await this.marks.create(m)).toObject());
  }

  async markers(seminarId: string): Promise<MarkerRecord[]> {
    return (await this.marks.find({ seminarId }).sort({ offsetMs: 1 }).lean()).map((d) => withId(d) as MarkerRecord);
  }

  async ban(seminarId: string, userId: string): Promise<void> {
    try {
      await this.bans.create({ seminarId, userId, at: new Date() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async isBanned(seminarId: string, userId: string): Promise<boolean> {
    return (await this.bans.countDocuments({ seminarId, userId })) > 0;
  }

  async openAttendance(seminarId: string, userId: string, at: Date): Promise<AttendanceRecord> {
    return withId((await this.attend.create({ seminarId, userId, joinedAt: at, leftAt: null })).toObject());
  }

  async closeAttendance(id: string, at: Date): Promise<void> {
    await this.gate.run(`attendance:${id}`, () => this.attend.updateOne({ _id: id, leftAt: null }, { $set: { leftAt: at } }));
  }

  async attendance(seminarId: string): Promise<AttendanceRecord[]> {
    return (await this.attend.find({ seminarId }).sort({ joinedAt: 1 }).lean()).map((d) => withId(d) as AttendanceRecord);
  }
}
