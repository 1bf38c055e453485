import type { PollService } from '../../live/polls';
import { csvLocaleQuery, idParams } from '../../protocol';
import { ANALYTICS_EXPORTS_PER_MINUTE } from './analytics';
import { route, type RouteSpec } from '../route';

/** The seminar's poll results as CSV: its lecturers and admins, as the other analytics exports. */
export function pollRoutes(polls: PollService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/seminars/:id/polls.csv',
      tag: 'analytics',
      access: 'stats:read',
      summary:
        'Poll results as CSV (UTF-8 with BOM), one row per option of each opened poll: poll number, question, multiple choice, opened and closed (minutes:seconds from the live start), voters, option, votes, share of voters',
      params: idParams,
      query: csvLocaleQuery,
      contentType: 'text/csv',
      attachment: 'polls.csv',
      errors: { 403: ['not_own_seminar'], 404: ['seminar_not_found'], 429: ['rate_limited'] },
      rateLimit: { name: 'analytics-export', points: ANALYTICS_EXPORTS_PER_MINUTE, durationSeconds: 60 },
      handler: ({ actor, params, query }) => polls.resultsCsv(actor, params.id, query.locale),
    }),
  ];
}
