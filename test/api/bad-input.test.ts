import { mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSpec } from '../../server/http/route';
import type { Lectern } from '../../server/main';
import { errorBodySchema } from '../../server/protocol';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { readyRecording } from '../support/recordings';

// "Every body, query and param is parsed with zod, and bad input gets a 400
// with a machine-readable code and changes nothing." One table of bad inputs,
// at least one per input of every route, each sent with a token that the route
// would otherwise accept; before and after each, every collection of the test
// database is read back whole and must be unchanged.

type Input = 'params' | 'query' | 'body';
type Who = 'anonymous' | 'admin' | 'lecturer' | 'otherLecturer' | 'learner' | 'otherLearner';

interface Fixtures {
  users: Record<Exclude<Who, 'anonymous'>, TestUser>;
  /** A scheduled seminar taught by `lecturer`, far in the future (no reminders fall due), with `learner` registered. */
  seminarId: string;
  /** A published course owned by `lecturer`, with `learner` enrolled. */
  courseId: string;
  moduleId: string;
  /** A text lesson of that course. */
  lessonId: string;
  /** `learner`'s personal calendar feed file, e.g. abc….ics */
  feedFile: string;
  /** A finished recording of the seminar (real HLS). */
  recordingId: string;
}

interface Case {
  /** The route as `${method} ${path}`, exactly as in app.domain.routes. */
  route: string;
  /** Which of the route's inputs this case breaks. */
  input: Input;
  name: string;
  as: Who;
  /** The concrete path under /api/v1, query string included. */
  path: (f: Fixtures) => string;
  body?: (f: Fixtures) => unknown;
  rawBody?: string;
  contentType?: string;
  /** The expected error code; invalid_request (a zod failure) unless told. */
  code?: string;
  /** For invalid_request: the path of a zod issue that must be among the details ('' for the root). */
  field?: string;
}

const long = (n: number, c = 'x') => c.repeat(n);
/** A cursor of the right alphabet whose content the server did not write. */
const forgedCursor = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const hexId = (n = 24) => long(n, 'a');

const seminarBody = {
  title: 'Финансовая модель стартапа',
  description: 'Как посчитать юнит-экономику',
  track: 'finance',
  language: 'ru',
  startsAt: '2031-03-10T18:30',
  timeZone: 'Europe/Moscow',
  durationMinutes: 90,
  capacity: 30,
  isPublic: true,
};
const courseBody = { title: 'Основы предпринимательства', description: 'Вводный курс', track: 'startup' };
const heartbeat = (f: Fixtures, over: Record<string, unknown> = {}) => ({
  contentId: f.lessonId,
  intervals: [[0, 10]],
  position: 10,
  durationSeconds: 300,
  sentAt: 1_900_000_000_000,
  ...over,
});
const structure = (f: Fixtures, lesson: Record<string, unknown>, moduleOver: Record<string, unknown> = {}) => ({
  modules: [
    {
      id: f.moduleId,
      title: 'Модуль 1',
      lessons: [{ id: f.lessonId, kind: 'text', title: 'Введение', body: 'Текст' }, lesson],
      ...moduleOver,
    },
  ],
});

