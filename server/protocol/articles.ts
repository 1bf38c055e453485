import { z } from 'zod';
import { objectId, pageQuery } from './common';

// The knowledge base: articles the centre's staff write in Markdown, with a track, tags,
// and links to seminars and courses.

export const articleStatus = z.enum(['draft', 'published']);
export type ArticleStatus = z.infer<typeof articleStatus>;

export const articleTag = z
  .string()
  .trim()
  .min(2)
  .max(40)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]*$/u, 'must be letters, digits, spaces, dashes or underscores')
  .transform((t) => t.toLowerCase());
const articleTrack = z.string().trim().min(2).max(80);

const articleFields = {
  title: z.string().trim().min(3).max(200),
  summary: z.string().trim().max(500),
  /** Markdown; raw HTML is escaped when it is rendered. 30,000 characters of Cyrillic (2 bytes each) stay under the 64 kB body limit. */
  body: z.string().min(1).max(30_000),
  track: articleTrack,
  tags: z
    .array(articleTag)
    .max(10)
    .refine((tags) => new Set(tags).size === tags.length, 'must not repeat a tag'),
  status: articleStatus,
  seminarIds: z
    .array(objectId)
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a seminar'),
  courseIds: z
    .array(objectId)
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a course'),
};

export const createArticleBody = z.strictObject({
  ...articleFields,
  summary: articleFields.summary.default(''),
  tags: articleFields.tags.default([]),
  status: articleStatus.default('draft'),
  seminarIds: articleFields.seminarIds.default([]),
  courseIds: articleFields.courseIds.default([]),
});
export type CreateArticleBody = z.infer<typeof createArticleBody>;

export const updateArticleBody = z
  .strictObject(articleFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'must change something');
export type UpdateArticleBody = z.infer<typeof updateArticleBody>;

export const articleListQuery = pageQuery.extend({
  track: articleTrack.optional(),
  tag: articleTag.optional(),
  seminarId: objectId.optional().meta({ description: 'Only the articles linked to this seminar (its page lists them)' }),
  courseId: objectId.optional().meta({ description: 'Only the articles linked to this course' }),
});
export type ArticleListQuery = z.infer<typeof articleListQuery>;

export const articleSummaryView = z.object({
  id: objectId,
  title: z.string(),
  summary: z.string(),
  track: z.string(),
  tags: z.array(z.string()),
  status: articleStatus,
  publishedAt: z.iso.datetime().nullable(),
  updatedAt: z.iso.datetime(),
});
export type ArticleSummaryView = z.infer<typeof articleSummaryView>;

const linkView = z.object({ id: objectId, title: z.string() });

export const articleView = articleSummaryView.extend({
  body: z.string().meta({ description: 'The Markdown as written' }),
  html: z.string().meta({ description: 'The Markdown rendered, raw HTML escaped (pages sanitize it again)' }),
  seminarIds: z.array(objectId),
  courseIds: z.array(objectId),
  /** The linked seminars and courses the caller may see, with their titles. */
  seminars: z.array(linkView),
  courses: z.array(linkView),
});
export type ArticleView = z.infer<typeof articleView>;
