import { has, type Actor } from '../accounts/grants';
import { renderMarkdown } from '../courses/markdown';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { ArticleListQuery, ArticleSummaryView, ArticleView, CreateArticleBody, PageQuery, UpdateArticleBody } from '../protocol';
import type { Page } from '../seminars/model';
import type { Article, ArticleRepository } from './model';

export interface ArticleDeps {
  articles: ArticleRepository;
  /** The seminar's title if it exists and the actor may see it (drafts are their lecturers'). */
  seminarTitle(actor: Actor, seminarId: string): Promise<string | null>;
  /** The course's title if it exists and the actor may see it (unpublished ones are their owners'). */
  courseTitle(actor: Actor, courseId: string): Promise<string | null>;
  /** Called after every write on this node: resolves once the search index holds the article as written. */
  changed(articleId: string): Promise<void>;
}

/**
 * The knowledge base belongs to the centre, not to one author: any staff member (the
 * articles:write grant: lecturers and admins) writes, edits, publishes and deletes any
 * article, and sees the drafts. Everyone else sees published articles only.
 */
export class ArticleService {
  constructor(private readonly deps: ArticleDeps) {}

  async create(actor: Actor, body: CreateArticleBody): Promise<ArticleView> {
    const author = this.writer(actor);
    await this.checkLinks(actor, body.seminarIds, body.courseIds);
    const article = await this.deps.articles.create({ ...body, authorId: author });
    await this.deps.changed(article.id);
    return this.view(actor, article);
  }

  async update(actor: Actor, id: string, body: UpdateArticleBody): Promise<ArticleView> {
    this.writer(actor);
    if (!(await this.deps.articles.get(id))) throw notFound();
    await this.checkLinks(actor, body.seminarIds ?? [], body.courseIds ?? []);
    const article = await this.deps.articles.update(id, body);
    if (!article) throw notFound();
    await this.deps.changed(id);
    return this.view(actor, article);
  }

  async remove(actor: Actor, id: string): Promise<void> {
    this.writer(actor);
    if (!(await this.deps.articles.remove(id))) throw notFound();
    await this.deps.changed(id);
  }

  async get(actor: Actor, id: string): Promise<ArticleView> {
    const article = await this.deps.articles.get(id);
    if (!article || (article.status !== 'published' && !has(actor, 'articles:write'))) throw notFound();
    return this.view(actor, article);
  }

  /** Published articles, newest first, narrowed by track, tag or linked seminar or course. */
  async list(query: ArticleListQuery): Promise<Page<ArticleSummaryView>> {
    const page = await this.deps.articles.list(
      {
        drafts: false,
        ...(query.track ? { track: query.track } : {}),
        ...(query.tag ? { tag: query.tag } : {}),
        ...(query.seminarId ? { seminarId: query.seminarId } : {}),
        ...(query.courseId ? { courseId: query.courseId } : {}),
      },
      query.limit,
      query.cursor,
    );
    return { items: page.items.map(summaryView), nextCursor: page.nextCursor };
  }

  /** Every article, drafts too, for the staff's workspace. */
  async all(actor: Actor, page: PageQuery): Promise<Page<ArticleSummaryView>> {
    this.writer(actor);
    const result = await this.deps.articles.list({ drafts: true }, page.limit, page.cursor);
    return { items: result.items.map(summaryView), nextCursor: result.nextCursor };
  }

  private writer(actor: Actor): string {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'articles:write')) throw new ForbiddenError();
    return actor.userId;
  }

  /** A link must lead somewhere the writer can see: a typo'd id is refused, not kept. */
  private async checkLinks(actor: Actor, seminarIds: string[], courseIds: string[]): Promise<void> {
    for (const id of seminarIds)
      if ((await this.deps.seminarTitle(actor, id)) === null)
        throw new BadRequestError('linked_seminar_not_found', `No seminar ${id} to link to`);
    for (const id of courseIds)
      if ((await this.deps.courseTitle(actor, id)) === null)
        throw new BadRequestError('linked_course_not_found', `No course ${id} to link to`);
  }

  private async view(actor: Actor, a: Article): Promise<ArticleView> {
    const seminars = [];
    for (const id of a.seminarIds) {
      const title = await this.deps.seminarTitle(actor, id);
      if (title !== null) seminars.push({ id, title });
    }
    const courses = [];
    for (const id of a.courseIds) {
      const title = await this.deps.courseTitle(actor, id);
      if (title !== null) courses.push({ id, title });
    }
    return {
      ...summaryView(a),
      body: a.body,
      html: renderMarkdown(a.body, a.title),
      seminarIds: a.seminarIds,
      courseIds: a.courseIds,
      seminars,
      courses,
    };
  }
}

function notFound(): NotFoundError {
  return new NotFoundError('article_not_found', 'No such article');
}

export function summaryView(a: Article): ArticleSummaryView {
  return {
    id: a.id,
    title: a.title,
    summary: a.summary,
    track: a.track,
    tags: a.tags,
    status: a.status,
    publishedAt: a.publishedAt?.toISOString() ?? null,
    updatedAt: a.updatedAt.toISOString(),
  };
}
