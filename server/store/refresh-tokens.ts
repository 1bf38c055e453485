import { Schema, type Connection, type Model } from 'mongoose';
import type { RefreshTokenRecord, RefreshTokenRepository } from '../accounts/model';
import type { WriteGate } from './write-gate';

interface RefreshTokenDoc {
  hash: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  usedAt?: Date | null;
}

const schema = new Schema<RefreshTokenDoc>(
  {
    hash: { type: String, required: true },
    userId: { type: String, required: true },
    familyId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
schema.index({ hash: 1 }, { unique: true });
schema.index({ familyId: 1 });
schema.index({ userId: 1 });

export class MongoRefreshTokenRepository implements RefreshTokenRepository {
  private constructor(
    private readonly model: Model<RefreshTokenDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoRefreshTokenRepository {
    return new MongoRefreshTokenRepository(
      (connection.models.RefreshToken as Model<RefreshTokenDoc> | undefined) ??
        connection.model<RefreshTokenDoc>('RefreshToken', schema, 'refresh_tokens'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async insert(record: RefreshTokenRecord & { hash: string; expiresAt: Date }): Promise<void> {
    await this.model.create(record);
  }

  async consume(hash: string, now: Date): Promise<RefreshTokenRecord | { reused: RefreshTokenRecord } | null> {
    // One conditional update decides the race between two refreshes of the same token.
    const res = await this.gate.run(`refresh:${hash}`, () =>
      this.model.updateOne({ hash, usedAt: null, expiresAt: { $gt: now } }, { $set: { usedAt: now } }),
    );
    const stale = await this.model.findOne({ hash }).lean();
    if (res.modifiedCount === 1 && stale) return { userId: stale.userId, familyId: stale.familyId };
    if (stale && stale.usedAt) return { reused: { userId: stale.userId, familyId: stale.familyId } };
    return null;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.model.updateMany({ familyId, usedAt: null }, { $set: { usedAt: new Date() } });
  }

  async revoke(hash: string): Promise<void> {
    await this.gate.run(`refresh:${hash}`, () => this.model.updateOne({ hash, usedAt: null }, { $set: { usedAt: new Date() } }));
  }

  async revokeAllFor(userId: string): Promise<void> {
    await this.model.updateMany({ userId, usedAt: null }, { $set: { usedAt: new Date() } });
  }
}
