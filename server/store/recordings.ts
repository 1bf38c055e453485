import { Schema, type Connection, type Model } from 'mongoose';
import type { Recording, RecordingRepository } from '../recordings/model';
import { decodeCursor, encodeCursor } from './cursor';
import type { WriteGate } from './write-gate';

interface RecordingDoc extends Omit<Recording, 'id'> {
  _id: string;
}

const schema = new Schema<RecordingDoc>(
  {
    _id: String,
    origin: { type: String, default: 'seminar' },
    seminarId: { type: String, default: null },
    uploaderId: { type: String, default: null },
    status: String,
    dir: String,
    startedAt: Date,
    timelineOrigin: { type: Date, default: null },
    endedAt: { type: Date, default: null },
    durationSeconds: { type: Number, default: null },
    segments: { type: Number, default: 0 },
    discontinuities: { type: Number, default: 0 },
    videoCodec: { type: String, default: null },
    hasPoster: { type: Boolean, default: false },
    screens: { type: [new Schema({ name: String, offsetMs: Number }, { _id: false })], default: [] },
    lessonId: { type: String, default: null },
    title: { type: String, default: null },
    trim: { type: new Schema({ startSeconds: Number, endSeconds: Number, totalSeconds: Number }, { _id: false }), default: null },
    nodeId: { type: String, default: null },
    subtitles: {
      type: [
        new Schema(
          {
            language: String,
            file: String,
            cueCount: Number,
            sourceFormat: String,
            sourceEncoding: String,
            uploadedAt: Date,
            uploadedBy: String,
          },
          { _id: false },
        ),
      ],
      default: [],
    },
  },
  { versionKey: false },
);
schema.index({ seminarId: 1, startedAt: -1 });
schema.index({ status: 1 });
schema.index({ uploaderId: 1, startedAt: -1 });

export class MongoRecordingRepository implements RecordingRepository {
  private constructor(
    private readonly model: Model<RecordingDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoRecordingRepository {
    return new MongoRecordingRepository(
      (connection.models.Recording as Model<RecordingDoc> | undefined) ?? connection.model<RecordingDoc>('Recording', schema, 'recordings'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async create(
    r: Pick<Recording, 'dir' | 'startedAt' | 'videoCodec' | 'nodeId'> &
      Partial<Pick<Recording, 'timelineOrigin'>> & { id: string; seminarId: string },
  ): Promise<Recording> {
    const { id, ...rest } = r;
    const doc = await this.model.create({ _id: id, ...rest, origin: 'seminar', status: 'recording', screens: [], lessonId: null });
    return toRecording(doc.toObject());
  }

  async createReady(
    r: Pick<Recording, 'uploaderId' | 'dir' | 'startedAt' | 'endedAt' | 'durationSeconds' | 'segments' | 'videoCodec' | 'hasPoster'> & {
      id: string;
      origin: 'upload';
    },
  ): Promise<Recording> {
    const { id, ...rest } = r;
    const doc = await this.model.create({ _id: id, ...rest, seminarId: null, status: 'ready', screens: [], lessonId: null, nodeId: null });
    return toRecording(doc.toObject());
  }

  async get(id: string): Promise<Recording | null> {
    const doc = await this.model.findById(id).lean();
    return doc ? toRecording(doc) : null;
  }

  async current(seminarId: string): Promise<Recording | null> {
    const doc = await this.model.findOne({ seminarId, status: 'recording' }).sort({ startedAt: -1 }).lean();
    return doc ? toRecording(doc) : null;
  }

  async latestReady(seminarId: string): Promise<Recording | null> {
    const doc = await this.model.findOne({ seminarId, status: 'ready' }).sort({ startedAt: -1 }).lean();
    return doc ? toRecording(doc) : null;
  }

  async update(id: string, changes: Partial<Omit<Recording, 'id' | 'seminarId' | 'dir'>>): Promise<Recording | null> {
    await this.gate.run(`recording:${id}`, () => this.model.updateOne({ _id: id }, { $set: changes }));
    return this.get(id);
  }

  async addScreen(id: string, screen: { name: string; offsetMs: number }): Promise<void> {
    await this.gate.run(`recording:${id}`, () => this.model.updateOne({ _id: id }, { $push: { screens: screen } }));
  }

  async listUnfinished(): Promise<Recording[]> {
    return (await this.model.find({ status: 'recording' }).lean()).map(toRecording);
  }

  async listUnattached(limit: number, exceptSeminarIds: string[] = []): Promise<Recording[]> {
    const filter = {
      status: 'ready' as const,
      lessonId: null,
      ...(exceptSeminarIds.length > 0 ? { seminarId: { $nin: exceptSeminarIds } } : {}),
    };
    return (await this.model.find(filter).sort({ startedAt: -1 }).limit(limit).lean()).map(toRecording);
  }

  async listUploadsBy(uploaderIds: string[], limit: number): Promise<Recording[]> {
    if (uploaderIds.length === 0) return [];
    return (
      await this.model
        .find({ origin: 'upload', status: 'ready', uploaderId: { $in: uploaderIds } })
        .sort({ startedAt: -1 })
        .limit(limit)
        .lean()
    ).map(toRecording);
  }

  async list(seminarIds: string[] | 'all', limit: number, cursor?: string): Promise<{ items: Recording[]; nextCursor: string | null }> {
    const and: object[] = [];
    if (seminarIds !== 'all') and.push({ seminarId: { $in: seminarIds } });
    const after = decodeCursor(cursor, ['time', 'id']);
    if (after) {
      const at = new Date(after[0] as number);
      and.push({ $or: [{ startedAt: { $lt: at } }, { startedAt: at, _id: { $lt: after[1] as string } }] });
    }
    const docs = await this.model
      .find(and.length ? { $and: and } : {})
      .sort({ startedAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toRecording);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.startedAt.getTime(), last.id]) : null };
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.gate.run(`recording:${id}`, () => this.model.deleteOne({ _id: id }));
    return result.deletedCount > 0;
  }
}

function toRecording(doc: RecordingDoc): Recording {
  const { _id, ...rest } = doc;
  return {
    ...rest,
    id: _id,
    // Recordings written before uploads existed have neither field: they are seminars'.
    origin: rest.origin ?? 'seminar',
    seminarId: rest.seminarId ?? null,
    uploaderId: rest.uploaderId ?? null,
    nodeId: rest.nodeId ?? null,
    timelineOrigin: rest.timelineOrigin ?? null,
    title: rest.title ?? null,
    trim: rest.trim
      ? { startSeconds: rest.trim.startSeconds, endSeconds: rest.trim.endSeconds, totalSeconds: rest.trim.totalSeconds }
      : null,
    screens: (rest.screens ?? []).map((s) => ({ name: s.name, offsetMs: s.offsetMs })),
    subtitles: (rest.subtitles ?? []).map((t) => ({
      language: t.language,
      file: t.file,
      cueCount: t.cueCount,
      sourceFormat: t.sourceFormat,
      sourceEncoding: t.sourceEncoding,
      uploadedAt: t.uploadedAt,
      uploadedBy: t.uploadedBy,
    })),
  };
}
