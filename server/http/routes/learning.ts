import { z } from 'zod';
import type { CourseService } from '../../courses/service';
import type { NotificationService } from '../../notifications/service';
import type { ProgressService } from '../../progress/service';
import type { TokenIssuer } from '../../accounts/tokens';
import type { RateLimits } from '../../rate-limits';
import {
  attachableRecordingView,
  courseStatsView,
  courseStructureView,
  courseStructureBody,
  courseView,
  createCourseBody,
  heartbeatBody,
  idParams,
  lessonContentView,
  markdownPreviewBody,
  markdownPreviewView,
  myCourseView,
  notificationView,
  page,
  pageQuery,
  progressView,
  unreadCountView,
  updateCourseBody,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

const publicationBody = z.object({ published: z.boolean() });
const contentParams = z.object({ contentId: z.string().regex(/^[A-Za-z0-9_-]{6,40}$/) });
const notificationParams = z.object({ notificationId: z.string().min(1).max(200) });
const lessonParams = idParams.extend({ lessonId: z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, 'must be a lesson id') });

/** Lesson reads per learner: a reader opens a few a minute; a script walking every course is cut off. */
export const LESSON_READS = { name: 'lesson-read', points: 60, durationSeconds: 60 };
const TOO_FAST = { code: 'rate_limited', message: 'Too many lessons opened; wait a moment' };

/** The course builder's calls per lecturer: far above a person's clicking (a preview per click), far below a script's. */
export const BUILDER_CALLS = { points: 120, durationSeconds: 60 };

