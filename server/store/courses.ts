import { Schema, Types, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { Course, CourseChanges, CourseRepository, EnrolmentRepository, NewCourse } from '../courses/model';
import type { Page } from '../seminars/model';
import { decodeCursor, encodeCursor } from './cursor';
import { isDuplicateKey } from './mongo-errors';

interface CourseDoc extends Omit<Course, 'id'> {
  /** Every lesson id in the structure, flat: FerretDB v1 cannot query reliably into arrays of sub-documents. */
  lessonIds: string[];
  /** Seminar ids of recording lessons, for the same reason. */
  seminarIds: string[];
  /** Recording ids of upload lessons, for the same reason. */
  recordingIds?: string[];
  /** When it last changed: the search index's catch-up on other nodes reads it. */
  updatedAt?: Date;
}

const lessonSchema = new Schema(
  {
    id: String,
    kind: String,
    title: String,
    seminarId: String,
    recordingId: String,
    playlistPath: String,
    body: String,
    durationSeconds: Number,
  },
  { _id: false },
);
const schema = new Schema<CourseDoc>(
  {
    title: String,
    description: String,
    track: String,
    published: Boolean,
    completionThreshold: Number,
    presenceShare: { type: Number, default: null },
    quizRule: { type: String, default: 'all_passed' },
    ownerIds: [String],
    modules: [new Schema({ id: String, title: String, lessons: [lessonSchema] }, { _id: false })],
    lessonIds: [String],
    seminarIds: [String],
    recordingIds: { type: [String], default: [] },
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false },
);
schema.index({ lessonIds: 1 });
schema.index({ seminarIds: 1 });
schema.index({ recordingIds: 1 });
schema.index({ updatedAt: 1 });

export class MongoCourseRepository implements CourseRepository {
  private constructor(private readonly model: Model<CourseDoc>) {}

  static create(connection: Connection): MongoCourseRepository {
    return new MongoCourseRepository(
      (connection.models.Course as Model<CourseDoc> | undefined) ?? connection.model<CourseDoc>('Course', schema, 'courses'),
    );
  }

  async ensureIndexes(): Promise<unknown> {
    await this.model.createIndexes();
    // Courses saved before upload lessons were indexed flat get their recordingIds once,
    // so that deleting an upload finds every course that uses it.
    for (const doc of await this.model.find({ recordingIds: { $exists: false } }, { modules: 1 }).lean()) {
      const recordingIds = (doc.modules ?? []).flatMap((m) => m.lessons.flatMap((l) => (l.recordingId ? [l.recordingId] : [])));
      await this.model.updateOne({ _id: doc._id, recordingIds: { $exists: false } }, { $set: { recordingIds } });
    }
    return undefined;
  }

  async create(c: NewCourse): Promise<Course> {
    const doc = await this.model.create({
      ...c,
      published: false,
      modules: [],
      lessonIds: [],
      seminarIds: [],
      recordingIds: [],
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    return toCourse(doc.toObject());
  }

  async get(id: string): Promise<Course | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findById(id).lean();
    return doc ? toCourse(doc) : null;
  }

  async update(id: string, changes: CourseChanges): Promise<Course | null> {
    if (!isValidObjectId(id)) return null;
    const set: Partial<CourseDoc> = { ...changes, updatedAt: new Date() };
    if (changes.modules) {
      const lessons = changes.modules.flatMap((m) => m.lessons);
      set.lessonIds = lessons.map((l) => l.id);
      set.seminarIds = lessons.flatMap((l) => (l.seminarId ? [l.seminarId] : []));
      set.recordingIds = lessons.flatMap((l) => (l.recordingId ? [l.recordingId] : []));
    }
    const res = await this.model.updateOne({ _id: id }, { $set: set });
    return res.matchedCount === 1 ? this.get(id) : null;
  }

  async list(
    filter: { publishedOrOwnedBy?: string /* a user id, or 'all' */; ownedBy?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<Course>> {
    const scope = filter.ownedBy
      ? { ownerIds: filter.ownedBy }
      : filter.publishedOrOwnedBy === 'all'
        ? {}
        : filter.publishedOrOwnedBy
          ? { $or: [{ published: true }, { ownerIds: filter.publishedOrOwnedBy }] }
          : { published: true };
    const after = decodeCursor(cursor, ['id']);
    const query = after ? { $and: [scope, { _id: { $gt: new Types.ObjectId(after[0] as string) } }] } : scope;
    const docs = await this.model
      .find(query)
      .sort({ _id: 1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toCourse);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.id]) : null };
  }

  async listByIds(ids: string[]): Promise<Course[]> {
    return (
      await this.model
        .find({ _id: { $in: ids.filter((i) => isValidObjectId(i)) } })
        .sort({ _id: 1 })
        .lean()
    ).map(toCourse);
  }

  async findByLessonId(lessonId: string): Promise<Course | null> {
    const doc = await this.model.findOne({ lessonIds: lessonId }).lean();
    return doc ? toCourse(doc) : null;
  }

  async withSeminar(seminarId: string): Promise<Course[]> {
    return (await this.model.find({ seminarIds: seminarId }).limit(1000).lean()).map(toCourse);
  }

  async seminarIdsUsed(): Promise<string[]> {
    // The database gives each id once (an array's elements count one by one), from the index on
    // seminarIds where it can: the courses themselves do not travel.
    return (await this.model.distinct('seminarIds')).filter((id): id is string => typeof id === 'string');
  }

  async withRecording(recordingId: string): Promise<Course[]> {
    return (await this.model.find({ recordingIds: recordingId }).limit(1000).lean()).map(toCourse);
  }

  async recordingIdsInCourses(recordingIds: string[]): Promise<Set<string>> {
    if (recordingIds.length === 0) return new Set();
    const wanted = new Set(recordingIds);
    const docs = await this.model.find({ recordingIds: { $in: recordingIds } }, { recordingIds: 1 }).lean();
    return new Set(docs.flatMap((d) => (d.recordingIds ?? []).filter((id) => wanted.has(id))));
  }

  async changedSince(since: Date, limit: number): Promise<Array<{ course: Course; updatedAt: Date }>> {
    const docs = await this.model
      .find({ updatedAt: { $gte: since } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean();
    return docs.map((d) => ({ course: toCourse(d), updatedAt: d.updatedAt! }));
  }

  async setRecordingDuration(seminarId: string, durationSeconds: number): Promise<void> {
    for (const doc of await this.model.find({ seminarIds: seminarId }).lean()) {
      const modules = doc.modules.map((m) => ({
        ...m,
        lessons: m.lessons.map((l) => (l.seminarId === seminarId ? { ...l, durationSeconds } : l)),
      }));
      await this.model.updateOne({ _id: doc._id }, { $set: { modules } });
    }
  }
}

function toCourse(doc: CourseDoc & { _id: unknown }): Course {
  return {
    id: String(doc._id),
    title: doc.title,
    description: doc.description,
    track: doc.track,
    published: doc.published,
    completionThreshold: doc.completionThreshold,
    presenceShare: doc.presenceShare ?? null,
    quizRule: doc.quizRule ?? 'all_passed',
    ownerIds: [...doc.ownerIds],
    modules: (doc.modules ?? []).map((m) => ({
      id: m.id,
      title: m.title,
      lessons: m.lessons.map((l) => ({
        id: l.id,
        kind: l.kind,
        title: l.title,
        seminarId: l.seminarId ?? null,
        ...(l.recordingId ? { recordingId: l.recordingId } : {}),
        playlistPath: l.playlistPath ?? null,
        body: l.body ?? null,
        durationSeconds: l.durationSeconds ?? null,
      })),
    })),
    createdAt: doc.createdAt,
  };
}

interface EnrolmentDoc {
  courseId: string;
  userId: string;
  createdAt: Date;
}
const enrolmentSchema = new Schema<EnrolmentDoc>({ courseId: String, userId: String, createdAt: Date }, { versionKey: false });
enrolmentSchema.index({ courseId: 1, userId: 1 }, { unique: true });
enrolmentSchema.index({ userId: 1 });

export class MongoEnrolmentRepository implements EnrolmentRepository {
  private constructor(private readonly model: Model<EnrolmentDoc>) {}

  static create(connection: Connection): MongoEnrolmentRepository {
    return new MongoEnrolmentRepository(
      (connection.models.Enrolment as Model<EnrolmentDoc> | undefined) ??
        connection.model<EnrolmentDoc>('Enrolment', enrolmentSchema, 'enrolments'),
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async enrol(courseId: string, userId: string): Promise<void> {
    try {
      await this.model.create({ courseId, userId, createdAt: new Date() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // enrolling twice is a no-op
    }
  }

  async unenrol(courseId: string, userId: string): Promise<boolean> {
    return (await this.model.deleteOne({ courseId, userId })).deletedCount === 1;
  }

  async isEnrolled(courseId: string, userId: string): Promise<boolean> {
    return (await this.model.countDocuments({ courseId, userId })) > 0;
  }

  async courseIdsFor(userId: string): Promise<string[]> {
    return (await this.model.find({ userId }).lean()).map((d) => d.courseId);
  }

  async learnersOf(courseId: string): Promise<string[]> {
    return (await this.model.find({ courseId }).lean()).map((d) => d.userId);
  }
}
