import { Schema, Types, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { Article, ArticleChange, ArticleChanges, ArticleFilter, ArticleRepository, NewArticle } from '../articles/model';
import type { Page } from '../seminars/model';
import { decodeCursor, encodeCursor } from './cursor';

interface ArticleDoc extends Omit<Article, 'id'> {
  /** Set when deleted: the document stays, emptied, as a tombstone for other nodes' catch-up. */
  deletedAt: Date | null;
}

const schema = new Schema<ArticleDoc>(
  {
    title: String,
    summary: String,
    body: String,
    track: String,
    tags: [String],
    status: String,
    seminarIds: [String],
    courseIds: [String],
    authorId: String,
    createdAt: Date,
    updatedAt: Date,
    publishedAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
schema.index({ updatedAt: 1 });
schema.index({ seminarIds: 1 });
schema.index({ courseIds: 1 });

export class MongoArticleRepository implements ArticleRepository {
  private constructor(private readonly model: Model<ArticleDoc>) {}

  static create(connection: Connection): MongoArticleRepository {
    return new MongoArticleRepository(
      (connection.models.Article as Model<ArticleDoc> | undefined) ?? connection.model<ArticleDoc>('Article', schema, 'articles'),
    );
  }

  ensureIndexes(): Promise<unknown> {
    return this.model.createIndexes();
  }

  async create(a: NewArticle): Promise<Article> {
    const now = new Date();
    const doc = await this.model.create({
      ...a,
      createdAt: now,
      updatedAt: now,
      publishedAt: a.status === 'published' ? now : null,
      deletedAt: null,
    });
    return toArticle(doc.toObject());
  }

  async get(id: string): Promise<Article | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findOne({ _id: id, deletedAt: null }).lean();
    return doc ? toArticle(doc) : null;
  }

  async update(id: string, changes: ArticleChanges): Promise<Article | null> {
    if (!isValidObjectId(id)) return null;
    const now = new Date();
    const set: Record<string, unknown> = { ...changes, updatedAt: now };
    if (changes.status === 'published') {
      // The first publication's date is kept through later edits.
      await this.model.updateOne({ _id: id, deletedAt: null, publishedAt: null }, { $set: { publishedAt: now } });
    }
    const res = await this.model.updateOne({ _id: id, deletedAt: null }, { $set: set });
    return res.matchedCount === 1 ? this.get(id) : null;
  }

  async remove(id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const now = new Date();
    const res = await this.model.updateOne(
      { _id: id, deletedAt: null },
      { $set: { deletedAt: now, updatedAt: now, title: '', summary: '', body: '', tags: [], seminarIds: [], courseIds: [] } },
    );
    return res.matchedCount === 1;
  }

  async list(filter: ArticleFilter, limit: number, cursor?: string): Promise<Page<Article>> {
    const and: object[] = [{ deletedAt: null }];
    if (!filter.drafts) and.push({ status: 'published' });
    if (filter.track) and.push({ track: filter.track });
    if (filter.tag) and.push({ tags: filter.tag });
    if (filter.seminarId) and.push({ seminarIds: filter.seminarId });
    if (filter.courseId) and.push({ courseIds: filter.courseId });
    const after = decodeCursor(cursor, ['id']);
    if (after) and.push({ _id: { $lt: new Types.ObjectId(after[0] as string) } });
    const docs = await this.model
      .find({ $and: and })
      .sort({ _id: -1 })
      .limit(limit + 1)
      .lean();
    const items = docs.slice(0, limit).map(toArticle);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeCursor([last.id]) : null };
  }

  async changedSince(since: Date, limit: number): Promise<ArticleChange[]> {
    const docs = await this.model
      .find({ updatedAt: { $gte: since } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean();
    return docs.map((d) => ({ id: String(d._id), article: d.deletedAt ? null : toArticle(d), updatedAt: d.updatedAt }));
  }
}

function toArticle(doc: ArticleDoc & { _id: unknown }): Article {
  return {
    id: String(doc._id),
    title: doc.title,
    summary: doc.summary ?? '',
    body: doc.body,
    track: doc.track,
    tags: [...(doc.tags ?? [])],
    status: doc.status,
    seminarIds: [...(doc.seminarIds ?? [])],
    courseIds: [...(doc.courseIds ?? [])],
    authorId: doc.authorId,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    publishedAt: doc.publishedAt ?? null,
  };
}
