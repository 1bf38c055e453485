import { searchQuery, searchView } from '../../protocol';
import type { SearchService } from '../../search/service';
import { route, type RouteSpec } from '../route';

/** The header's search box: one query per search typed, never per keystroke. */
export function searchRoutes(search: SearchService, perMinute: number): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/search',
      tag: 'search',
      access: 'public',
      summary:
        'Seminars, courses, lessons, articles and portfolios matching every word of q (Russian and English word forms); ' +
        'drafts, unpublished courses and draft articles only for those who may see them',
      query: searchQuery,
      response: searchView,
      rateLimit: { name: 'search', points: perMinute, durationSeconds: 60 },
      handler: ({ actor, query }) => search.search(actor, query),
    }),
  ];
}
