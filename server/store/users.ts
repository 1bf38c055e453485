import { Schema, Types, isValidObjectId, type Connection, type Model } from 'mongoose';
import {
  normalizeEmail,
  roles,
  locales,
  type NewUser,
  type Role,
  type User,
  type UserDirectory,
  type UserRepository,
} from '../accounts/model';
import { decodeCursor, encodeCursor } from './cursor';
import { ConflictError } from '../errors';
import { uniquely } from './mongo-errors';

interface UserDoc {
  email: string;
  displayName: string;
  locale: (typeof locales)[number];
  roles: Array<(typeof roles)[number]>;
  passwordHash: string;
  calendarTokenHash?: string;
  createdAt: Date;
  disabled?: boolean;
}

const userSchema = new Schema<UserDoc>(
  {
    email: { type: String, required: true },
    displayName: { type: String, required: true },
    locale: { type: String, enum: locales, required: true },
    roles: { type: [String], enum: roles, required: true },
    passwordHash: { type: String, required: true },
    calendarTokenHash: { type: String },
    createdAt: { type: Date, required: true },
    disabled: { type: Boolean, default: false },
  },
  { versionKey: false },
);
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ calendarTokenHash: 1 });

export class MongoUserRepository implements UserRepository, UserDirectory {
  private constructor(private readonly model: Model<UserDoc>) {}

  static async create(connection: Connection): Promise<MongoUserRepository> {
    const model = connection.models.User ?? connection.model<UserDoc>('User', userSchema, 'users');
    return new MongoUserRepository(model as Model<UserDoc>);
  }

  /** Builds the indexes; the unique e-mail index is what makes registration race-free. */
  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async create(user: NewUser): Promise<User> {
    const doc = await uniquely(
      () => this.model.create({ ...user, email: normalizeEmail(user.email), createdAt: new Date() }),
      () => new ConflictError('email_taken', 'An account with this e-mail already exists'),
    );
    return toUser(doc.toObject());
  }

  async findById(id: string): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findById(id).lean();
    return doc ? toUser(doc) : null;
  }

  async setRoles(id: string, roles: Role[]): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const res = await this.model.updateOne({ _id: id }, { $set: { roles } });
    return res.matchedCount === 1 ? this.findById(id) : null;
  }

  async setCalendarTokenHash(id: string, hash: string): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { calendarTokenHash: hash } });
  }

  async findByCalendarTokenHash(hash: string): Promise<User | null> {
    const doc = await this.model.findOne({ calendarTokenHash: hash }).lean();
    return doc ? toUser(doc) : null;
  }

  async search(filter: { q?: string; role?: Role }, limit: number, cursor?: string): Promise<{ items: User[]; nextCursor: string | null }> {
    const and: object[] = [];
    if (filter.q) {
      const pattern = escapeRegExp(filter.q);
      and.push({
        $or: [{ displayName: { $regex: pattern, $options: 'i' } }, { email: { $regex: `^${escapeRegExp(normalizeEmail(filter.q))}` } }],
      });
    }
    if (filter.role) and.push({ roles: filter.role });
    const after = decodeCursor(cursor, ['id']);
    if (after) and.push({ _id: { $lt: new Types.ObjectId(after[0] as string) } });
    const docs = await this.model
      .find(and.length ? { $and: and } : {})
      .sort({ _id: -1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toUser);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.id]) : null };
  }

  async findByIds(ids: string[]): Promise<User[]> {
    const docs = await this.model.find({ _id: { $in: ids.filter((id) => isValidObjectId(id)) } }).lean();
    return docs.map(toUser);
  }

  async setDisabled(id: string, disabled: boolean): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const res = await this.model.updateOne({ _id: id }, { $set: { disabled } });
    return res.matchedCount === 1 ? this.findById(id) : null;
  }

  async findByEmail(email: string): Promise<(User & { passwordHash: string }) | null> {
    const doc = await this.model.findOne({ email: normalizeEmail(email) }).lean();
    return doc ? { ...toUser(doc), passwordHash: doc.passwordHash } : null;
  }
}

function toUser(doc: UserDoc & { _id: unknown }): User {
  return {
    id: String(doc._id),
    email: doc.email,
    displayName: doc.displayName,
    locale: doc.locale,
    roles: [...doc.roles],
    createdAt: doc.createdAt,
    disabled: doc.disabled === true,
  };
}

/** A user's text as a literal pattern: searching for "a.b" finds a dot. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
