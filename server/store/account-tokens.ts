import { Schema, type Connection, type Model } from 'mongoose';
import { accountTokenPurposes, type AccountTokenPurpose, type AccountTokenRepository } from '../accounts/model';
import type { WriteGate } from './write-gate';

interface AccountTokenDoc {
  hash: string;
  userId: string;
  purpose: AccountTokenPurpose;
  expiresAt: Date;
  usedAt: Date | null;
}

const schema = new Schema<AccountTokenDoc>(
  {
    hash: { type: String, required: true },
    userId: { type: String, required: true },
    purpose: { type: String, enum: accountTokenPurposes, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
schema.index({ hash: 1 }, { unique: true });
schema.index({ userId: 1, purpose: 1 });

export class MongoAccountTokenRepository implements AccountTokenRepository {
  private constructor(
    private readonly model: Model<AccountTokenDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoAccountTokenRepository {
    return new MongoAccountTokenRepository(
      (connection.models.AccountToken as Model<AccountTokenDoc> | undefined) ??
        connection.model<AccountTokenDoc>('AccountToken', schema, 'account_tokens'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async insert(record: { hash: string; userId: string; purpose: AccountTokenPurpose; expiresAt: Date }): Promise<void> {
    await this.model.create({ ...record, usedAt: null });
  }

  async consume(hash: string, purpose: AccountTokenPurpose, now: Date): Promise<string | null> {
    // One conditional update: two clicks on the same link cannot both pass.
    const res = await this.gate.run(`account-token:${hash}`, () =>
      this.model.updateOne({ hash, purpose, usedAt: null, expiresAt: { $gt: now } }, { $set: { usedAt: now } }),
    );
    if (res.modifiedCount !== 1) return null;
    const doc = await this.model.findOne({ hash }).lean();
    return doc?.userId ?? null;
  }

  async voidFor(userId: string, purpose: AccountTokenPurpose): Promise<void> {
    await this.model.updateMany({ userId, purpose, usedAt: null }, { $set: { usedAt: new Date() } });
  }
}
