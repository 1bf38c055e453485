import { z } from 'zod';

// One search over everything Lectern shows: seminars, courses, their lessons, knowledge-base
// articles and (once they exist) portfolios.

export const searchKinds = ['seminar', 'course', 'lesson', 'article', 'portfolio'] as const;
export const searchKind = z.enum(searchKinds);
export type SearchKind = z.infer<typeof searchKind>;

export const SEARCH_QUERY_MAX = 200;

export const searchQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1)
    .max(SEARCH_QUERY_MAX)
    .meta({ description: 'Words to find, in Russian or English; inflected forms match ("налоги" finds "налогов"), ё is е' }),
  kind: searchKind.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type SearchQuery = z.infer<typeof searchQuery>;

export const searchResultView = z.object({
  kind: searchKind,
  id: z.string(),
  title: z.string(),
  snippet: z.string(),
  /** The web page to open: /seminars/…, /courses/…/lessons/…, /knowledge/… */
  url: z.string(),
  /** Where it belongs: a lesson's course. */
  context: z.string().nullable(),
  track: z.string().nullable(),
  /** A seminar's start. */
  at: z.iso.datetime().nullable(),
  /** The seminar's own zone, to show `at` in. */
  timeZone: z.string().nullable(),
});
export type SearchResultView = z.infer<typeof searchResultView>;

export const searchView = z.object({
  query: z.string(),
  /** All the matches the caller may see; `results` holds the best `limit` of them. */
  total: z.number().int().min(0),
  results: z.array(searchResultView),
});
export type SearchView = z.infer<typeof searchView>;
