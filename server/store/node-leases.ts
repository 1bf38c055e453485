import { Schema, type Connection, type Model } from 'mongoose';
import type { NodeLeaseRepository } from '../nodes/model';

interface LeaseDoc {
  _id: string;
  expiresAt: Date;
}

const schema = new Schema<LeaseDoc>({ _id: String, expiresAt: Date }, { versionKey: false });

/** One document per node; only its own node writes it, so no write gate is needed. */
export class MongoNodeLeaseRepository implements NodeLeaseRepository {
  private constructor(private readonly model: Model<LeaseDoc>) {}

  static create(connection: Connection): MongoNodeLeaseRepository {
    return new MongoNodeLeaseRepository(
      (connection.models.NodeLease as Model<LeaseDoc> | undefined) ?? connection.model<LeaseDoc>('NodeLease', schema, 'node_leases'),
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async renew(nodeId: string, expiresAt: Date): Promise<void> {
    await this.model.updateOne({ _id: nodeId }, { $set: { expiresAt } }, { upsert: true });
  }

  async alive(now: Date): Promise<Set<string>> {
    return new Set((await this.model.find({ expiresAt: { $gt: now } }).lean()).map((d) => d._id));
  }

  async release(nodeId: string): Promise<void> {
    await this.model.deleteOne({ _id: nodeId });
  }
}
