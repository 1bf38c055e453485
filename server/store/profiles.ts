import { Schema, type Connection, type Model } from 'mongoose';
import { ConflictError } from '../errors';
import type { PortfolioItem, Profile, ProfileFields, ProfileRepository, PublicProfileEntry, StoredImage } from '../portfolios/model';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

interface ProfileDoc extends Omit<Profile, 'userId'> {
  /** The owner's user id. */
  _id: string;
  /**
   * The slug, or `id:<userId>` without one: unique either way, so a unique index holds the slugs
   * (FerretDB v1 has no partial indexes to leave the nulls out).
   */
  slugKey: string;
}

const imageSchema = new Schema<StoredImage>({ file: String, width: Number, height: Number }, { _id: false });
const itemSchema = new Schema<PortfolioItem>({ id: String, caption: String, images: [imageSchema] }, { _id: false });

const profileSchema = new Schema<ProfileDoc>(
  {
    _id: String,
    slug: { type: String, default: null },
    slugKey: { type: String, unique: true },
    headline: { type: String, default: '' },
    bio: { type: String, default: '' },
    bioFormat: { type: String, default: 'text' },
    links: { type: [new Schema({ label: String, url: String }, { _id: false })], default: [] },
    hidden: { type: Boolean, default: false },
    designer: { type: Boolean, default: false },
    photo: { type: [imageSchema], default: null },
    items: { type: [itemSchema], default: [] },
    createdAt: Date,
    updatedAt: { type: Date, index: true },
  },
  { versionKey: false },
);

const slugKeyOf = (userId: string, slug: string | null) => slug ?? `id:${userId}`;

const image = (i: StoredImage): StoredImage => ({ file: i.file, width: i.width, height: i.height });

const toProfile = (d: ProfileDoc): Profile => ({
  userId: d._id,
  slug: d.slug ?? null,
  headline: d.headline ?? '',
  bio: d.bio ?? '',
  bioFormat: d.bioFormat === 'markdown' ? 'markdown' : 'text',
  links: (d.links ?? []).map((l) => ({ label: l.label, url: l.url })),
  hidden: d.hidden ?? false,
  designer: d.designer ?? false,
  photo: d.photo?.length ? d.photo.map(image) : null,
  items: (d.items ?? []).map((i) => ({ id: i.id, caption: i.caption, images: i.images.map(image) })),
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

export class MongoProfileRepository implements ProfileRepository {
  private constructor(
    private readonly model: Model<ProfileDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoProfileRepository {
    return new MongoProfileRepository(
      (connection.models.Profile as Model<ProfileDoc> | undefined) ?? connection.model<ProfileDoc>('Profile', profileSchema, 'profiles'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async get(userId: string): Promise<Profile | null> {
    const doc = await this.model.findById(userId).lean();
    return doc ? toProfile(doc) : null;
  }

  async findBySlug(slug: string): Promise<Profile | null> {
    const doc = await this.model.findOne({ slugKey: slug }).lean();
    return doc ? toProfile(doc) : null;
  }

  upsert(userId: string, fields: ProfileFields): Promise<Profile> {
    return this.gate.run(`profile:${userId}`, async () => {
      const now = new Date();
      const set: Record<string, unknown> = { ...fields, updatedAt: now };
      if (fields.slug !== undefined) set.slugKey = slugKeyOf(userId, fields.slug);
      const exists = await this.model.exists({ _id: userId });
      const taken = () => new ConflictError('profile_slug_taken', 'Another profile has this address');
      // Asked first: FerretDB v1 reports a unique index broken by an update as an internal error, not 11000.
      if (set.slugKey !== undefined && (await this.model.exists({ slugKey: set.slugKey, _id: { $ne: userId } }))) throw taken();
      try {
        if (!exists) {
          await this.model.create({ _id: userId, slug: null, slugKey: slugKeyOf(userId, null), createdAt: now, ...set });
        } else if (Object.keys(fields).length > 0) {
          await this.model.updateOne({ _id: userId }, { $set: set });
        }
      } catch (err) {
        // Two owners taking one slug at the same moment: the index decides.
        if (isDuplicateKey(err)) throw taken();
        throw err;
      }
      return toProfile((await this.model.findById(userId).lean())!);
    });
  }

  setPhoto(userId: string, photo: StoredImage[] | null): Promise<StoredImage[] | null> {
    return this.gate.run(`profile:${userId}`, async () => {
      const before = await this.model.findOneAndUpdate({ _id: userId }, { $set: { photo, updatedAt: new Date() } }).lean();
      return before?.photo?.length ? before.photo.map(image) : null;
    });
  }

  addItem(userId: string, item: PortfolioItem, max: number): Promise<boolean> {
    return this.gate.run(`profile:${userId}`, async () => {
      const doc = await this.model.findById(userId, { items: 1 }).lean();
      if (!doc || (doc.items?.length ?? 0) >= max) return false;
      await this.model.updateOne({ _id: userId }, { $push: { items: item }, $set: { updatedAt: new Date() } });
      return true;
    });
  }

  setCaption(userId: string, itemId: string, caption: string): Promise<Profile | null> {
    return this.gate.run(`profile:${userId}`, async () => {
      const doc = await this.model.findById(userId).lean();
      if (!doc?.items.some((i) => i.id === itemId)) return null;
      const items = doc.items.map((i) => (i.id === itemId ? { ...i, caption } : i));
      const updated = await this.model.findOneAndUpdate({ _id: userId }, { $set: { items, updatedAt: new Date() } }, { new: true }).lean();
      return updated ? toProfile(updated) : null;
    });
  }

  removeItem(userId: string, itemId: string): Promise<PortfolioItem | null> {
    return this.gate.run(`profile:${userId}`, async () => {
      const doc = await this.model.findById(userId).lean();
      const item = doc?.items.find((i) => i.id === itemId);
      if (!doc || !item) return null;
      await this.model.updateOne({ _id: userId }, { $set: { items: doc.items.filter((i) => i.id !== itemId), updatedAt: new Date() } });
      return { id: item.id, caption: item.caption, images: item.images.map(image) };
    });
  }

  reorder(userId: string, itemIds: string[]): Promise<boolean> {
    return this.gate.run(`profile:${userId}`, async () => {
      const doc = await this.model.findById(userId).lean();
      const items = doc?.items ?? [];
      const byId = new Map(items.map((i) => [i.id, i]));
      if (itemIds.length !== items.length || new Set(itemIds).size !== itemIds.length || !itemIds.every((id) => byId.has(id))) return false;
      if (!doc) return true;
      await this.model.updateOne({ _id: userId }, { $set: { items: itemIds.map((id) => byId.get(id)!), updatedAt: new Date() } });
      return true;
    });
  }

  async listPublic(limit: number, afterUserId?: string): Promise<PublicProfileEntry[]> {
    const docs = await this.model
      .find({ hidden: false, ...(afterUserId ? { _id: { $gt: afterUserId } } : {}) })
      .sort({ _id: 1 })
      .limit(limit)
      .lean();
    return docs.map((d) => ({
      userId: d._id,
      slug: d.slug ?? null,
      headline: d.headline ?? '',
      bio: d.bio ?? '',
      designer: d.designer ?? false,
      captions: (d.items ?? []).map((i) => i.caption).filter(Boolean),
      updatedAt: d.updatedAt,
    }));
  }

  async changedSince(since: Date, limit: number): Promise<Profile[]> {
    const docs = await this.model
      .find({ updatedAt: { $gte: since } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean();
    return docs.map(toProfile);
  }
}