const cases: Case[] = [
  // ---- accounts ----
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'missing password',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'new1@test.lectern', displayName: 'Новый' }),
    field: 'password',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'e-mail that is not one',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'not-an-email', password: 'correct horse battery', displayName: 'Новый' }),
    field: 'email',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'e-mail of the wrong type',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 42, password: 'correct horse battery', displayName: 'Новый' }),
    field: 'email',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'password under 10 characters',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'new2@test.lectern', password: 'short', displayName: 'Новый' }),
    field: 'password',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'unknown locale',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'new3@test.lectern', password: 'correct horse battery', displayName: 'Новый', locale: 'de' }),
    field: 'locale',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'blank display name',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'new4@test.lectern', password: 'correct horse battery', displayName: '   ' }),
    field: 'displayName',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'display name over 100 characters',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'new5@test.lectern', password: 'correct horse battery', displayName: long(101) }),
    field: 'displayName',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'e-mail over 254 characters',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: `${long(250)}@test.lectern`, password: 'correct horse battery', displayName: 'Новый' }),
    field: 'email',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'a JSON array instead of an object',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => [],
    field: '',
  },
  { route: 'post /auth/register', input: 'body', name: 'no body at all', as: 'anonymous', path: () => '/auth/register', field: 'email' },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'a form-encoded body',
    as: 'anonymous',
    path: () => '/auth/register',
    rawBody: 'email=new6%40test.lectern&password=correct+horse+battery&displayName=x',
    contentType: 'application/x-www-form-urlencoded',
    field: 'email',
  },

  {
    route: 'post /auth/login',
    input: 'body',
    name: 'missing e-mail',
    as: 'anonymous',
    path: () => '/auth/login',
    body: () => ({ password: 'correct horse battery' }),
    field: 'email',
  },
  {
    route: 'post /auth/login',
    input: 'body',
    name: 'e-mail of the wrong type',
    as: 'anonymous',
    path: () => '/auth/login',
    body: (f) => ({ email: [f.users.learner.email], password: 'correct horse battery' }),
    field: 'email',
  },
  {
    route: 'post /auth/login',
    input: 'body',
    name: 'empty password',
    as: 'anonymous',
    path: () => '/auth/login',
    body: (f) => ({ email: f.users.learner.email, password: '' }),
    field: 'password',
  },
  {
    route: 'post /auth/login',
    input: 'body',
    name: 'password over 200 characters',
    as: 'anonymous',
    path: () => '/auth/login',
    body: (f) => ({ email: f.users.learner.email, password: long(201) }),
    field: 'password',
  },

  {
    route: 'post /auth/refresh',
    input: 'body',
    name: 'missing refresh token',
    as: 'anonymous',
    path: () => '/auth/refresh',
    body: () => ({}),
    field: 'refreshToken',
  },
  {
    route: 'post /auth/refresh',
    input: 'body',
    name: 'refresh token too short',
    as: 'anonymous',
    path: () => '/auth/refresh',
    body: () => ({ refreshToken: 'abc' }),
    field: 'refreshToken',
  },
  {
    route: 'post /auth/refresh',
    input: 'body',
    name: 'refresh token over 200 characters',
    as: 'anonymous',
    path: () => '/auth/refresh',
    body: () => ({ refreshToken: long(201) }),
    field: 'refreshToken',
  },

  {
    route: 'post /auth/logout',
    input: 'body',
    name: 'refresh token of the wrong type',
    as: 'anonymous',
    path: () => '/auth/logout',
    body: () => ({ refreshToken: 1234567890123 }),
    field: 'refreshToken',
  },
  {
    route: 'post /auth/logout',
    input: 'body',
    name: 'refresh token too short',
    as: 'anonymous',
    path: () => '/auth/logout',
    body: () => ({ refreshToken: 'short' }),
    field: 'refreshToken',
  },

  {
    route: 'post /auth/register',
    input: 'body',
    name: 'consent not given',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({
      email: 'new-consent@test.lectern',
      password: 'correct horse battery',
      displayName: 'Новый',
      consent: { policyVersion: '2026-11-29', accepted: false },
    }),
    field: 'consent.accepted',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'no consent at all',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({ email: 'new-consent2@test.lectern', password: 'correct horse battery', displayName: 'Новый' }),
    field: 'consent',
  },
  {
    route: 'post /auth/register',
    input: 'body',
    name: 'time zone that is not an IANA one',
    as: 'anonymous',
    path: () => '/auth/register',
    body: () => ({
      email: 'new-zone@test.lectern',
      password: 'correct horse battery',
      displayName: 'Новый',
      timeZone: 'Mars/Olympus',
      consent: { policyVersion: '2026-11-29', accepted: true },
    }),
    field: 'timeZone',
  },
  {
    route: 'post /auth/confirm-email',
    input: 'body',
    name: 'token that is not one from a link',
    as: 'anonymous',
    path: () => '/auth/confirm-email',
    body: () => ({ token: `${long(40)}<script>` }),
    field: 'token',
  },
  {
    route: 'post /auth/confirm-email',
    input: 'body',
    name: 'token over 64 characters',
    as: 'anonymous',
    path: () => '/auth/confirm-email',
    body: () => ({ token: long(65) }),
    field: 'token',
  },
  {
    route: 'post /auth/password-reset-request',
    input: 'body',
    name: 'e-mail that is not one',
    as: 'anonymous',
    path: () => '/auth/password-reset-request',
    body: () => ({ email: 'nobody' }),
    field: 'email',
  },
  {
    route: 'post /auth/password-reset',
    input: 'body',
    name: 'new password under 10 characters',
    as: 'anonymous',
    path: () => '/auth/password-reset',
    body: () => ({ token: long(43), password: 'short' }),
    field: 'password',
  },
  {
    route: 'post /auth/password-reset',
    input: 'body',
    name: 'no token',
    as: 'anonymous',
    path: () => '/auth/password-reset',
    body: () => ({ password: 'correct horse battery' }),
    field: 'token',
  },
  {
    route: 'patch /me',
    input: 'body',
    name: 'time zone that is not an IANA one',
    as: 'learner',
    path: () => '/me',
    body: () => ({ timeZone: 'Moscow' }),
    field: 'timeZone',
  },
  {
    route: 'patch /me',
    input: 'body',
    name: 'blank display name',
    as: 'learner',
    path: () => '/me',
    body: () => ({ displayName: '  ' }),
    field: 'displayName',
  },
  {
    route: 'patch /me',
    input: 'body',
    name: 'nothing to change',
    as: 'learner',
    path: () => '/me',
    body: () => ({}),
    field: '',
  },
  {
    route: 'patch /me',
    input: 'body',
    name: 'unknown language',
    as: 'learner',
    path: () => '/me',
    body: () => ({ locale: 'de' }),
    field: 'locale',
  },
  {
    route: 'post /me/password',
    input: 'body',
    name: 'new password under 10 characters',
    as: 'learner',
    path: () => '/me/password',
    body: () => ({ currentPassword: 'correct horse battery', newPassword: 'short' }),
    field: 'newPassword',
  },
  {
    route: 'post /me/password',
    input: 'body',
    name: 'current password over 200 characters',
    as: 'learner',
    path: () => '/me/password',
    body: () => ({ currentPassword: long(201), newPassword: 'correct horse battery 2' }),
    field: 'currentPassword',
  },
  {
    route: 'post /me/deletion',
    input: 'body',
    name: 'password of the wrong type',
    as: 'learner',
    path: () => '/me/deletion',
    body: () => ({ password: 42 }),
    field: 'password',
  },
  {
    route: 'post /auth/oidc/start',
    input: 'body',
    name: 'policy version over 64 characters',
    as: 'anonymous',
    path: () => '/auth/oidc/start',
    body: () => ({ policyVersion: long(65) }),
    field: 'policyVersion',
  },
  {
    route: 'post /auth/oidc/callback',
    input: 'body',
    name: 'no flow',
    as: 'anonymous',
    path: () => '/auth/oidc/callback',
    body: () => ({ callbackQuery: 'code=x&state=y' }),
    field: 'flow',
  },
  {
    route: 'post /auth/oidc/callback',
    input: 'body',
    name: 'callback query over 4000 characters',
    as: 'anonymous',
    path: () => '/auth/oidc/callback',
    body: () => ({ flow: 'x', callbackQuery: long(4001) }),
    field: 'callbackQuery',
  },

  {
    route: 'put /users/:id/roles',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'admin',
    path: () => '/users/not-an-id/roles',
    body: () => ({ roles: ['lecturer'] }),
    field: 'id',
  },
  {
    route: 'put /users/:id/roles',
    input: 'params',
    name: 'id in upper-case hex',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id.toUpperCase()}/roles`,
    body: () => ({ roles: ['lecturer'] }),
    field: 'id',
  },
  {
    route: 'put /users/:id/roles',
    input: 'params',
    name: 'id with malformed percent-encoding',
    as: 'admin',
    path: () => '/users/%E0%A4%A/roles',
    body: () => ({ roles: ['lecturer'] }),
    code: 'malformed_path',
  },
  {
    route: 'put /users/:id/roles',
    input: 'body',
    name: 'unknown role',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/roles`,
    body: () => ({ roles: ['superuser'] }),
    field: 'roles.0',
  },
  {
    route: 'put /users/:id/roles',
    input: 'body',
    name: 'no roles',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/roles`,
    body: () => ({ roles: [] }),
    field: 'roles',
  },
  {
    route: 'put /users/:id/roles',
    input: 'body',
    name: 'a repeated role',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/roles`,
    body: () => ({ roles: ['lecturer', 'lecturer'] }),
    field: 'roles',
  },
  {
    route: 'put /users/:id/roles',
    input: 'body',
    name: 'roles as a string',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/roles`,
    body: () => ({ roles: 'admin' }),
    field: 'roles',
  },

  // ---- seminars ----
  {
    route: 'get /seminars',
    input: 'query',
    name: 'unknown status',
    as: 'lecturer',
    path: () => '/seminars?status=archived',
    field: 'status',
  },
  { route: 'get /seminars', input: 'query', name: 'limit 0', as: 'lecturer', path: () => '/seminars?limit=0', field: 'limit' },
  { route: 'get /seminars', input: 'query', name: 'limit 101', as: 'lecturer', path: () => '/seminars?limit=101', field: 'limit' },
  { route: 'get /seminars', input: 'query', name: 'limit not a number', as: 'lecturer', path: () => '/seminars?limit=ten', field: 'limit' },
  { route: 'get /seminars', input: 'query', name: 'fractional limit', as: 'lecturer', path: () => '/seminars?limit=1.5', field: 'limit' },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'track over 80 characters',
    as: 'lecturer',
    path: () => `/seminars?track=${long(81)}`,
    field: 'track',
  },
  { route: 'get /seminars', input: 'query', name: 'unknown part', as: 'learner', path: () => '/seminars?when=soon', field: 'when' },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'start bound without a zone',
    as: 'learner',
    path: () => '/seminars?startsFrom=2031-03-01T00:00:00',
    field: 'startsFrom',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'start bound that is a date only',
    as: 'anonymous',
    path: () => '/seminars?startsBefore=2031-03-01',
    field: 'startsBefore',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'start bound given twice',
    as: 'learner',
    path: () => '/seminars?startsFrom=2031-03-01T00:00:00Z&startsFrom=2031-03-02T00:00:00Z',
    field: 'startsFrom',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'track given twice',
    as: 'lecturer',
    path: () => '/seminars?track=a&track=b',
    field: 'track',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'cursor with characters no cursor has',
    as: 'lecturer',
    path: () => '/seminars?cursor=a.b%2Bc',
    field: 'cursor',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'cursor over 200 characters',
    as: 'lecturer',
    path: () => `/seminars?cursor=${long(201, 'A')}`,
    field: 'cursor',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'cursor that is not base64 JSON',
    as: 'lecturer',
    path: () => '/seminars?cursor=abc',
    code: 'invalid_cursor',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'cursor of the wrong shape',
    as: 'lecturer',
    path: () => `/seminars?cursor=${forgedCursor(['x'])}`,
    code: 'invalid_cursor',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'well-shaped cursor with a bad id',
    as: 'lecturer',
    path: () => `/seminars?cursor=${forgedCursor([0, 'zz'])}`,
    code: 'invalid_cursor',
  },
  {
    route: 'get /seminars',
    input: 'query',
    name: 'well-shaped cursor with an out-of-range time',
    as: 'lecturer',
    path: () => `/seminars?cursor=${forgedCursor([1e20, hexId()])}`,
    code: 'invalid_cursor',
  },

  {
    route: 'post /seminars',
    input: 'body',
    name: "impossible local date-time '2026-13-40T25:99'",
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, startsAt: '2026-13-40T25:99' }),
    field: 'startsAt',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: "nonexistent day '2027-02-30T10:00'",
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, startsAt: '2027-02-30T10:00' }),
    field: 'startsAt',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'local date-time in another format',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, startsAt: '10.03.2031 18:30' }),
    field: 'startsAt',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'an instant instead of a local date-time',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, startsAt: '2031-03-10T15:30:00Z' }),
    field: 'startsAt',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: "time zone 'Mars/Olympus'",
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, timeZone: 'Mars/Olympus' }),
    field: 'timeZone',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: "abbreviated time zone 'EST'",
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, timeZone: 'EST' }),
    field: 'timeZone',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'duration under 15 minutes',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, durationMinutes: 10 }),
    field: 'durationMinutes',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'duration over 600 minutes',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, durationMinutes: 601 }),
    field: 'durationMinutes',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'fractional duration',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, durationMinutes: 90.5 }),
    field: 'durationMinutes',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'capacity 0',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, capacity: 0 }),
    field: 'capacity',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'capacity as a string',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, capacity: '30' }),
    field: 'capacity',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'capacity over 100000',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, capacity: 100_001 }),
    field: 'capacity',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'unknown language',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, language: 'de' }),
    field: 'language',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'title under 3 characters',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, title: 'ab' }),
    field: 'title',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'title over 200 characters',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, title: long(201) }),
    field: 'title',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'description over 5000 characters',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, description: long(5001) }),
    field: 'description',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'missing title',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, title: undefined }),
    field: 'title',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: "lecturer id 'not-an-id'",
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, lecturerIds: ['not-an-id'] }),
    field: 'lecturerIds.0',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'empty lecturer list',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, lecturerIds: [] }),
    field: 'lecturerIds',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'six lecturers',
    as: 'lecturer',
    path: () => '/seminars',
    body: (f) => ({ ...seminarBody, lecturerIds: [f.users.lecturer.id, ...Array.from({ length: 5 }, (_, i) => hexId(23) + i)] }),
    field: 'lecturerIds',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: "course id 'not-an-id'",
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, courseId: 'not-an-id' }),
    field: 'courseId',
  },
  {
    route: 'post /seminars',
    input: 'body',
    name: 'isPublic as a string',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, isPublic: 'yes' }),
    field: 'isPublic',
  },

  { route: 'get /seminars/:id', input: 'params', name: "id 'not-an-id'", as: 'learner', path: () => '/seminars/not-an-id', field: 'id' },
  {
    route: 'get /seminars/:id',
    input: 'params',
    name: '23-character id',
    as: 'learner',
    path: () => `/seminars/${hexId(23)}`,
    field: 'id',
  },
  {
    route: 'get /seminars/:id',
    input: 'params',
    name: 'id with malformed percent-encoding',
    as: 'learner',
    path: () => '/seminars/%E0%A4%A',
    code: 'malformed_path',
  },

  {
    route: 'patch /seminars/:id',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/seminars/not-an-id',
    body: () => ({ title: 'Новое название' }),
    field: 'id',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: 'no field to change',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({}),
    field: '',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: "impossible local date-time '2026-13-40T25:99'",
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({ startsAt: '2026-13-40T25:99' }),
    field: 'startsAt',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: "time zone 'Mars/Olympus'",
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({ timeZone: 'Mars/Olympus' }),
    field: 'timeZone',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: 'negative capacity',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({ capacity: -1 }),
    field: 'capacity',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: 'empty lecturer list',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({ lecturerIds: [] }),
    field: 'lecturerIds',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: 'title null',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({ title: null }),
    field: 'title',
  },
  {
    route: 'patch /seminars/:id',
    input: 'body',
    name: 'a valid change next to a bad one',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}`,
    body: () => ({ title: 'Новое название', capacity: 0 }),
    field: 'capacity',
  },

  {
    route: 'post /seminars/:id/transitions',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/seminars/not-an-id/transitions',
    body: () => ({ to: 'live' }),
    field: 'id',
  },
  {
    route: 'post /seminars/:id/transitions',
    input: 'body',
    name: 'unknown state',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}/transitions`,
    body: () => ({ to: 'archived' }),
    field: 'to',
  },
  {
    route: 'post /seminars/:id/transitions',
    input: 'body',
    name: "back to 'draft'",
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}/transitions`,
    body: () => ({ to: 'draft' }),
    field: 'to',
  },
  {
    route: 'post /seminars/:id/transitions',
    input: 'body',
    name: 'missing target state',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}/transitions`,
    body: () => ({}),
    field: 'to',
  },

  {
    route: 'get /seminars/:id/calendar.ics',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'learner',
    path: () => '/seminars/not-an-id/calendar.ics',
    field: 'id',
  },
  {
    route: 'get /seminars/:id/playback',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'learner',
    path: () => '/seminars/not-an-id/playback',
    field: 'id',
  },
  {
    route: 'get /seminars/:id/playback',
    input: 'params',
    name: 'id with a path in it',
    as: 'learner',
    path: () => '/seminars/..%2F..%2Fetc/playback',
    field: 'id',
  },

  // ---- the workspace's recordings ----
  {
    route: 'get /recordings',
    input: 'query',
    name: 'limit over 100',
    as: 'lecturer',
    path: () => '/recordings?limit=101',
    field: 'limit',
  },
  {
    route: 'get /recordings',
    input: 'query',
    name: 'a cursor this API did not write',
    as: 'lecturer',
    path: () => `/recordings?cursor=${forgedCursor(['x'])}`,
    code: 'invalid_cursor',
  },
  {
    route: 'get /recordings/:id',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/recordings/not-an-id',
    field: 'id',
  },
  {
    route: 'patch /recordings/:id',
    input: 'params',
    name: 'id with a path in it',
    as: 'lecturer',
    path: () => '/recordings/..%2F..%2Fetc',
    body: () => ({ title: 'Новое имя' }),
    field: 'id',
  },
  {
    route: 'patch /recordings/:id',
    input: 'body',
    name: 'title over 200 characters',
    as: 'lecturer',
    path: (f) => `/recordings/${f.recordingId}`,
    body: () => ({ title: long(201) }),
    field: 'title',
  },
  {
    route: 'patch /recordings/:id',
    input: 'body',
    name: 'no title',
    as: 'lecturer',
    path: (f) => `/recordings/${f.recordingId}`,
    body: () => ({}),
    field: 'title',
  },
  {
    route: 'put /recordings/:id/trim',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/recordings/not-an-id/trim',
    body: () => ({ startSeconds: 0, endSeconds: 1 }),
    field: 'id',
  },
  {
    route: 'put /recordings/:id/trim',
    input: 'body',
    name: 'end before start',
    as: 'lecturer',
    path: (f) => `/recordings/${f.recordingId}/trim`,
    body: () => ({ startSeconds: 1.5, endSeconds: 1 }),
    field: 'endSeconds',
  },
  {
    route: 'put /recordings/:id/trim',
    input: 'body',
    name: 'a start that is not a number',
    as: 'lecturer',
    path: (f) => `/recordings/${f.recordingId}/trim`,
    body: () => ({ startSeconds: '1', endSeconds: null }),
    field: 'startSeconds',
  },
  {
    route: 'put /recordings/:id/trim',
    input: 'body',
    name: 'an end past the recording',
    as: 'lecturer',
    path: (f) => `/recordings/${f.recordingId}/trim`,
    body: () => ({ startSeconds: 0, endSeconds: 30 }),
    code: 'trim_out_of_range',
  },
  {
    route: 'put /recordings/:id/trim',
    input: 'body',
    name: 'a cut that keeps no segment',
    as: 'lecturer',
    path: (f) => `/recordings/${f.recordingId}/trim`,
    body: () => ({ startSeconds: 0.7, endSeconds: 0.8 }),
    code: 'trim_empty',
  },
  {
    route: 'delete /recordings/:id',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/recordings/not-an-id',
    field: 'id',
  },
  {
    route: 'get /recordings/:id/download',
    input: 'params',
    name: 'id of 23 characters',
    as: 'lecturer',
    path: () => `/recordings/${hexId(23)}/download`,
    field: 'id',
  },
  {
    route: 'get /recordings/:id/download.mp4',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'anonymous',
    path: () => `/recordings/not-an-id/download.mp4?exp=1&sig=${long(43, 'a')}`,
    field: 'id',
  },
  {
    route: 'get /recordings/:id/download.mp4',
    input: 'query',
    name: 'no signature',
    as: 'anonymous',
    path: (f) => `/recordings/${f.recordingId}/download.mp4?exp=1`,
    field: 'sig',
  },
  {
    route: 'get /recordings/:id/download.mp4',
    input: 'query',
    name: 'an expiry that is not a number',
    as: 'anonymous',
    path: (f) => `/recordings/${f.recordingId}/download.mp4?exp=soon&sig=${long(43, 'a')}`,
    field: 'exp',
  },

  {
    route: 'get /seminars/:id/registration',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'learner',
    path: () => '/seminars/not-an-id/registration',
    field: 'id',
  },
  {
    route: 'put /seminars/:id/registration',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'otherLearner',
    path: () => '/seminars/not-an-id/registration',
    field: 'id',
  },
  {
    route: 'put /seminars/:id/registration',
    input: 'params',
    name: '25-character id',
    as: 'otherLearner',
    path: () => `/seminars/${hexId(25)}/registration`,
    field: 'id',
  },
  {
    route: 'delete /seminars/:id/registration',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'learner',
    path: () => '/seminars/not-an-id/registration',
    field: 'id',
  },

  {
    route: 'get /me/registrations',
    input: 'query',
    name: 'limit 0',
    as: 'learner',
    path: () => '/me/registrations?limit=0',
    field: 'limit',
  },
  {
    route: 'get /me/registrations',
    input: 'query',
    name: 'cursor that is not base64 JSON',
    as: 'learner',
    path: () => '/me/registrations?cursor=abc',
    code: 'invalid_cursor',
  },
  {
    route: 'get /me/registrations',
    input: 'query',
    name: 'well-shaped cursor with a bad id',
    as: 'learner',
    path: () => `/me/registrations?cursor=${forgedCursor(['zz'])}`,
    code: 'invalid_cursor',
  },

  {
    route: 'get /calendar/:file',
    input: 'params',
    name: 'short feed file',
    as: 'anonymous',
    path: () => '/calendar/nope.ics',
    field: 'file',
  },
  {
    route: 'get /calendar/:file',
    input: 'params',
    name: 'feed file without .ics',
    as: 'anonymous',
    path: (f) => `/calendar/${f.feedFile.replace(/\.ics$/, '.txt')}`,
    field: 'file',
  },

  // ---- courses ----
  { route: 'get /courses', input: 'query', name: 'negative limit', as: 'learner', path: () => '/courses?limit=-1', field: 'limit' },
  {
    route: 'get /courses',
    input: 'query',
    name: 'cursor with characters no cursor has',
    as: 'learner',
    path: () => '/courses?cursor=..%2F..',
    field: 'cursor',
  },
  {
    route: 'get /courses',
    input: 'query',
    name: 'cursor that is not base64 JSON',
    as: 'learner',
    path: () => '/courses?cursor=abc',
    code: 'invalid_cursor',
  },
  {
    route: 'get /courses',
    input: 'query',
    name: 'well-shaped cursor with a bad id',
    as: 'learner',
    path: () => `/courses?cursor=${forgedCursor(['zz'])}`,
    code: 'invalid_cursor',
  },

  {
    route: 'post /courses',
    input: 'body',
    name: 'title under 3 characters',
    as: 'lecturer',
    path: () => '/courses',
    body: () => ({ ...courseBody, title: 'ab' }),
    field: 'title',
  },
  {
    route: 'post /courses',
    input: 'body',
    name: 'missing track',
    as: 'lecturer',
    path: () => '/courses',
    body: () => ({ ...courseBody, track: undefined }),
    field: 'track',
  },
  {
    route: 'post /courses',
    input: 'body',
    name: 'completion threshold under 0.5',
    as: 'lecturer',
    path: () => '/courses',
    body: () => ({ ...courseBody, completionThreshold: 0.3 }),
    field: 'completionThreshold',
  },
  {
    route: 'post /courses',
    input: 'body',
    name: 'completion threshold over 1',
    as: 'lecturer',
    path: () => '/courses',
    body: () => ({ ...courseBody, completionThreshold: 1.5 }),
    field: 'completionThreshold',
  },
  {
    route: 'post /courses',
    input: 'body',
    name: 'completion threshold as a string',
    as: 'lecturer',
    path: () => '/courses',
    body: () => ({ ...courseBody, completionThreshold: '0.9' }),
    field: 'completionThreshold',
  },
  {
    route: 'post /courses',
    input: 'body',
    name: 'description over 5000 characters',
    as: 'lecturer',
    path: () => '/courses',
    body: () => ({ ...courseBody, description: long(5001) }),
    field: 'description',
  },

  { route: 'get /courses/:id', input: 'params', name: "id 'not-an-id'", as: 'learner', path: () => '/courses/not-an-id', field: 'id' },

  // The course builder's reads and preview (issue 13).
  { route: 'get /me/courses', input: 'query', name: 'limit 101', as: 'lecturer', path: () => '/me/courses?limit=101', field: 'limit' },
  {
    route: 'get /me/courses',
    input: 'query',
    name: 'cursor with characters no cursor has',
    as: 'lecturer',
    path: () => '/me/courses?cursor=%21%21',
    field: 'cursor',
  },
  {
    route: 'get /courses/:id/structure',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id/structure',
    field: 'id',
  },
  {
    route: 'get /courses/:id/attachable-recordings',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id/attachable-recordings',
    field: 'id',
  },
  {
    route: 'post /courses/:id/lesson-preview',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id/lesson-preview',
    body: () => ({ title: 'Урок', body: 'Текст' }),
    field: 'id',
  },
  {
    route: 'post /courses/:id/lesson-preview',
    input: 'body',
    name: 'Markdown not a string',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/lesson-preview`,
    body: () => ({ title: 'Урок', body: 42 }),
    field: 'body',
  },
  {
    route: 'post /courses/:id/lesson-preview',
    input: 'body',
    name: 'no Markdown',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/lesson-preview`,
    body: () => ({ title: 'Урок' }),
    field: 'body',
  },
  {
    route: 'post /courses/:id/lesson-preview',
    input: 'body',
    name: 'title over 200 characters',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/lesson-preview`,
    body: () => ({ title: long(201), body: 'Текст' }),
    field: 'title',
  },

  {
    route: 'patch /courses/:id',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id',
    body: () => ({ title: 'Новое название' }),
    field: 'id',
  },
  {
    route: 'patch /courses/:id',
    input: 'body',
    name: 'no field to change',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}`,
    body: () => ({}),
    field: '',
  },
  {
    route: 'patch /courses/:id',
    input: 'body',
    name: 'completion threshold 2',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}`,
    body: () => ({ completionThreshold: 2 }),
    field: 'completionThreshold',
  },
  {
    route: 'patch /courses/:id',
    input: 'body',
    name: 'title over 200 characters',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}`,
    body: () => ({ title: long(201) }),
    field: 'title',
  },

  {
    route: 'put /courses/:id/structure',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id/structure',
    body: () => ({ modules: [] }),
    field: 'id',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'modules not an array',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: () => ({ modules: { title: 'Модуль' } }),
    field: 'modules',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'unknown lesson kind',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'video', title: 'Видео', url: 'https://example.com/v.mp4' }),
    field: 'modules.0.lessons.1.kind',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: "playlist path starting with '..'",
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'hls', title: 'Запись', playlistPath: '../../etc/passwd.m3u8', durationSeconds: 600 }),
    field: 'modules.0.lessons.1.playlistPath',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: "playlist path with '..' inside",
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'hls', title: 'Запись', playlistPath: 'seminar/../../secret/index.m3u8', durationSeconds: 600 }),
    field: 'modules.0.lessons.1.playlistPath',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'absolute playlist path',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'hls', title: 'Запись', playlistPath: '/etc/passwd.m3u8', durationSeconds: 600 }),
    field: 'modules.0.lessons.1.playlistPath',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'playlist path with a NUL',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'hls', title: 'Запись', playlistPath: 'seminar/x\u0000.m3u8', durationSeconds: 600 }),
    field: 'modules.0.lessons.1.playlistPath',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'playlist that is not .m3u8',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'hls', title: 'Запись', playlistPath: 'seminar/video.mp4', durationSeconds: 600 }),
    field: 'modules.0.lessons.1.playlistPath',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'hls lesson of duration 0',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'hls', title: 'Запись', playlistPath: 'seminar/index.m3u8', durationSeconds: 0 }),
    field: 'modules.0.lessons.1.durationSeconds',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'text lesson over 24 hours',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'text', title: 'Текст', body: 'x', durationSeconds: 86_401 }),
    field: 'modules.0.lessons.1.durationSeconds',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'lesson id with bad characters',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { id: 'bad id!', kind: 'text', title: 'Текст', body: 'x' }),
    field: 'modules.0.lessons.1.id',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: "upload lesson with recording id '../x'",
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'upload', title: 'Видео', recordingId: '../x' }),
    field: 'modules.0.lessons.1.recordingId',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'upload lesson with no recording id',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'upload', title: 'Видео' }),
    field: 'modules.0.lessons.1.recordingId',
  },
  {
    route: 'delete /uploads/:id',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/uploads/not-an-id',
    field: 'id',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: "recording with seminar id 'not-an-id'",
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'recording', title: 'Запись', seminarId: 'not-an-id' }),
    field: 'modules.0.lessons.1.seminarId',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'blank module title',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'text', title: 'Текст', body: 'x' }, { title: '  ' }),
    field: 'modules.0.title',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: 'lesson title over 200 characters',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: (f) => structure(f, { kind: 'text', title: long(201), body: 'x' }),
    field: 'modules.0.lessons.1.title',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: '201 lessons in a module',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: () => ({ modules: [{ title: 'Модуль', lessons: Array.from({ length: 201 }, () => ({ kind: 'text', title: 't', body: '' })) }] }),
    field: 'modules.0.lessons',
  },
  {
    route: 'put /courses/:id/structure',
    input: 'body',
    name: '101 modules',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/structure`,
    body: () => ({ modules: Array.from({ length: 101 }, () => ({ title: 'М', lessons: [] })) }),
    field: 'modules',
  },

  {
    route: 'put /courses/:id/publication',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id/publication',
    body: () => ({ published: false }),
    field: 'id',
  },
  {
    route: 'put /courses/:id/publication',
    input: 'body',
    name: 'published as a string',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/publication`,
    body: () => ({ published: 'false' }),
    field: 'published',
  },
  {
    route: 'put /courses/:id/publication',
    input: 'body',
    name: 'missing published',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/publication`,
    body: () => ({}),
    field: 'published',
  },

  {
    route: 'put /courses/:id/enrolment',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'otherLearner',
    path: () => '/courses/not-an-id/enrolment',
    field: 'id',
  },
  {
    route: 'delete /courses/:id/enrolment',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'learner',
    path: () => '/courses/not-an-id/enrolment',
    field: 'id',
  },
  {
    route: 'get /courses/:id/lessons/:lessonId',
    input: 'params',
    name: "lessonId 'x' (too short)",
    as: 'learner',
    path: (f) => `/courses/${f.courseId}/lessons/x`,
    field: 'lessonId',
  },
  {
    route: 'get /courses/:id/stats',
    input: 'params',
    name: "id 'not-an-id'",
    as: 'lecturer',
    path: () => '/courses/not-an-id/stats',
    field: 'id',
  },

  // ---- progress ----
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'interval with from > to',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) =>
      heartbeat(f, {
        intervals: [
          [0, 10],
          [30, 20],
        ],
      }),
    field: 'intervals.1',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'no intervals',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { intervals: [] }),
    field: 'intervals',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: '201 intervals',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { intervals: Array.from({ length: 201 }, (_, i) => [i, i + 0.5]) }),
    field: 'intervals',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'interval of one number',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { intervals: [[5]] }),
    field: 'intervals.0',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'interval end as a string',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { intervals: [[0, '10']] }),
    field: 'intervals.0.1',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'negative interval start',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { intervals: [[-5, 10]] }),
    field: 'intervals.0.0',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'content id too short',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { contentId: 'ab' }),
    field: 'contentId',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: "content id with '..'",
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { contentId: '../lessons' }),
    field: 'contentId',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'negative position',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { position: -1 }),
    field: 'position',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'position past 24 hours',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { position: 86_401 }),
    field: 'position',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'duration 0',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { durationSeconds: 0 }),
    field: 'durationSeconds',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'fractional sentAt',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { sentAt: 1.5 }),
    field: 'sentAt',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'missing sentAt',
    as: 'learner',
    path: () => '/progress/heartbeats',
    body: (f) => heartbeat(f, { sentAt: undefined }),
    field: 'sentAt',
  },
  {
    route: 'post /progress/heartbeats',
    input: 'body',
    name: 'an overflowing number (1e400)',
    as: 'learner',
    path: () => '/progress/heartbeats',
    rawBody: '{"contentId":"CONTENT","intervals":[[0,1e400]],"position":1,"sentAt":1900000000000}',
    field: 'intervals.0.1',
  },

  {
    route: 'get /progress/:contentId',
    input: 'params',
    name: 'content id too short',
    as: 'learner',
    path: () => '/progress/ab',
    field: 'contentId',
  },
  {
    route: 'get /progress/:contentId',
    input: 'params',
    name: 'content id over 40 characters',
    as: 'learner',
    path: () => `/progress/${long(41)}`,
    field: 'contentId',
  },
  {
    route: 'get /progress/:contentId',
    input: 'params',
    name: 'content id with an encoded slash',
    as: 'learner',
    path: () => '/progress/..%2F..%2Fusers',
    field: 'contentId',
  },

  // ---- notifications ----
  {
    route: 'get /me/notifications',
    input: 'query',
    name: 'limit 1000',
    as: 'learner',
    path: () => '/me/notifications?limit=1000',
    field: 'limit',
  },
  {
    route: 'get /me/notifications',
    input: 'query',
    name: 'cursor that is not base64 JSON',
    as: 'learner',
    path: () => '/me/notifications?cursor=abc',
    code: 'invalid_cursor',
  },
  {
    route: 'get /me/notifications',
    input: 'query',
    name: 'well-shaped cursor with an out-of-range time',
    as: 'learner',
    path: () => `/me/notifications?cursor=${forgedCursor([1e20, 'x'])}`,
    code: 'invalid_cursor',
  },

  {
    route: 'post /me/notifications/:notificationId/read',
    input: 'params',
    name: 'id over 200 characters',
    as: 'learner',
    path: () => `/me/notifications/${long(201)}/read`,
    field: 'notificationId',
  },
  // ---- the workspace (issue 13) ----
  {
    route: 'post /seminars',
    input: 'body',
    name: 'a choice question with one option',
    as: 'lecturer',
    path: () => '/seminars',
    body: () => ({ ...seminarBody, questions: [{ id: 'q1', label: 'Стадия', kind: 'choice', required: true, options: ['Идея'] }] }),
    field: 'questions.0.options',
  },
  {
    route: 'put /seminars/:id/registration',
    input: 'body',
    name: 'an answer to a question the seminar does not ask',
    as: 'otherLearner',
    path: (f) => `/seminars/${f.seminarId}/registration`,
    body: () => ({ answers: { q1: 'ООО «Ромашка»' } }),
    code: 'invalid_answers',
  },
  {
    route: 'put /seminars/:id/registration',
    input: 'body',
    name: 'an answer over 1000 characters',
    as: 'otherLearner',
    path: (f) => `/seminars/${f.seminarId}/registration`,
    body: () => ({ answers: { q1: long(1001) } }),
    field: 'answers.q1',
  },
  {
    route: 'put /seminars/:id/registration',
    input: 'body',
    name: 'a question id with a dot',
    as: 'otherLearner',
    path: (f) => `/seminars/${f.seminarId}/registration`,
    body: () => ({ answers: { 'a.b': 'x' } }),
    field: 'answers.a.b',
  },
  {
    route: 'get /me/seminars',
    input: 'query',
    name: 'unknown status',
    as: 'lecturer',
    path: () => '/me/seminars?status=gone',
    field: 'status',
  },
  { route: 'get /me/seminars', input: 'query', name: 'limit 101', as: 'lecturer', path: () => '/me/seminars?limit=101', field: 'limit' },
  {
    route: 'get /seminars/:id/registrations',
    input: 'params',
    name: 'id not an id',
    as: 'lecturer',
    path: () => '/seminars/nope/registrations',
    field: 'id',
  },
  {
    route: 'get /seminars/:id/registrations',
    input: 'query',
    name: 'forged cursor',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}/registrations?cursor=${forgedCursor(['zz'])}`,
    code: 'invalid_cursor',
  },
  {
    route: 'get /seminars/:id/registrations.csv',
    input: 'params',
    name: 'id of 23 characters',
    as: 'lecturer',
    path: () => `/seminars/${hexId(23)}/registrations.csv`,
    field: 'id',
  },
  {
    route: 'get /seminars/:id/analytics',
    input: 'params',
    name: 'id not an id',
    as: 'lecturer',
    path: () => '/seminars/nope/analytics',
    field: 'id',
  },
  {
    route: 'get /seminars/:id/attendance.csv',
    input: 'params',
    name: 'id of 25 characters',
    as: 'lecturer',
    path: () => `/seminars/${hexId(25)}/attendance.csv`,
    field: 'id',
  },
  {
    route: 'get /courses/:id/analytics',
    input: 'params',
    name: 'id with upper case',
    as: 'lecturer',
    path: () => `/courses/${long(24, 'A')}/analytics`,
    field: 'id',
  },
  {
    route: 'post /webhooks',
    input: 'body',
    name: 'an ftp: address',
    as: 'admin',
    path: () => '/webhooks',
    body: () => ({ url: 'ftp://crm.example.org/hook', eventTypes: ['seminar.live'] }),
    field: 'url',
  },
  {
    route: 'post /webhooks',
    input: 'body',
    name: 'an event type Lectern does not send',
    as: 'admin',
    path: () => '/webhooks',
    body: () => ({ url: 'https://crm.example.org/hook', eventTypes: ['seminar.deleted'] }),
    field: 'eventTypes.0',
  },
  {
    route: 'post /webhooks',
    input: 'body',
    name: 'no event types',
    as: 'admin',
    path: () => '/webhooks',
    body: () => ({ url: 'https://crm.example.org/hook', eventTypes: [] }),
    field: 'eventTypes',
  },
  {
    route: 'patch /webhooks/:id',
    input: 'params',
    name: 'id not an id',
    as: 'admin',
    path: () => '/webhooks/nope',
    body: () => ({ enabled: false }),
    field: 'id',
  },
  {
    route: 'patch /webhooks/:id',
    input: 'body',
    name: 'nothing to change',
    as: 'admin',
    path: () => `/webhooks/${hexId()}`,
    body: () => ({}),
    field: '',
  },
  {
    route: 'patch /webhooks/:id',
    input: 'body',
    name: 'a description over 500 characters',
    as: 'admin',
    path: () => `/webhooks/${hexId()}`,
    body: () => ({ description: long(501) }),
    field: 'description',
  },
  { route: 'delete /webhooks/:id', input: 'params', name: 'id not an id', as: 'admin', path: () => '/webhooks/nope', field: 'id' },
  {
    route: 'post /webhooks/:id/secret',
    input: 'params',
    name: 'id with upper case',
    as: 'admin',
    path: () => `/webhooks/${long(24, 'A')}/secret`,
    field: 'id',
  },
  { route: 'post /webhooks/:id/test', input: 'params', name: 'id not an id', as: 'admin', path: () => '/webhooks/nope/test', field: 'id' },
  {
    route: 'get /webhooks/:id/deliveries',
    input: 'params',
    name: 'id not an id',
    as: 'admin',
    path: () => '/webhooks/nope/deliveries',
    field: 'id',
  },
  {
    route: 'get /webhooks/:id/deliveries',
    input: 'query',
    name: 'limit 101',
    as: 'admin',
    path: () => `/webhooks/${hexId()}/deliveries?limit=101`,
    field: 'limit',
  },
  {
    route: 'get /seminars/:id/polls.csv',
    input: 'params',
    name: 'id not an id',
    as: 'lecturer',
    path: () => '/seminars/nope/polls.csv',
    field: 'id',
  },
  {
    route: 'get /seminars/:id/polls.csv',
    input: 'query',
    name: 'unknown locale',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}/polls.csv?locale=de`,
    field: 'locale',
  },
  {
    route: 'post /seminars/:id/decks',
    input: 'params',
    name: 'id not an id',
    as: 'lecturer',
    path: () => '/seminars/nope/decks',
    field: 'id',
  },
  {
    route: 'post /seminars/:id/decks',
    input: 'query',
    name: 'a file name over 200 characters',
    as: 'lecturer',
    path: (f) => `/seminars/${f.seminarId}/decks?name=${long(201)}`,
    field: 'name',
  },
  {
    route: 'get /seminars/:id/decks',
    input: 'params',
    name: 'id not an id',
    as: 'lecturer',
    path: () => '/seminars/nope/decks',
    field: 'id',
  },
  {
    route: 'get /courses/:id/completion.csv',
    input: 'params',
    name: 'id not an id',
    as: 'lecturer',
    path: () => '/courses/nope/completion.csv',
    field: 'id',
  },
  {
    route: 'get /courses/:id/completion.csv',
    input: 'query',
    name: 'unknown locale',
    as: 'lecturer',
    path: (f) => `/courses/${f.courseId}/completion.csv?locale=de`,
    field: 'locale',
  },
  {
    route: 'get /users/lecturers',
    input: 'query',
    name: 'a one-letter search',
    as: 'lecturer',
    path: () => '/users/lecturers?q=a',
    field: 'q',
  },
  {
    route: 'get /users/lecturers',
    input: 'query',
    name: 'a search over 100 characters',
    as: 'lecturer',
    path: () => `/users/lecturers?q=${long(101)}`,
    field: 'q',
  },
  { route: 'get /users/lecturers', input: 'query', name: 'neither q nor ids', as: 'lecturer', path: () => '/users/lecturers', field: '' },
  {
    route: 'get /users/lecturers',
    input: 'query',
    name: 'six ids',
    as: 'lecturer',
    path: () => `/users/lecturers?ids=${Array(6).fill(hexId()).join(',')}`,
    field: 'ids',
  },
  { route: 'get /users', input: 'query', name: 'unknown role', as: 'admin', path: () => '/users?role=root', field: 'role' },
  {
    route: 'get /users',
    input: 'query',
    name: 'a search over 100 characters',
    as: 'admin',
    path: () => `/users?q=${long(101)}`,
    field: 'q',
  },
  {
    route: 'get /users',
    input: 'query',
    name: 'forged cursor',
    as: 'admin',
    path: () => `/users?cursor=${forgedCursor([1, 2])}`,
    code: 'invalid_cursor',
  },
  { route: 'get /users/:id', input: 'params', name: 'id not hex', as: 'admin', path: () => `/users/${long(24, 'z')}`, field: 'id' },
  {
    route: 'put /users/:id/disabled',
    input: 'params',
    name: 'id not an id',
    as: 'admin',
    path: () => '/users/me/disabled',
    body: () => ({ disabled: true }),
    field: 'id',
  },
  {
    route: 'put /users/:id/disabled',
    input: 'body',
    name: 'disabled as a string',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/disabled`,
    body: () => ({ disabled: 'yes' }),
    field: 'disabled',
  },
  {
    route: 'put /users/:id/disabled',
    input: 'body',
    name: 'no body',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/disabled`,
    field: 'disabled',
  },
  {
    route: 'get /users/:id/registrations',
    input: 'params',
    name: 'id too long',
    as: 'admin',
    path: () => `/users/${hexId(25)}/registrations`,
    field: 'id',
  },
  {
    route: 'get /users/:id/registrations',
    input: 'query',
    name: 'limit 0',
    as: 'admin',
    path: (f) => `/users/${f.users.learner.id}/registrations?limit=0`,
    field: 'limit',
  },
  { route: 'get /users/:id/learning', input: 'params', name: 'id not an id', as: 'admin', path: () => '/users/x/learning', field: 'id' },
];

