// Knowledge-base articles as the domain sees them: no Express, no mongoose.
import type { ArticleStatus } from '../protocol/articles';
import type { Page } from '../seminars/model';

export interface Article {
  id: string;
  title: string;
  summary: string;
  /** Markdown, as written. */
  body: string;
  track: string;
  tags: string[];
  status: ArticleStatus;
  seminarIds: string[];
  courseIds: string[];
  authorId: string;
  createdAt: Date;
  updatedAt: Date;
  /** When it was first published; null while it is a draft that never was. */
  publishedAt: Date | null;
}

export type NewArticle = Omit<Article, 'id' | 'createdAt' | 'updatedAt' | 'publishedAt'>;
export type ArticleChanges = Partial<
  Pick<Article, 'title' | 'summary' | 'body' | 'track' | 'tags' | 'status' | 'seminarIds' | 'courseIds'>
>;

export interface ArticleFilter {
  /** Drafts too (staff); otherwise published ones only. */
  drafts: boolean;
  track?: string;
  tag?: string;
  seminarId?: string;
  courseId?: string;
}

/** An article that changed since an instant, or the id of one deleted since (article null). */
export interface ArticleChange {
  id: string;
  article: Article | null;
  updatedAt: Date;
}

export interface ArticleRepository {
  create(article: NewArticle): Promise<Article>;
  get(id: string): Promise<Article | null>;
  update(id: string, changes: ArticleChanges): Promise<Article | null>;
  /** Deletes it for readers; a tombstone stays so that other nodes' search indexes hear of it. */
  remove(id: string): Promise<boolean>;
  /** Newest first. */
  list(filter: ArticleFilter, limit: number, cursor?: string): Promise<Page<Article>>;
  /** Changes (and deletions) at or after `since`, oldest first: other nodes' search catch-up. */
  changedSince(since: Date, limit: number): Promise<ArticleChange[]>;
}
