import type { AnalyticsService } from '../../analytics/service';
import { courseAnalyticsView, csvLocaleQuery, idParams, seminarAnalyticsView } from '../../protocol';
import { route, type RouteSpec } from '../route';

/** Analytics reads per user per minute: a page load is one, so far above a person's use. */
export const ANALYTICS_READS_PER_MINUTE = 60;
/** CSV exports per user per minute: each is a pass over the whole audience. */
export const ANALYTICS_EXPORTS_PER_MINUTE = 10;

const reads = { name: 'analytics', points: ANALYTICS_READS_PER_MINUTE, durationSeconds: 60 };
const exports = { name: 'analytics-export', points: ANALYTICS_EXPORTS_PER_MINUTE, durationSeconds: 60 };
const seminarErrors = { 403: ['not_own_seminar'], 404: ['seminar_not_found'], 429: ['rate_limited'] } as const;
const courseErrors = { 403: ['not_own_course'], 404: ['course_not_found'], 429: ['rate_limited'] } as const;

/** The workspace's analytics (issue 13): the seminar's or course's lecturers, and admins. */
export function analyticsRoutes(analytics: AnalyticsService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/seminars/:id/analytics',
      tag: 'analytics',
      access: 'stats:read',
      summary: 'Registrations against attendees, concurrent viewers over the live session, minutes watched, chat, questions and replays',
      params: idParams,
      response: seminarAnalyticsView,
      errors: seminarErrors,
      rateLimit: reads,
      handler: ({ actor, params }) => analytics.seminar(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/seminars/:id/attendance.csv',
      tag: 'analytics',
      access: 'stats:read',
      summary:
        'Attendance per learner as CSV (UTF-8 with BOM): name, e-mail, registration, joins, first join, last leave, seconds live, then one column per registration question',
      params: idParams,
      contentType: 'text/csv',
      attachment: 'attendance.csv',
      errors: seminarErrors,
      rateLimit: exports,
      handler: ({ actor, params }) => analytics.seminarCsv(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/courses/:id/analytics',
      tag: 'analytics',
      access: 'stats:read',
      summary: 'The funnel enrolled → started → completed, completion per lesson and each lesson’s watch heatmap',
      params: idParams,
      response: courseAnalyticsView,
      errors: courseErrors,
      rateLimit: reads,
      handler: ({ actor, params }) => analytics.course(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/courses/:id/completion.csv',
      tag: 'analytics',
      access: 'stats:read',
      summary:
        'Course completion per learner as CSV (UTF-8 with BOM): name, e-mail, enrolment, lessons completed of all, completed, then % watched per lesson',
      params: idParams,
      query: csvLocaleQuery,
      contentType: 'text/csv',
      attachment: 'completion.csv',
      errors: courseErrors,
      rateLimit: exports,
      handler: ({ actor, params, query }) => analytics.courseCsv(actor, params.id, query.locale),
    }),
  ];
}
