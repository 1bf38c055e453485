import { z } from 'zod';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { UserAdminService } from '../../accounts/admin';
import type { Actor } from '../../accounts/grants';
import type { CourseService } from '../../courses/service';
import type { RateLimits } from '../../rate-limits';
import type { RegistrantService } from '../../seminars/registrants';
import type { SeminarService } from '../../seminars/service';
import {
  adminUserView,
  disabledBody,
  idParams,
  lecturerSearchQuery,
  lecturerView,
  myCourseView,
  myRegistrationView,
  mySeminarsQuery,
  page,
  pageQuery,
  registrantView,
  seminarView,
  userListQuery,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

export interface WorkspaceRouteDeps {
  seminars: SeminarService;
  registrants: RegistrantService;
  admin: UserAdminService;
  courses: CourseService;
  limits: RateLimits;
}

/** Calls to the workspace's routes per user per minute: far above a person's clicking, far below a script's. */
export const WORKSPACE_CALLS_PER_MINUTE = 300;
/** Searches for co-lecturers per user per 10 s: a search per keystroke of quick typing. */
export const LECTURER_SEARCHES_PER_10S = 30;

const RATE_LIMITED = { code: 'rate_limited', message: 'Too many requests; slow down' };

/** The lecturer's seminars and registrations, and the admin's users (issue 13). Each call is counted per user. */
export function workspaceRoutes(deps: WorkspaceRouteDeps): RouteSpec[] {
  const calls = deps.limits.limiter({ name: 'workspace', points: WORKSPACE_CALLS_PER_MINUTE, durationSeconds: 60 });
  const searches = deps.limits.limiter({ name: 'lecturer-search', points: LECTURER_SEARCHES_PER_10S, durationSeconds: 10 });
  const counted = async (actor: Actor, ...limiters: RateLimiterAbstract[]) => {
    // Every route here needs a grant, so the actor is a user by now.
    const key = actor.kind === 'user' ? actor.userId : 'anonymous';
    for (const limiter of limiters) await deps.limits.consume(limiter, key, RATE_LIMITED);
  };
  const errors429 = { 429: ['rate_limited'] } as const;
  return [
    route({
      method: 'get',
      path: '/me/seminars',
      tag: 'workspace',
      access: 'seminars:manage',
      summary: 'The seminars I teach, drafts included, by start time',
      query: pageQuery.extend(mySeminarsQuery.shape),
      response: page(seminarView),
      errors: errors429,
      handler: async ({ actor, query }) => {
        await counted(actor, calls);
        return deps.seminars.mine(actor, query, query);
      },
    }),
    route({
      method: 'get',
      path: '/seminars/:id/registrations',
      tag: 'workspace',
      access: 'seminars:manage',
      summary: 'Who registered, with their answers to the registration questions (the seminar’s lecturers and admins)',
      params: idParams,
      query: pageQuery,
      response: page(registrantView),
      errors: { 403: ['not_own_seminar'], 404: ['seminar_not_found'], ...errors429 },
      handler: async ({ actor, params, query }) => {
        await counted(actor, calls);
        return deps.registrants.list(actor, params.id, query);
      },
    }),
    route({
      method: 'get',
      path: '/seminars/:id/registrations.csv',
      tag: 'workspace',
      access: 'seminars:manage',
      summary: 'The registrations as CSV (UTF-8 with BOM): name, e-mail, status, time, then one column per question',
      params: idParams,
      contentType: 'text/csv',
      attachment: 'registrations.csv',
      errors: { 403: ['not_own_seminar'], 404: ['seminar_not_found'], ...errors429 },
      handler: async ({ actor, params }) => {
        await counted(actor, calls);
        return deps.registrants.csv(actor, params.id);
      },
    }),
    route({
      method: 'get',
      path: '/users/lecturers',
      tag: 'workspace',
      access: 'seminars:manage',
      summary: 'Lecturers by name or e-mail (at most 10), or by id: for choosing co-lecturers',
      query: lecturerSearchQuery,
      response: z.array(lecturerView),
      errors: errors429,
      handler: async ({ actor, query }) => {
        await counted(actor, calls, searches);
        return deps.admin.lecturers(actor, query);
      },
    }),
    route({
      method: 'get',
      path: '/users',
      tag: 'workspace',
      access: 'users:manage',
      summary: 'All accounts, newest first, by name or e-mail and role (admins only)',
      query: pageQuery.extend(userListQuery.shape),
      response: page(adminUserView),
      errors: errors429,
      handler: async ({ actor, query }) => {
        await counted(actor, calls);
        return deps.admin.list(actor, query, query);
      },
    }),
    route({
      method: 'get',
      path: '/users/:id',
      tag: 'workspace',
      access: 'users:manage',
      summary: 'One account (admins only)',
      params: idParams,
      response: adminUserView,
      errors: { 404: ['user_not_found'], ...errors429 },
      handler: async ({ actor, params }) => {
        await counted(actor, calls);
        return deps.admin.get(actor, params.id);
      },
    }),
    route({
      method: 'put',
      path: '/users/:id/disabled',
      tag: 'workspace',
      access: 'users:manage',
      summary: 'Disable an account (sign-in refused, refresh tokens revoked, live sockets dropped) or enable it again',
      params: idParams,
      body: disabledBody,
      response: adminUserView,
      errors: { 403: ['cannot_disable_self'], 404: ['user_not_found'], ...errors429 },
      handler: async ({ actor, params, body }) => {
        await counted(actor, calls);
        return deps.admin.setDisabled(actor, params.id, body.disabled);
      },
    }),
    route({
      method: 'get',
      path: '/users/:id/registrations',
      tag: 'workspace',
      access: 'users:manage',
      summary: 'A user’s seminar registrations, newest first (admins only)',
      params: idParams,
      query: pageQuery,
      response: page(myRegistrationView),
      errors: { 404: ['user_not_found'], ...errors429 },
      handler: async ({ actor, params, query }) => {
        await counted(actor, calls);
        return deps.seminars.myRegistrations(await deps.admin.actorOf(actor, params.id), query);
      },
    }),
    route({
      method: 'get',
      path: '/users/:id/learning',
      tag: 'workspace',
      access: 'users:manage',
      summary: 'A user’s courses with per-lesson progress (admins only)',
      params: idParams,
      response: z.array(myCourseView),
      errors: { 404: ['user_not_found'], ...errors429 },
      handler: async ({ actor, params }) => {
        await counted(actor, calls);
        return deps.courses.myLearning(await deps.admin.actorOf(actor, params.id));
      },
    }),
  ];
}
