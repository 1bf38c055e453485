import type { ArticleService } from '../../articles/service';
import {
  articleListQuery,
  articleSummaryView,
  articleView,
  createArticleBody,
  idParams,
  page,
  pageQuery,
  updateArticleBody,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

/** Reading the knowledge base: a reader's clicks and the seminar and course pages' "related articles", with room to spare. */
const ARTICLE_READS = { name: 'article-reads', points: 300, durationSeconds: 60 };
/** Writing: an editor's saves, not a script's loop. */
const ARTICLE_CHANGES = { name: 'article-changes', points: 60, durationSeconds: 60 };

const LINK_ERRORS = ['linked_seminar_not_found', 'linked_course_not_found'] as const;

/** The knowledge base (issue 16): published articles for everyone, writing for staff. */
export function articleRoutes(articles: ArticleService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/articles',
      tag: 'knowledge base',
      access: 'public',
      summary: 'Published articles, newest first; narrowed by track, tag, or a linked seminar or course',
      query: articleListQuery,
      response: page(articleSummaryView),
      rateLimit: ARTICLE_READS,
      handler: ({ query }) => articles.list(query),
    }),
    route({
      method: 'get',
      path: '/articles/:id',
      tag: 'knowledge base',
      access: 'public',
      summary: 'One article, rendered, with the linked seminars and courses the caller may see; drafts only to staff',
      params: idParams,
      response: articleView,
      errors: { 404: ['article_not_found'] },
      rateLimit: ARTICLE_READS,
      handler: ({ actor, params }) => articles.get(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/workspace/articles',
      tag: 'knowledge base',
      access: 'articles:write',
      summary: 'Every article, drafts too, newest first (staff)',
      query: pageQuery,
      response: page(articleSummaryView),
      rateLimit: ARTICLE_READS,
      handler: ({ actor, query }) => articles.all(actor, query),
    }),
    route({
      method: 'post',
      path: '/articles',
      tag: 'knowledge base',
      access: 'articles:write',
      status: 201,
      summary: 'Write an article (a draft unless status is published); search finds it at once',
      body: createArticleBody,
      response: articleView,
      errors: { 400: LINK_ERRORS },
      rateLimit: ARTICLE_CHANGES,
      handler: ({ actor, body }) => articles.create(actor, body),
    }),
    route({
      method: 'patch',
      path: '/articles/:id',
      tag: 'knowledge base',
      access: 'articles:write',
      summary: 'Change, publish or unpublish an article (any staff member may edit any article)',
      params: idParams,
      body: updateArticleBody,
      response: articleView,
      errors: { 400: LINK_ERRORS, 404: ['article_not_found'] },
      rateLimit: ARTICLE_CHANGES,
      handler: ({ actor, params, body }) => articles.update(actor, params.id, body),
    }),
    route({
      method: 'delete',
      path: '/articles/:id',
      tag: 'knowledge base',
      access: 'articles:write',
      status: 204,
      summary: 'Delete an article; it leaves search at once on this node, within the catch-up period on others',
      params: idParams,
      errors: { 404: ['article_not_found'] },
      rateLimit: ARTICLE_CHANGES,
      handler: ({ actor, params }) => articles.remove(actor, params.id),
    }),
  ];
}
