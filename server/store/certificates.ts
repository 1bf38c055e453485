import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Certificate, CertificateRepository, Completion, CompletionRepository, NewCertificate } from '../certificates/model';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

interface CompletionDoc extends Completion {
  _id: string;
}
const completionSchema = new Schema<CompletionDoc>(
  { _id: String, courseId: String, userId: String, completedAt: Date, announced: Boolean },
  { versionKey: false },
);
// The invariant "completed once": two nodes (or two flushes) that both see the course complete race on this index.
completionSchema.index({ courseId: 1, userId: 1 }, { unique: true });

export class MongoCompletionRepository implements CompletionRepository {
  private constructor(
    private readonly model: Model<CompletionDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoCompletionRepository {
    return new MongoCompletionRepository(
      (connection.models.CourseCompletion as Model<CompletionDoc> | undefined) ??
        connection.model<CompletionDoc>('CourseCompletion', completionSchema, 'course_completions'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async record(c: Omit<Completion, 'announced'>): Promise<boolean> {
    try {
      await this.model.create({ _id: randomUUID(), ...c, announced: false });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async get(courseId: string, userId: string): Promise<Completion | null> {
    const doc = await this.model.findOne({ courseId, userId }).lean();
    return doc ? { courseId: doc.courseId, userId: doc.userId, completedAt: doc.completedAt, announced: doc.announced } : null;
  }

  async markAnnounced(courseId: string, userId: string): Promise<void> {
    await this.gate.run(`completion:${courseId}:${userId}`, () =>
      this.model.updateOne({ courseId, userId }, { $set: { announced: true } }),
    );
  }
}

interface CertificateDoc extends Omit<Certificate, 'id'> {
  _id: string;
}
const certificateSchema = new Schema<CertificateDoc>(
  {
    _id: String,
    courseId: String,
    userId: String,
    generation: Number,
    code: String,
    learnerName: String,
    courseTitle: String,
    courseSeconds: Number,
    completedAt: Date,
    timeZone: String,
    issuedAt: Date,
    revokedAt: { type: Date, default: null },
    revokedReason: { type: String, default: null },
    revokedBy: { type: String, default: null },
    announced: Boolean,
  },
  { versionKey: false },
);
// Issued once per (course, learner) and re-issue: concurrent issuers of one generation race here.
certificateSchema.index({ courseId: 1, userId: 1, generation: 1 }, { unique: true });
certificateSchema.index({ code: 1 }, { unique: true });
certificateSchema.index({ userId: 1 });

export class MongoCertificateRepository implements CertificateRepository {
  private constructor(
    private readonly model: Model<CertificateDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoCertificateRepository {
    return new MongoCertificateRepository(
      (connection.models.Certificate as Model<CertificateDoc> | undefined) ??
        connection.model<CertificateDoc>('Certificate', certificateSchema, 'certificates'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async insert(c: NewCertificate): Promise<Certificate | null> {
    // A hex id: routes take certificate ids as 24-hex object ids, like every other id.
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    try {
      await this.model.create({ _id: id, ...c, revokedAt: null, revokedReason: null, revokedBy: null, announced: false });
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    return this.get(id);
  }

  async get(id: string): Promise<Certificate | null> {
    const doc = await this.model.findById(id).lean();
    return doc ? toCertificate(doc) : null;
  }

  async byCode(code: string): Promise<Certificate | null> {
    const doc = await this.model.findOne({ code }).lean();
    return doc ? toCertificate(doc) : null;
  }

  async latest(courseId: string, userId: string): Promise<Certificate | null> {
    const doc = await this.model.findOne({ courseId, userId }).sort({ generation: -1 }).lean();
    return doc ? toCertificate(doc) : null;
  }

  async listForUser(userId: string): Promise<Certificate[]> {
    return (await this.model.find({ userId }).sort({ issuedAt: -1 }).limit(500).lean()).map(toCertificate);
  }

  async listForCourse(courseId: string, limit: number): Promise<Certificate[]> {
    return (await this.model.find({ courseId }).sort({ issuedAt: -1 }).limit(limit).lean()).map(toCertificate);
  }

  async revoke(id: string, by: string, reason: string, at: Date): Promise<boolean> {
    const res = await this.gate.run(`certificate:${id}`, () =>
      this.model.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at, revokedBy: by, revokedReason: reason } }),
    );
    return res.modifiedCount === 1;
  }

  async markAnnounced(id: string): Promise<void> {
    await this.gate.run(`certificate:${id}`, () => this.model.updateOne({ _id: id }, { $set: { announced: true } }));
  }
}

function toCertificate(doc: CertificateDoc): Certificate {
  return {
    id: doc._id,
    courseId: doc.courseId,
    userId: doc.userId,
    generation: doc.generation,
    code: doc.code,
    learnerName: doc.learnerName,
    courseTitle: doc.courseTitle,
    courseSeconds: doc.courseSeconds,
    completedAt: doc.completedAt,
    timeZone: doc.timeZone,
    issuedAt: doc.issuedAt,
    revokedAt: doc.revokedAt ?? null,
    revokedReason: doc.revokedReason ?? null,
    revokedBy: doc.revokedBy ?? null,
    announced: doc.announced ?? false,
  };
}
