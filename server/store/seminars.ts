import { Schema, Types, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { NewSeminar, Page, Seminar, SeminarChanges, SeminarFilter, SeminarRepository, SeminarStatus } from '../seminars/model';
import { seminarStatuses } from '../seminars/model';
import { decodeCursor, encodeCursor } from './cursor';
import type { WriteGate } from './write-gate';

interface SeminarDoc extends Omit<Seminar, 'id'> {
  /** When its text or status last changed: the search index's catch-up on other nodes reads it. */
  updatedAt?: Date;
  /** capacity - registered; may go negative when capacity is lowered. Seats are claimed with one conditional $inc. */
  seatsLeft: number;
}

const schema = new Schema<SeminarDoc>(
  {
    title: String,
    description: String,
    track: String,
    language: String,
    status: { type: String, enum: seminarStatuses },
    startsAt: Date,
    timeZone: String,
    durationMinutes: Number,
    capacity: Number,
    registeredCount: Number,
    seatsLeft: Number,
    isPublic: Boolean,
    lecturerIds: [String],
    courseId: { type: String, default: null },
    sequence: Number,
    questions: { type: Schema.Types.Mixed, default: [] },
    liveStartedAt: { type: Date, default: null },
    endedAt: { type: Date, default: null },
    encoreOf: { type: String, default: null },
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false },
);
schema.index({ status: 1, startsAt: 1 });
schema.index({ updatedAt: 1 });
schema.index({ startsAt: 1, _id: 1 });

export class MongoSeminarRepository implements SeminarRepository {
  private constructor(
    private readonly model: Model<SeminarDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoSeminarRepository {
    return new MongoSeminarRepository(
      (connection.models.Seminar as Model<SeminarDoc> | undefined) ?? connection.model<SeminarDoc>('Seminar', schema, 'seminars'),
      gate,
    );
  }

  private updateSeminar(id: string, filter: object, update: object): Promise<boolean> {
    return this.gate.run(`seminar:${id}`, async () => (await this.model.updateOne({ _id: id, ...filter }, update)).modifiedCount === 1);
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async create(s: NewSeminar): Promise<Seminar> {
    const doc = await this.model.create({
      ...s,
      questions: s.questions ?? [],
      encoreOf: s.encoreOf ?? null,
      status: 'draft',
      registeredCount: 0,
      seatsLeft: s.capacity,
      sequence: 0,
      liveStartedAt: null,
      endedAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    return toSeminar(doc.toObject());
  }

  async get(id: string): Promise<Seminar | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findById(id).lean();
    return doc ? toSeminar(doc) : null;
  }

  async list(filter: SeminarFilter, limit: number, cursor?: string): Promise<Page<Seminar>> {
    const visible: object[] = [{ status: { $in: filter.statuses.filter((s) => s !== 'draft') } }];
    if (filter.statuses.includes('draft') && filter.draftsOf) {
      visible.push(filter.draftsOf === 'all' ? { status: 'draft' } : { status: 'draft', lecturerIds: filter.draftsOf });
    }
    const and: object[] = [{ $or: visible }];
    if (filter.track) and.push({ track: filter.track });
    if (filter.startsFrom) and.push({ startsAt: { $gte: filter.startsFrom } });
    if (filter.startsBefore) and.push({ startsAt: { $lt: filter.startsBefore } });
    if (filter.lecturerOf) and.push({ lecturerIds: filter.lecturerOf });
    const after = decodeCursor(cursor, ['time', 'id']);
    const beyond = filter.newestFirst ? '$lt' : '$gt';
    if (after) {
      const at = new Date(after[0] as number);
      const id = new Types.ObjectId(after[1] as string);
      and.push({ $or: [{ startsAt: { [beyond]: at } }, { startsAt: at, _id: { [beyond]: id } }] });
    }
    const direction = filter.newestFirst ? -1 : 1;
    const docs = await this.model
      .find({ $and: and })
      .sort({ startsAt: direction, _id: direction })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toSeminar);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.startsAt.getTime(), last.id]) : null };
  }

  async update(id: string, statuses: SeminarStatus[], changes: SeminarChanges): Promise<Seminar | null> {
    if (!isValidObjectId(id)) return null;
    for (;;) {
      const current = await this.model.findById(id).lean();
      if (!current || !statuses.includes(current.status)) return null;
      const seatDelta = changes.capacity === undefined ? 0 : changes.capacity - current.capacity;
      // Guarded on the capacity we read, so a concurrent change cannot skew seatsLeft.
      const updated = await this.updateSeminar(
        id,
        { status: { $in: statuses }, capacity: current.capacity },
        { $set: { ...changes, updatedAt: new Date() }, $inc: { sequence: 1, seatsLeft: seatDelta } },
      );
      if (updated) return this.get(id);
    }
  }

  async transition(id: string, from: SeminarStatus[], to: SeminarStatus, at: Date): Promise<Seminar | null> {
    if (!isValidObjectId(id)) return null;
    const stamps = to === 'live' ? { liveStartedAt: at } : to === 'ended' ? { endedAt: at } : {};
    const moved = await this.updateSeminar(
      id,
      { status: { $in: from } },
      { $set: { status: to, ...stamps, updatedAt: new Date() }, $inc: { sequence: 1 } },
    );
    return moved ? this.get(id) : null;
  }

  async claimSeat(id: string): Promise<boolean> {
    return this.updateSeminar(
      id,
      { status: { $in: ['scheduled', 'live'] }, seatsLeft: { $gt: 0 } },
      { $inc: { seatsLeft: -1, registeredCount: 1 } },
    );
  }

  async releaseSeat(id: string): Promise<void> {
    await this.updateSeminar(id, {}, { $inc: { seatsLeft: 1, registeredCount: -1 } });
  }

  async setRegisteredCount(id: string, count: number): Promise<void> {
    await this.gate.run(`seminar:${id}`, async () => {
      const doc = await this.model.findById(id).lean();
      if (doc) await this.model.updateOne({ _id: id }, { $set: { registeredCount: count, seatsLeft: doc.capacity - count } });
    });
  }

  async listByIds(ids: string[]): Promise<Seminar[]> {
    const docs = await this.model.find({ _id: { $in: ids.filter((i) => isValidObjectId(i)) } }).lean();
    return docs.map(toSeminar);
  }

  async listActive(): Promise<Seminar[]> {
    return (await this.model.find({ status: { $in: ['scheduled', 'live'] } }).lean()).map(toSeminar);
  }

  /** Seminars whose text or status changed at or after `since`, oldest change first (search catch-up). */
  async changedSince(since: Date, limit: number): Promise<Array<{ seminar: Seminar; updatedAt: Date }>> {
    const docs = await this.model
      .find({ updatedAt: { $gte: since } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean();
    return docs.map((d) => ({ seminar: toSeminar(d), updatedAt: d.updatedAt! }));
  }

  /** Scheduled seminars starting in (from, to]: the reminder scheduler's window. */
  async listStartingBetween(from: Date, to: Date): Promise<Seminar[]> {
    return (await this.model.find({ status: 'scheduled', startsAt: { $gt: from, $lte: to } }).lean()).map(toSeminar);
  }

  async listEncoresDue(now: Date): Promise<Seminar[]> {
    const docs = await this.model
      .find({ encoreOf: { $type: 'string' }, $or: [{ status: 'scheduled', startsAt: { $lte: now } }, { status: 'live' }] })
      .lean();
    return docs.map(toSeminar);
  }
}

function toSeminar(doc: SeminarDoc & { _id: unknown }): Seminar {
  return {
    id: String(doc._id),
    title: doc.title,
    description: doc.description,
    track: doc.track,
    language: doc.language,
    status: doc.status,
    startsAt: doc.startsAt,
    timeZone: doc.timeZone,
    durationMinutes: doc.durationMinutes,
    capacity: doc.capacity,
    registeredCount: doc.registeredCount,
    isPublic: doc.isPublic,
    lecturerIds: [...doc.lecturerIds],
    courseId: doc.courseId ?? null,
    sequence: doc.sequence,
    questions: (doc.questions ?? []).map((q) => ({ ...q, options: [...q.options] })),
    liveStartedAt: doc.liveStartedAt ?? null,
    endedAt: doc.endedAt ?? null,
    createdAt: doc.createdAt,
    encoreOf: doc.encoreOf ?? null,
  };
}
