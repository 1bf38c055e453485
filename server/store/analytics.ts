import type { Connection, mongo } from 'mongoose';
import type { AnalyticsRepository, AttendanceSpan, Enrolment } from '../analytics/model';

// Reads for the analytics over the collections that other repositories own and index
// (live_attendance, registrations, live_chat, live_questions, progress, enrolments): read only,
// through the driver, with projections, and every growing listing through a cursor in batches.

/** A driver cursor as batches of at most `size`: the driver fetches the next only when asked. */
async function* batches<T>(cursor: mongo.FindCursor<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  try {
    for await (const doc of cursor) {
      batch.push(doc);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    // Also when the consumer stops early (a download cancelled): the server-side cursor goes.
    await cursor.close();
  }
}

interface SpanDoc {
  userId: string;
  joinedAt: Date;
  leftAt: Date | null;
}

const spanOf = (d: SpanDoc): AttendanceSpan => ({ userId: d.userId, joinedAt: d.joinedAt, leftAt: d.leftAt ?? null });

export class MongoAnalyticsRepository implements AnalyticsRepository {
  private constructor(private readonly connection: Connection) {}

  static create(connection: Connection): MongoAnalyticsRepository {
    return new MongoAnalyticsRepository(connection);
  }

  /** The collections' indexes belong to their own repositories. */
  ensureIndexes(): Promise<unknown> {
    return Promise.resolve();
  }

  private collection<T extends mongo.Document>(name: string): mongo.Collection<T> {
    return this.connection.collection<T>(name);
  }

  async *attendanceByUser(seminarId: string, batchSize: number): AsyncGenerator<AttendanceSpan[]> {
    const cursor = this.collection<SpanDoc>('live_attendance')
      .find({ seminarId }, { projection: { _id: 0, userId: 1, joinedAt: 1, leftAt: 1 }, batchSize })
      .sort({ userId: 1, joinedAt: 1 });
    for await (const batch of batches(cursor, batchSize)) yield batch.map(spanOf);
  }

  async attendanceExtent(seminarId: string): Promise<{ firstJoin: Date; lastLeave: Date | null } | null> {
    const spans = this.collection<SpanDoc>('live_attendance');
    const [first] = await spans
      .find({ seminarId }, { projection: { _id: 0, joinedAt: 1 } })
      .sort({ joinedAt: 1 })
      .limit(1)
      .toArray();
    if (!first) return null;
    const [last] = await spans
      .find({ seminarId, leftAt: { $ne: null } }, { projection: { _id: 0, leftAt: 1 } })
      .sort({ leftAt: -1 })
      .limit(1)
      .toArray();
    return { firstJoin: first.joinedAt, lastLeave: last?.leftAt ?? null };
  }

  async attendanceOf(seminarId: string, userIds: string[]): Promise<AttendanceSpan[]> {
    if (userIds.length === 0) return [];
    const docs = await this.collection<SpanDoc>('live_attendance')
      .find({ seminarId, userId: { $in: userIds } }, { projection: { _id: 0, userId: 1, joinedAt: 1, leftAt: 1 } })
      .sort({ userId: 1, joinedAt: 1 })
      .toArray();
    return docs.map(spanOf);
  }

  async registeredAmong(seminarId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const docs = await this.collection<{ userId: string }>('registrations')
      .find({ seminarId, userId: { $in: userIds }, status: { $in: ['registered', 'waitlisted'] } }, { projection: { _id: 0, userId: 1 } })
      .toArray();
    return new Set(docs.map((d) => d.userId));
  }

  async countRegistrations(seminarId: string): Promise<{ registered: number; waitlisted: number }> {
    const registrations = this.collection('registrations');
    const [registered, waitlisted] = await Promise.all([
      registrations.countDocuments({ seminarId, status: 'registered' }),
      registrations.countDocuments({ seminarId, status: 'waitlisted' }),
    ]);
    return { registered, waitlisted };
  }

  countChat(seminarId: string): Promise<number> {
    return this.collection('live_chat').countDocuments({ seminarId, deletedAt: null });
  }

  countQuestions(seminarId: string): Promise<number> {
    return this.collection('live_questions').countDocuments({ seminarId });
  }

  countWatchers(contentId: string): Promise<number> {
    return this.collection('progress').countDocuments({ contentId, coveredSeconds: { $gt: 0 } });
  }

  async reportedDuration(contentId: string): Promise<number | null> {
    const [doc] = await this.collection<{ durationSeconds: number | null }>('progress')
      .find({ contentId, durationSeconds: { $gt: 0 } }, { projection: { _id: 0, durationSeconds: 1 } })
      .sort({ durationSeconds: -1 })
      .limit(1)
      .toArray();
    return doc?.durationSeconds ?? null;
  }

  async *enrolments(courseId: string, batchSize: number): AsyncGenerator<Enrolment[]> {
    const cursor = this.collection<Enrolment>('enrolments')
      .find({ courseId }, { projection: { _id: 0, userId: 1, createdAt: 1 }, batchSize })
      .sort({ userId: 1 });
    yield* batches(cursor, batchSize);
  }
}
