import { Schema, Types, isValidObjectId, type Connection, type Model } from 'mongoose';
import {
  DEFAULT_TIME_ZONE,
  normalizeEmail,
  roles,
  locales,
  type Consent,
  type NewUser,
  type OidcLink,
  type ProfileChanges,
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
  passwordHash?: string | null;
  calendarTokenHash?: string;
  createdAt: Date;
  disabled?: boolean;
  // Absent on accounts made before confirmation existed: read as unconfirmed, Moscow, no consent.
  emailConfirmedAt?: Date | null;
  timeZone?: string;
  consent?: Consent | null;
  oidc?: OidcLink[];
  /** "issuer subject" of each link: what sign-in looks up (FerretDB has no $elemMatch on fields). */
  oidcKeys?: string[];
}

const userSchema = new Schema<UserDoc>(
  {
    email: { type: String, required: true },
    displayName: { type: String, required: true },
    locale: { type: String, enum: locales, required: true },
    roles: { type: [String], enum: roles, required: true },
    passwordHash: { type: String, default: null },
    calendarTokenHash: { type: String },
    createdAt: { type: Date, required: true },
    disabled: { type: Boolean, default: false },
    emailConfirmedAt: { type: Date, default: null },
    timeZone: { type: String, default: DEFAULT_TIME_ZONE },
    consent: { type: new Schema<Consent>({ policyVersion: String, at: Date }, { _id: false }), default: null },
    oidc: { type: [new Schema<OidcLink>({ issuer: String, subject: String }, { _id: false })], default: [] },
    oidcKeys: { type: [String], default: [] },
  },
  { versionKey: false },
);
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ calendarTokenHash: 1 });
userSchema.index({ oidcKeys: 1 });

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
      () =>
        this.model.create({
          ...user,
          email: normalizeEmail(user.email),
          createdAt: new Date(),
          oidcKeys: (user.oidc ?? []).map(oidcKey),
        }),
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

  async findByEmail(email: string): Promise<(User & { passwordHash: string | null }) | null> {
    const doc = await this.model.findOne({ email: normalizeEmail(email) }).lean();
    return doc ? { ...toUser(doc), passwordHash: doc.passwordHash ?? null } : null;
  }

  async passwordHashOf(id: string): Promise<string | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findById(id, { passwordHash: 1 }).lean();
    return doc?.passwordHash ?? null;
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { passwordHash: hash } });
  }

  async confirmEmail(id: string, at: Date): Promise<void> {
    // The first confirmation's time stays: a second link followed changes nothing.
    await this.model.updateOne({ _id: id, emailConfirmedAt: null }, { $set: { emailConfirmedAt: at } });
  }

  async updateProfile(id: string, changes: ProfileChanges): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length > 0) await this.model.updateOne({ _id: id }, { $set: set });
    return this.findById(id);
  }

  async findByOidc(link: OidcLink): Promise<User | null> {
    const doc = await this.model.findOne({ oidcKeys: oidcKey(link) }).lean();
    return doc ? toUser(doc) : null;
  }

  async addOidcLink(id: string, link: OidcLink): Promise<void> {
    await this.model.updateOne({ _id: id }, { $push: { oidc: link, oidcKeys: oidcKey(link) } });
  }

  async remove(id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const res = await this.model.deleteOne({ _id: id });
    return res.deletedCount === 1;
  }
}

function oidcKey(link: OidcLink): string {
  return `${link.issuer} ${link.subject}`;
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
    emailConfirmedAt: doc.emailConfirmedAt ?? null,
    timeZone: doc.timeZone ?? DEFAULT_TIME_ZONE,
    consent: doc.consent ? { policyVersion: doc.consent.policyVersion, at: doc.consent.at } : null,
    oidc: (doc.oidc ?? []).map((l) => ({ issuer: l.issuer, subject: l.subject })),
    hasPassword: typeof doc.passwordHash === 'string' && doc.passwordHash.length > 0,
  };
}

/** A user's text as a literal pattern: searching for "a.b" finds a dot. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