// The heartbeat case with a raw body names the lesson by a placeholder.
const withFixtures = (c: Case, f: Fixtures) => c.rawBody?.replace('CONTENT', f.lessonId);

/** Every collection of the test database, each document in EJSON (types kept), plus the indexes. */
async function snapshot(app: Lectern): Promise<Record<string, unknown>> {
  // Heartbeats are buffered in memory: flush, so a buffered write would show.
  await app.domain.progress.flush();
  const db = app.db.connection.db!;
  // node_leases is the node saying it is alive (renewed on a timer), not something a request wrote.
  const names = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => n !== 'node_leases')
    .sort();
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const docs = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
    out[name] = mongo.BSON.EJSON.serialize(docs, { relaxed: false });
    out[`${name} (indexes)`] = (await db.collection(name).indexes()).map((i) => JSON.stringify(i)).sort();
  }
  return out;
}

/** `/seminars/:id/calendar.ics` → a regex over concrete paths. */
function pathPattern(path: string): RegExp {
  const source = path
    .split(/(:\w+)/)
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

const keyOf = (spec: RouteSpec) => `${spec.method} ${spec.path}`;
const inputsOf = (spec: RouteSpec): Input[] => (['params', 'query', 'body'] as const).filter((i) => spec[i] !== undefined);

describe('bad input: 400 with a code, and nothing written', () => {
  let app: Lectern;
  let api: Api;
  let f: Fixtures;

  beforeAll(async () => {
    app = await startTestApp('bad-input');
    api = Api.of(app);
    const users = await cast(api);
    const ok = async (method: string, path: string, token: string, body?: unknown, status = 200) => {
      const res = await api.call(method, path, { token, ...(body === undefined ? {} : { body }) });
      if (res.status !== status) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
      return res.body;
    };

    const seminar = await ok('POST', '/seminars', users.lecturer.token, seminarBody, 201);
    await ok('POST', `/seminars/${seminar.id}/transitions`, users.lecturer.token, { to: 'scheduled' });
    const course = await ok('POST', '/courses', users.lecturer.token, courseBody, 201);
    const structured = await ok('PUT', `/courses/${course.id}/structure`, users.lecturer.token, {
      modules: [{ title: 'Модуль 1', lessons: [{ kind: 'text', title: 'Введение', body: 'Текст' }] }],
    });
    await ok('PUT', `/courses/${course.id}/publication`, users.lecturer.token, { published: true });
    await ok('PUT', `/courses/${course.id}/enrolment`, users.learner.token, undefined, 204);
    await ok('PUT', `/seminars/${seminar.id}/registration`, users.learner.token);
    const module = structured.modules[0];
    f = {
      users,
      seminarId: seminar.id,
      courseId: course.id,
      moduleId: module.id,
      lessonId: module.lessons[0].id,
      feedFile: '',
      recordingId: (await readyRecording(app, seminar.id, 2)).id,
    };
    // No heartbeat in the fixtures: FerretDB refuses the nested `intervals` arrays of a progress
    // record ("nested arrays are not supported"), so it would stay buffered and be retried forever.
    await app.domain.progress.flush();
    expect(app.domain.progress.bufferedCount).toBe(0);
    const feed = await ok('POST', '/me/calendar-feed', users.learner.token, undefined, 201);
    f.feedFile = new URL(feed.url).pathname.split('/').pop()!;
    expect(f.feedFile).toMatch(/^[A-Za-z0-9_-]{43}\.ics$/);
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** Sends the request and checks the answer and the database; returns nothing so it.fails sees only assertion failures. */
  async function expectRejected(c: {
    method: string;
    path: string;
    as: Who;
    body?: unknown;
    rawBody?: string;
    contentType?: string;
    code: string;
    field?: string;
  }): Promise<void> {
    const before = await snapshot(app);
    const res = await api.call(c.method, c.path, {
      ...(c.as === 'anonymous' ? {} : { token: f.users[c.as].token }),
      ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : c.body !== undefined ? { body: c.body } : {}),
      ...(c.contentType ? { headers: { 'content-type': c.contentType } } : {}),
    });
    // Nothing was buffered for a later flush either.
    const buffered = app.domain.progress.bufferedCount;
    const after = await snapshot(app);

    expect({ status: res.status, body: res.body }).toMatchObject({ status: 400, body: { error: { code: c.code } } });
    const error = errorBodySchema.parse(res.body).error;
    expect(error.code).toMatch(/^[a-z_]+$/);
    if (c.field !== undefined) {
      const paths = (error.details as Array<{ path: string }>).map((d) => d.path);
      expect(paths).toContain(c.field);
    }
    expect(buffered).toBe(0);
    expect(after).toEqual(before);
  }

  describe.each(cases.map((c) => [`${c.route} — ${c.input}: ${c.name}`, c] as const))('%s', (_title, c) => {
    it('is a 400 and writes nothing', async () => {
      const spec = app.domain.routes.find((r) => keyOf(r) === c.route);
      expect(spec, `no route ${c.route}`).toBeDefined();
      expect(inputsOf(spec!)).toContain(c.input);
      const path = c.path(f);
      // The case really is addressed to its route (and not to an earlier one of the same method).
      const first = app.domain.routes.find((r) => r.method === spec!.method && pathPattern(r.path).test(path.split('?')[0]!));
      expect(first && keyOf(first)).toBe(c.route);
      await expectRejected({
        method: spec!.method.toUpperCase(),
        path,
        as: c.as,
        ...(c.body ? { body: c.body(f) } : {}),
        ...(c.rawBody !== undefined ? { rawBody: withFixtures(c, f) } : {}),
        ...(c.contentType ? { contentType: c.contentType } : {}),
        code: c.code ?? 'invalid_request',
        ...(c.field !== undefined ? { field: c.field } : {}),
      });
    });
  });

  it('covers every input of every route that takes one', () => {
    const missing: string[] = [];
    for (const spec of app.domain.routes) {
      for (const input of inputsOf(spec)) {
        if (!cases.some((c) => c.route === keyOf(spec) && c.input === input)) missing.push(`${keyOf(spec)} (${input})`);
      }
    }
    expect(missing, 'routes without a bad-input case').toEqual([]);
    // And no case is for a route or input that is gone.
    const known = new Set(app.domain.routes.flatMap((s) => inputsOf(s).map((i) => `${keyOf(s)} ${i}`)));
    expect(cases.map((c) => `${c.route} ${c.input}`).filter((k) => !known.has(k))).toEqual([]);
  });

  describe('malformed JSON', () => {
    const bodyRoutes = () => app.domain.routes.filter((s) => s.body !== undefined);

    it.each([
      ['a truncated object', '{"a":'],
      ['a bare null (not an object or array)', 'null'],
      ['a single quote', "{'title': 'x'}"],
    ])('%s is 400 malformed_json on every route with a body, and writes nothing', async (_name, raw) => {
      const bodyCases = new Map(cases.filter((c) => c.input === 'body').map((c) => [c.route, c]));
      for (const spec of bodyRoutes()) {
        // A path and token that the route accepts, borrowed from a body case of the same route.
        const c = bodyCases.get(keyOf(spec));
        expect(c, `no body case for ${keyOf(spec)}`).toBeDefined();
        await expectRejected({ method: spec.method.toUpperCase(), path: c!.path(f), as: c!.as, rawBody: raw, code: 'malformed_json' });
      }
    });
  });

  it('the snapshot does see a write (a sign-in stores a refresh token)', async () => {
    const before = await snapshot(app);
    const res = await api.call('POST', '/auth/login', { body: { email: f.users.otherLearner.email, password: 'correct horse battery' } });
    expect(res.status).toBe(200);
    expect(await snapshot(app)).not.toEqual(before);
  });

  it('a body over the 64 kB limit is refused with 413 payload_too_large, and writes nothing', async () => {
    const before = await snapshot(app);
    const res = await api.call('POST', '/seminars', { token: f.users.lecturer.token, body: { ...seminarBody, description: long(70_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await snapshot(app)).toEqual(before);
  });
});
