import { Schema, type Connection, type Model } from 'mongoose';
import type { NewUploadJob, UploadJob, UploadRepository, UploadState } from '../uploads/model';
import type { WriteGate } from './write-gate';

interface UploadDoc extends Omit<UploadJob, 'id'> {
  _id: string;
}

const schema = new Schema<UploadDoc>(
  {
    _id: String,
    ownerId: String,
    fileName: String,
    sizeBytes: Number,
    state: String,
    progress: { type: Number, default: 0 },
    errorCode: { type: String, default: null },
    recordingId: String,
    attempts: { type: Number, default: 0 },
    nodeId: { type: String, default: null },
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false },
);
schema.index({ ownerId: 1, createdAt: -1 });
schema.index({ state: 1 });
schema.index({ recordingId: 1 });

export class MongoUploadRepository implements UploadRepository {
  private constructor(
    private readonly model: Model<UploadDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoUploadRepository {
    return new MongoUploadRepository(
      (connection.models.Upload as Model<UploadDoc> | undefined) ?? connection.model<UploadDoc>('Upload', schema, 'uploads'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async create(job: NewUploadJob): Promise<UploadJob> {
    const { id, ...rest } = job;
    const now = new Date();
    const doc = await this.model.create({
      _id: id,
      ...rest,
      state: 'uploading',
      progress: 0,
      errorCode: null,
      attempts: 0,
      nodeId: null,
      createdAt: now,
      updatedAt: now,
    });
    return toJob(doc.toObject());
  }

  async get(id: string): Promise<UploadJob | null> {
    const doc = await this.model.findById(id).lean();
    return doc ? toJob(doc) : null;
  }

  async listByOwner(ownerId: string, limit: number): Promise<UploadJob[]> {
    return (await this.model.find({ ownerId }).sort({ createdAt: -1 }).limit(limit).lean()).map(toJob);
  }

  countUnfinished(ownerId: string): Promise<number> {
    return this.model.countDocuments({ ownerId, state: { $in: ['uploading', 'processing'] } });
  }

  async update(
    id: string,
    changes: Partial<Pick<UploadJob, 'state' | 'progress' | 'errorCode' | 'attempts' | 'nodeId'>>,
  ): Promise<UploadJob | null> {
    await this.gate.run(`upload:${id}`, () => this.model.updateOne({ _id: id }, { $set: { ...changes, updatedAt: new Date() } }));
    return this.get(id);
  }

  async transition(
    id: string,
    from: UploadState,
    changes: Partial<Pick<UploadJob, 'state' | 'progress' | 'errorCode' | 'nodeId'>>,
  ): Promise<boolean> {
    const result = await this.gate.run(`upload:${id}`, () =>
      this.model.updateOne({ _id: id, state: from }, { $set: { ...changes, updatedAt: new Date() } }),
    );
    return result.modifiedCount > 0;
  }

  async listByRecordingIds(recordingIds: string[]): Promise<UploadJob[]> {
    if (recordingIds.length === 0) return [];
    return (await this.model.find({ recordingId: { $in: recordingIds } }).lean()).map(toJob);
  }

  async listInState(state: UploadState): Promise<UploadJob[]> {
    return (await this.model.find({ state }).lean()).map(toJob);
  }

  async remove(id: string): Promise<void> {
    await this.gate.run(`upload:${id}`, () => this.model.deleteOne({ _id: id }));
  }
}

function toJob(doc: UploadDoc): UploadJob {
  const { _id, ...rest } = doc;
  return { ...rest, id: _id };
}