export function learningRoutes(
  courses: CourseService,
  progress: ProgressService,
  notifications: NotificationService,
  tokens: TokenIssuer,
  limits: RateLimits,
): RouteSpec[] {
  const lessonReads = limits.limiter(LESSON_READS);
  return [
    route({
      method: 'get',
      path: '/courses',
      tag: 'courses',
      access: 'public',
      summary: 'Published courses (and, for their lecturers and admins, unpublished ones)',
      query: pageQuery,
      response: page(courseView),
      handler: ({ actor, query }) => courses.list(actor, query),
    }),
    route({
      method: 'post',
      path: '/courses',
      tag: 'courses',
      access: 'courses:manage',
      status: 201,
      summary: 'Create an unpublished course',
      body: createCourseBody,
      response: courseView,
      handler: ({ actor, body }) => courses.create(actor, body),
    }),
    route({
      method: 'get',
      path: '/courses/:id',
      tag: 'courses',
      access: 'public',
      summary: 'One course with its modules and lessons',
      params: idParams,
      response: courseView,
      errors: { 404: ['course_not_found'] },
      handler: ({ actor, params }) => courses.get(actor, params.id),
    }),
    route({
      method: 'patch',
      path: '/courses/:id',
      tag: 'courses',
      access: 'courses:manage',
      summary: 'Change a course’s title, description, track or completion threshold',
      params: idParams,
      body: updateCourseBody,
      response: courseView,
      errors: { 403: ['not_own_course'], 404: ['course_not_found'] },
      handler: ({ actor, params, body }) => courses.update(actor, params.id, body),
    }),
    route({
      method: 'put',
      path: '/courses/:id/structure',
      tag: 'courses',
      access: 'courses:manage',
      summary: 'Replace the ordered modules and lessons; existing lessons keep their ids and progress',
      params: idParams,
      body: courseStructureBody,
      response: courseView,
      errors: {
        400: ['unknown_module', 'unknown_lesson', 'duplicate_lesson', 'seminar_not_found', 'recording_not_found'],
        403: ['not_own_course'],
        404: ['course_not_found'],
      },
      handler: ({ actor, params, body }) => courses.setStructure(actor, params.id, body),
    }),
    route({
      method: 'get',
      path: '/me/courses',
      tag: 'courses',
      access: 'courses:manage',
      summary: 'The courses I may edit (an admin: every course), published or not, in creation order',
      query: pageQuery,
      response: page(courseView),
      rateLimit: { name: 'my-courses', ...BUILDER_CALLS },
      handler: ({ actor, query }) => courses.editable(actor, query),
    }),
    route({
      method: 'get',
      path: '/courses/:id/structure',
      tag: 'courses',
      access: 'courses:manage',
      summary: 'The modules and lessons as the builder edits them: text lessons’ Markdown and HLS lessons’ playlists included',
      params: idParams,
      response: courseStructureView,
      errors: { 403: ['not_own_course'], 404: ['course_not_found'] },
      rateLimit: { name: 'course-structure-read', ...BUILDER_CALLS },
      handler: ({ actor, params }) => courses.structure(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/courses/:id/attachable-recordings',
      tag: 'courses',
      access: 'courses:manage',
      summary:
        'Finished recordings that are a lesson of no course yet and that this course may use (public seminars, or its lecturers’ own), one per seminar, newest first (at most 200)',
      params: idParams,
      response: z.array(attachableRecordingView),
      errors: { 403: ['not_own_course'], 404: ['course_not_found'] },
      rateLimit: { name: 'attachable-recordings', ...BUILDER_CALLS },
      handler: ({ actor, params }) => courses.attachableRecordings(actor, params.id),
    }),
    route({
      method: 'post',
      path: '/courses/:id/lesson-preview',
      tag: 'courses',
      access: 'courses:manage',
      summary: 'A text lesson’s Markdown rendered as its learners will see it (raw HTML off); nothing is stored',
      params: idParams,
      body: markdownPreviewBody,
      response: markdownPreviewView,
      errors: { 403: ['not_own_course'], 404: ['course_not_found'] },
      rateLimit: { name: 'lesson-preview', ...BUILDER_CALLS },
      handler: ({ actor, params, body }) => courses.previewMarkdown(actor, params.id, body),
    }),
    route({
      method: 'put',
      path: '/courses/:id/publication',
      tag: 'courses',
      access: 'courses:manage',
      summary: 'Publish or unpublish',
      params: idParams,
      body: publicationBody,
      response: courseView,
      errors: { 403: ['not_own_course'], 404: ['course_not_found'], 409: ['course_empty'] },
      handler: ({ actor, params, body }) => courses.setPublished(actor, params.id, body.published),
    }),
    route({
      method: 'put',
      path: '/courses/:id/enrolment',
      tag: 'courses',
      access: 'courses:enrol',
      status: 204,
      summary: 'Enrol in a published course (idempotent)',
      params: idParams,
      errors: { 404: ['course_not_found'], 409: ['course_not_published'] },
      handler: ({ actor, params }) => courses.enrol(actor, params.id),
    }),
    route({
      method: 'delete',
      path: '/courses/:id/enrolment',
      tag: 'courses',
      access: 'courses:enrol',
      status: 204,
      summary: 'Leave a course',
      params: idParams,
      errors: { 404: ['not_enrolled'] },
      handler: ({ actor, params }) => courses.unenrol(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/courses/:id/lessons/:lessonId',
      tag: 'courses',
      access: 'courses:enrol',
      summary: 'One lesson for its page: a text lesson rendered from Markdown (raw HTML off), and its previous and next lessons',
      params: lessonParams,
      response: lessonContentView,
      errors: { 403: ['not_enrolled'], 404: ['course_not_found', 'lesson_not_found'], 429: ['rate_limited'] },
      handler: async ({ actor, params }) => {
        if (actor.kind === 'user') await limits.consume(lessonReads, actor.userId, TOO_FAST);
        return courses.lesson(actor, params.id, params.lessonId);
      },
    }),
    route({
      method: 'get',
      path: '/courses/:id/stats',
      tag: 'courses',
      access: 'stats:read',
      summary: 'Completion figures for the course’s lecturers and admins',
      params: idParams,
      response: courseStatsView,
      errors: { 403: ['forbidden', 'not_own_course'], 404: ['course_not_found'] },
      handler: ({ actor, params }) => courses.stats(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/me/learning',
      tag: 'progress',
      access: 'courses:enrol',
      summary: 'My courses with per-lesson progress and resume positions',
      response: z.array(myCourseView),
      handler: ({ actor }) => courses.myLearning(actor),
    }),
    route({
      // 'public' at the route so a beacon's token in the body can be checked; the domain still requires progress:write.
      method: 'post',
      path: '/progress/heartbeats',
      hot: true,
      tag: 'progress',
      access: 'public',
      status: 202,
      summary:
        'Report watched intervals (signed in: bearer token, or accessToken in the body from navigator.sendBeacon); idempotent, order-free, merged per learner and lesson',
      body: heartbeatBody,
      // 202 with no body: buffered, written within a flush interval; players send thousands a second.
      errors: { 401: ['unauthorized'], 403: ['forbidden'], 404: ['content_not_found'] },
      handler: async ({ actor, body }) => {
        const { accessToken, ...heartbeat } = body;
        const who = actor.kind === 'anonymous' && accessToken ? tokens.verifyAccess(accessToken) : actor;
        await progress.heartbeat(who, heartbeat);
      },
    }),
    route({
      method: 'get',
      path: '/progress/:contentId',
      tag: 'progress',
      access: 'progress:write',
      summary: 'My progress on a lesson or seminar, with the resume position',
      params: contentParams,
      response: progressView,
      handler: ({ actor, params }) => progress.get(actor, params.contentId),
    }),
    route({
      method: 'get',
      path: '/me/notifications',
      tag: 'notifications',
      access: 'profile',
      summary: 'My notifications, newest first',
      query: pageQuery,
      response: page(notificationView),
      handler: ({ actor, query }) => notifications.list(actor, query),
    }),
    route({
      method: 'post',
      path: '/me/notifications/:notificationId/read',
      tag: 'notifications',
      access: 'profile',
      status: 204,
      summary: 'Mark a notification read',
      params: notificationParams,
      errors: { 404: ['notification_not_found'] },
      handler: ({ actor, params }) => notifications.markRead(actor, params.notificationId),
    }),
    route({
      method: 'get',
      path: '/me/notifications/unread-count',
      tag: 'notifications',
      access: 'profile',
      summary: 'How many of my notifications are unread (the header’s badge asks every minute or so)',
      response: unreadCountView,
      rateLimit: { name: 'notifications-unread', points: 60, durationSeconds: 60 },
      handler: ({ actor }) => notifications.unreadCount(actor),
    }),
    route({
      method: 'post',
      path: '/me/notifications/read-all',
      tag: 'notifications',
      access: 'profile',
      status: 204,
      summary: 'Mark all my notifications read',
      rateLimit: { name: 'notifications-read-all', points: 20, durationSeconds: 60 },
      handler: ({ actor }) => notifications.markAllRead(actor),
    }),
  ];
}
