// Who may call what: every route of the REST API × five callers, each cell an
// explicit expectation. A route added without a row here fails the first test.
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/accounts/grants';
import { newOpaqueToken } from '../../server/accounts/tokens';
import type { Lectern } from '../../server/main';
import { courseStructureBody, createSeminarBody, errorBodySchema, quizBody } from '../../server/protocol';
import { Api, cast, CONSENT, registerUser, type ApiResponse, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { png } from '../support/images';
import { makePdf } from '../support/pdf';
import { readyRecording } from '../support/recordings';

/**
 * The callers, in the column order of every row below. 'owner' is the lecturer
 * who owns every seminar and course fixture; 'lecturer' is one who owns none.
 */
const ROLES = ['anonymous', 'learner', 'lecturer', 'owner', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** 'allow' is the route's success status; a refusal is its status and error.code. */
type Cell = 'allow' | `${401 | 403 | 404} ${string}`;
type Row = Record<Role, Cell>;
const row = (...cells: [Cell, Cell, Cell, Cell, Cell]): Row => Object.fromEntries(ROLES.map((role, i) => [role, cells[i]])) as Row;

const ALLOW = 'allow';
const NO_TOKEN = '401 unauthorized';
const NO_GRANT = '403 missing_grant';
const NO_DRAFT = '404 seminar_not_found';
const NO_COURSE = '404 course_not_found';
const NOT_MINE = '404 notification_not_found';

// Columns:                    anonymous  learner    lecturer               owner     admin
const everyone = row(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW);
const signedIn = row(NO_TOKEN, ALLOW, ALLOW, ALLOW, ALLOW);
const lecturers = row(NO_TOKEN, NO_GRANT, ALLOW, ALLOW, ALLOW);
const seminarOwners = row(NO_TOKEN, NO_GRANT, '403 not_own_seminar', ALLOW, ALLOW);
const courseOwners = row(NO_TOKEN, NO_GRANT, '403 not_own_course', ALLOW, ALLOW);
const admins = row(NO_TOKEN, NO_GRANT, NO_GRANT, NO_GRANT, ALLOW);
// Drafts and unpublished courses do not exist for those who may not manage them.
const draftReaders = row(NO_DRAFT, NO_DRAFT, NO_DRAFT, ALLOW, ALLOW);
const draftOwners = row(NO_TOKEN, NO_GRANT, NO_DRAFT, ALLOW, ALLOW);
const unpublishedReaders = row(NO_COURSE, NO_COURSE, NO_COURSE, ALLOW, ALLOW);
const unpublishedOwners = row(NO_TOKEN, NO_GRANT, NO_COURSE, ALLOW, ALLOW);
const othersNotification = row(NO_TOKEN, NOT_MINE, NOT_MINE, NOT_MINE, NOT_MINE);
// A recording: its lecturers, admins, and learners registered for the seminar.
const NOT_WATCHER = '403 not_allowed_to_watch';
const watchers = row(NO_TOKEN, ALLOW, NOT_WATCHER, ALLOW, ALLOW);
// A recording in the workspace: its seminar's lecturers and admins.
const recordingOwners = row(NO_TOKEN, NO_GRANT, '403 not_own_recording', ALLOW, ALLOW);
const OIDC_OFF = '404 oidc_disabled';
const oidcOff = row(OIDC_OFF, OIDC_OFF, OIDC_OFF, OIDC_OFF, OIDC_OFF);
// A profile: its owner and staff edit it; another lecturer, or a learner, may not.
const NOT_YOURS = '403 profile_not_yours';
const profileEditors = row(NO_TOKEN, NOT_YOURS, NOT_YOURS, ALLOW, ALLOW);
const NO_PROFILE = '404 profile_not_found';

const PASSWORD = 'correct horse battery';

let app: Lectern;
let api: Api;
let people: Record<Exclude<Role, 'anonymous'>, TestUser> & { otherLearner: TestUser; loginUser: TestUser };
let shared: { seminar: string; draft: string; course: CourseFixture; hiddenCourse: CourseFixture };

/** Who makes a call: the role, and the signed-in user behind it (none for anonymous). */
interface Caller {
  role: Role;
  user?: TestUser;
}
interface Call {
  path: string;
  body?: unknown;
  /** A file route's raw body, with its media type. */
  file?: { body: string | Uint8Array; type: string };
  /** Another signed-in user's token in place of the caller's (a call that would delete the caller). */
  token?: string;
  /** A raw body (an image upload) instead of JSON. */
  bytes?: Uint8Array;
}
interface Case {
  expect: Row;
  /** Prepares what this one call needs (fresh where the call changes state) and builds a valid request. */
  request(caller: Caller): Promise<Call>;
}

const actorOf = (user: TestUser): Extract<Actor, { kind: 'user' }> => app.domain.tokens.verifyAccess(user.token);
const unique = () => randomBytes(6).toString('hex');

interface CourseFixture {
  id: string;
  lessonId: string;
}

const fixtures = {
  /** A seminar taught by the owner: scheduled (registration open) unless a draft is asked for. */
  async seminar(status: 'draft' | 'scheduled' = 'scheduled', track = 'matrix'): Promise<string> {
    const owner = actorOf(people.owner);
    const body = createSeminarBody.parse({
      title: 'Финансы для начинающих',
      track,
      startsAt: '2031-03-14T18:30',
      durationMinutes: 60,
      capacity: 50,
    });
    const seminar = await app.domain.seminars.create(owner, body);
    if (status === 'scheduled') await app.domain.seminars.transition(owner, seminar.id, 'scheduled');
    return seminar.id;
  },

  /** A course of the owner's with one text lesson: published unless asked otherwise. */
  async course(published = true): Promise<CourseFixture> {
    const owner = actorOf(people.owner);
    const course = await app.domain.courses.create(owner, {
      title: 'Бизнес-план',
      description: '',
      track: 'matrix',
      completionThreshold: 0.9,
    });
    const withLesson = await app.domain.courses.setStructure(
      owner,
      course.id,
      courseStructureBody.parse({
        modules: [{ title: 'Введение', lessons: [{ kind: 'text', title: 'Зачем нужен план', body: 'Текст урока' }] }],
      }),
    );
    if (published) await app.domain.courses.setPublished(owner, course.id, true);
    return { id: course.id, lessonId: withLesson.modules[0]!.lessons[0]!.id };
  },

  /** An ended seminar of the owner's with a ready recording (two seconds): what an encore repeats. */
  async endedWithRecording(): Promise<string> {
    const id = await fixtures.seminar();
    await app.repos.seminars.transition(id, ['scheduled'], 'live', new Date());
    await app.repos.seminars.transition(id, ['live'], 'ended', new Date());
    await readyRecording(app, id, 2);
    return id;
  },

  /** A finished recording (real HLS, two seconds) of a fresh seminar of the owner's. */
  async recording(): Promise<string> {
    return (await readyRecording(app, await fixtures.seminar(), 2)).id;
  },

  /** A learner straight in the database (no password hashing): a target for role changes and feeds. */
  user() {
    return app.repos.users.create({
      email: `target-${unique()}@test.lectern`,
      displayName: 'Цель',
      locale: 'ru',
      roles: ['learner'],
      passwordHash: 'scrypt$placeholder',
    });
  },

  /** A live link token (confirmation or reset) for a fresh user, as the mail would carry. */
  async mailToken(purpose: 'confirm_email' | 'password_reset'): Promise<string> {
    const { token, hash } = newOpaqueToken();
    const user = await fixtures.user();
    await app.repos.accountTokens.insert({ hash, userId: user.id, purpose, expiresAt: new Date(Date.now() + 3_600_000) });
    return token;
  },

  async refreshToken(): Promise<string> {
    return (await app.domain.accounts.login(people.loginUser.email, PASSWORD, '127.0.0.2')).refreshToken;
  },

  /** A course of the owner's with one quiz lesson of one question: published unless asked otherwise. */
  async quizCourse(published = true): Promise<CourseFixture> {
    const owner = actorOf(people.owner);
    const course = await app.domain.courses.create(owner, {
      title: 'Тест по налогам',
      description: '',
      track: 'matrix',
      completionThreshold: 0.9,
    });
    const withQuiz = await app.domain.courses.setStructure(
      owner,
      course.id,
      courseStructureBody.parse({ modules: [{ title: 'Проверка', lessons: [{ kind: 'quiz', title: 'Итоговый тест' }] }] }),
    );
    const lessonId = withQuiz.modules[0]!.lessons[0]!.id;
    await app.domain.quizzes.put(owner, course.id, lessonId, QUIZ);
    if (published) await app.domain.courses.setPublished(owner, course.id, true);
    return { id: course.id, lessonId };
  },

  async notificationFor(userId: string): Promise<string> {
    const id = `matrix.${unique()}`;
    await app.repos.notifications.insertOnce({
      id,
      userId,
      kind: 'promoted',
      seminarId: shared.seminar,
      title: 'Вы в списке',
      body: 'Место освободилось',
      createdAt: new Date(),
    });
    return id;
  },
};

/** Registers the caller (if any) for a fresh seminar first: for the routes about one's own registration. */
async function registeredSeminar({ user }: Caller): Promise<string> {
  const id = await fixtures.seminar();
  if (user) await app.domain.seminars.register(actorOf(user), id);
  return id;
}

const QUIZ = quizBody.parse({
  passPercent: 50,
  attemptsAllowed: null,
  showAnswers: false,
  questions: [{ kind: 'single', text: 'Ставка НПД?', options: ['4 %', '13 %'], correct: 0 }],
});

/** A fresh quiz course with the caller (if any) enrolled. */
async function enrolledQuiz({ user }: Caller): Promise<CourseFixture> {
  const quiz = await fixtures.quizCourse();
  if (user) await app.domain.courses.enrol(actorOf(user), quiz.id);
  return quiz;
}
const quizPath = (q: CourseFixture) => `/courses/${q.id}/lessons/${q.lessonId}/quiz`;

async function enrolledCourse({ user }: Caller): Promise<string> {
  const { id } = await fixtures.course();
  if (user) await app.domain.courses.enrol(actorOf(user), id);
  return id;
}

/** One row per route, keyed `METHOD /path` as in domain.routes. */
const matrix: Record<string, Case> = {
  // --- accounts
  'POST /auth/register': {
    expect: everyone,
    request: async () => ({
      path: '/auth/register',
      body: { email: `new-${unique()}@test.lectern`, password: PASSWORD, displayName: 'Новичок', consent: CONSENT },
    }),
  },
  'POST /auth/login': {
    expect: everyone,
    request: async () => ({ path: '/auth/login', body: { email: people.loginUser.email, password: PASSWORD } }),
  },
  'POST /auth/refresh': {
    expect: everyone,
    request: async () => ({ path: '/auth/refresh', body: { refreshToken: await fixtures.refreshToken() } }),
  },
  'POST /auth/logout': {
    expect: everyone,
    request: async () => ({ path: '/auth/logout', body: { refreshToken: await fixtures.refreshToken() } }),
  },
  'GET /me': {
    expect: signedIn,
    request: async () => ({ path: '/me' }),
  },
  'PATCH /me': {
    expect: signedIn,
    request: async () => ({ path: '/me', body: { timeZone: 'Europe/Moscow' } }),
  },
  'POST /me/password': {
    expect: signedIn,
    request: async () => ({ path: '/me/password', body: { currentPassword: PASSWORD, newPassword: PASSWORD } }),
  },
  'POST /me/confirmation-email': {
    expect: signedIn,
    request: async () => ({ path: '/me/confirmation-email' }),
  },
  'GET /me/personal-data': {
    expect: signedIn,
    request: async () => ({ path: '/me/personal-data' }),
  },
  'POST /me/deletion': {
    expect: signedIn,
    // Deleting the caller would take them from the rows after this one: a fresh account of theirs stands in.
    request: async () => ({ path: '/me/deletion', body: { password: PASSWORD }, token: (await registerUser(api)).token }),
  },
  'POST /auth/confirm-email': {
    expect: everyone,
    request: async () => ({ path: '/auth/confirm-email', body: { token: await fixtures.mailToken('confirm_email') } }),
  },
  'POST /auth/password-reset-request': {
    expect: everyone,
    request: async () => ({ path: '/auth/password-reset-request', body: { email: `nobody-${unique()}@test.lectern` } }),
  },
  'POST /auth/password-reset': {
    expect: everyone,
    request: async () => ({
      path: '/auth/password-reset',
      body: { token: await fixtures.mailToken('password_reset'), password: PASSWORD },
    }),
  },
  'GET /privacy-policy': {
    expect: everyone,
    request: async () => ({ path: '/privacy-policy' }),
  },
  'GET /auth/oidc': {
    expect: everyone,
    request: async () => ({ path: '/auth/oidc' }),
  },
  // This app has no OIDC provider configured: the routes say so to everyone (test/e2e/accounts-oidc.test.ts has one).
  'POST /auth/oidc/start': {
    expect: oidcOff,
    request: async () => ({ path: '/auth/oidc/start', body: {} }),
  },
  'POST /auth/oidc/callback': {
    expect: oidcOff,
    request: async () => ({ path: '/auth/oidc/callback', body: { flow: 'x', callbackQuery: 'code=x&state=y' } }),
  },
  'PUT /users/:id/roles': {
    expect: admins,
    request: async () => ({ path: `/users/${(await fixtures.user()).id}/roles`, body: { roles: ['lecturer'] } }),
  },

  // --- the workspace (issue 13)
  'GET /me/seminars': {
    expect: lecturers,
    request: async () => ({ path: '/me/seminars' }),
  },
  'GET /seminars/:id/registrations': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${shared.seminar}/registrations` }),
  },
  'GET /seminars/:id/registrations.csv': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${shared.seminar}/registrations.csv` }),
  },
  'GET /seminars/:id/analytics': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${shared.seminar}/analytics` }),
  },
  'GET /seminars/:id/attendance.csv': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${shared.seminar}/attendance.csv` }),
  },
  'GET /seminars/:id/polls.csv': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${shared.seminar}/polls.csv?locale=ru` }),
  },
  'GET /courses/:id/lessons/:lessonId/quiz': {
    expect: signedIn,
    request: async (caller) => ({ path: quizPath(await enrolledQuiz(caller)) }),
  },
  'POST /courses/:id/lessons/:lessonId/quiz/attempts': {
    expect: signedIn,
    request: async (caller) => ({
      path: `${quizPath(await enrolledQuiz(caller))}/attempts`,
      body: { answers: [] },
    }),
  },
  'GET /courses/:id/lessons/:lessonId/quiz/edit': {
    expect: courseOwners,
    request: async () => ({ path: `${quizPath(await fixtures.quizCourse())}/edit` }),
  },
  'PUT /courses/:id/lessons/:lessonId/quiz': {
    expect: courseOwners,
    request: async () => ({ path: quizPath(await fixtures.quizCourse()), body: QUIZ }),
  },
  'GET /courses/:id/quiz-analytics': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${(await fixtures.quizCourse()).id}/quiz-analytics` }),
  },
  'POST /seminars/:id/decks': {
    expect: seminarOwners,
    request: async () => ({
      path: `/seminars/${shared.seminar}/decks?name=deck.pdf`,
      file: { body: makePdf(['Matrix']), type: 'application/pdf' },
    }),
  },
  'GET /seminars/:id/decks': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${shared.seminar}/decks` }),
  },
  'DELETE /decks/:id': {
    expect: seminarOwners,
    // A deck of the owner's seminar per caller (its document: deleting a folder that is not there is no error).
    request: async () => {
      const deck = await app.repos.slides.createDeck({
        id: app.repos.slides.newDeckId(),
        seminarId: shared.seminar,
        name: 'matrix.pdf',
        pageCount: 1,
        titles: ['Matrix'],
        createdAt: new Date(),
      });
      return { path: `/decks/${deck.id}` };
    },
  },
  'GET /courses/:id/analytics': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${shared.course.id}/analytics` }),
  },
  'GET /courses/:id/completion.csv': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${shared.course.id}/completion.csv?locale=en` }),
  },
  'GET /users/lecturers': {
    expect: lecturers,
    request: async () => ({ path: '/users/lecturers?q=%D0%A6%D0%B5' }),
  },
  'GET /users': {
    expect: admins,
    request: async () => ({ path: '/users?q=target' }),
  },
  'GET /users/:id': {
    expect: admins,
    request: async () => ({ path: `/users/${(await fixtures.user()).id}` }),
  },
  'PUT /users/:id/disabled': {
    expect: admins,
    request: async () => ({ path: `/users/${(await fixtures.user()).id}/disabled`, body: { disabled: true } }),
  },
  'GET /users/:id/registrations': {
    expect: admins,
    request: async () => ({ path: `/users/${people.learner.id}/registrations` }),
  },
  'GET /users/:id/learning': {
    expect: admins,
    request: async () => ({ path: `/users/${people.learner.id}/learning` }),
  },

  // --- seminars
  'GET /seminars': {
    expect: everyone,
    request: async () => ({ path: '/seminars?track=matrix' }),
  },
  'POST /seminars': {
    expect: lecturers,
    request: async () => ({
      path: '/seminars',
      body: { title: 'Налоги для ИП', track: 'matrix', startsAt: '2031-04-01T12:00', durationMinutes: 90, capacity: 30 },
    }),
  },
  'GET /seminars/:id': {
    expect: everyone,
    request: async () => ({ path: `/seminars/${shared.seminar}` }),
  },
  'PATCH /seminars/:id': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${await fixtures.seminar()}`, body: { title: 'Финансы: новое название', capacity: 60 } }),
  },
  'POST /seminars/:id/transitions': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${await fixtures.seminar()}/transitions`, body: { to: 'live' } }),
  },
  'POST /seminars/:id/encores': {
    expect: seminarOwners,
    request: async () => ({ path: `/seminars/${await fixtures.endedWithRecording()}/encores`, body: { startsAt: '2031-05-01T19:00' } }),
  },
  'GET /seminars/:id/calendar.ics': {
    expect: everyone,
    request: async () => ({ path: `/seminars/${shared.seminar}/calendar.ics` }),
  },
  'GET /seminars/:id/playback': {
    expect: watchers,
    request: async (caller) => {
      // Learners watch as registrants; the lecturer column is a lecturer who is neither.
      const id = caller.role === 'learner' ? await registeredSeminar(caller) : await fixtures.seminar();
      const recordingId = randomBytes(12).toString('hex');
      await app.repos.recordings.create({
        id: recordingId,
        seminarId: id,
        dir: `${id}/${recordingId}`,
        startedAt: new Date(),
        videoCodec: 'video/H264',
        nodeId: null,
      });
      await app.repos.recordings.update(recordingId, { status: 'ready', durationSeconds: 60 });
      return { path: `/seminars/${id}/playback` };
    },
  },
  'GET /recordings/unattached': {
    expect: lecturers,
    request: async () => ({ path: '/recordings/unattached' }),
  },
  'GET /recordings': {
    expect: lecturers,
    request: async () => ({ path: '/recordings' }),
  },
  'GET /recordings/:id': {
    expect: recordingOwners,
    request: async () => ({ path: `/recordings/${await fixtures.recording()}` }),
  },
  'PATCH /recordings/:id': {
    expect: recordingOwners,
    request: async () => ({ path: `/recordings/${await fixtures.recording()}`, body: { title: 'Запись: финансы' } }),
  },
  'PUT /recordings/:id/trim': {
    expect: recordingOwners,
    request: async () => ({ path: `/recordings/${await fixtures.recording()}/trim`, body: { startSeconds: 1, endSeconds: null } }),
  },
  'DELETE /recordings/:id': {
    expect: recordingOwners,
    request: async () => ({ path: `/recordings/${await fixtures.recording()}` }),
  },
  'PUT /recordings/:id/subtitles/:language': {
    expect: recordingOwners,
    request: async () => ({
      path: `/recordings/${await fixtures.recording()}/subtitles/ru`,
      file: { body: '1\n00:00:00,500 --> 00:00:01,500\nДобрый день\n', type: 'application/x-subrip' },
    }),
  },
  'DELETE /recordings/:id/subtitles/:language': {
    expect: recordingOwners,
    request: async () => ({ path: `/recordings/${await fixtures.recording()}/subtitles/ru` }),
  },
  'GET /recordings/:id/download': {
    expect: recordingOwners,
    request: async () => ({ path: `/recordings/${await fixtures.recording()}/download` }),
  },
  'GET /recordings/:id/download.mp4': {
    // The signed link is the authorization: whoever holds one (the owner handed it on) downloads.
    expect: everyone,
    request: async () => {
      const link = await app.domain.library.downloadLink(actorOf(people.owner), await fixtures.recording());
      return { path: link.url };
    },
  },
  'GET /uploads': { expect: lecturers, request: async () => ({ path: '/uploads' }) },
  'GET /uploads/settings': { expect: lecturers, request: async () => ({ path: '/uploads/settings' }) },
  'DELETE /uploads/:id': {
    // Another lecturer's upload does not exist for them; an admin may take any off the list.
    expect: row(NO_TOKEN, NO_GRANT, '404 upload_not_found', ALLOW, ALLOW),
    request: async () => {
      const id = randomBytes(16).toString('hex');
      await app.repos.uploads.create({
        id,
        ownerId: people.owner.id,
        fileName: 'a.mp4',
        sizeBytes: 10,
        recordingId: randomBytes(12).toString('hex'),
      });
      await app.repos.uploads.update(id, { state: 'failed', errorCode: 'upload_unreadable' });
      return { path: `/uploads/${id}` };
    },
  },
  'GET /seminars/:id/registration': {
    expect: signedIn,
    request: async (caller) => ({ path: `/seminars/${await registeredSeminar(caller)}/registration` }),
  },
  'PUT /seminars/:id/registration': {
    expect: signedIn,
    request: async () => ({ path: `/seminars/${await fixtures.seminar()}/registration` }),
  },
  'DELETE /seminars/:id/registration': {
    expect: signedIn,
    request: async (caller) => ({ path: `/seminars/${await registeredSeminar(caller)}/registration` }),
  },
  'GET /me/registrations': {
    expect: signedIn,
    request: async () => ({ path: '/me/registrations' }),
  },
  'POST /me/calendar-feed': {
    expect: signedIn,
    request: async () => ({ path: '/me/calendar-feed' }),
  },
  'GET /calendar/:file': {
    expect: everyone, // the unguessable file name is the credential
    request: async () => {
      const target = await fixtures.user();
      const { url } = await app.domain.calendar.rotateFeed({ kind: 'user', userId: target.id, roles: ['learner'], grants: [] });
      return { path: new URL(url).pathname };
    },
  },

  // --- courses, progress, notifications
  'GET /courses': {
    expect: everyone,
    request: async () => ({ path: '/courses' }),
  },
  'POST /courses': {
    expect: lecturers,
    request: async () => ({ path: '/courses', body: { title: 'Маркетинг', track: 'matrix' } }),
  },
  'GET /courses/:id': {
    expect: everyone,
    request: async () => ({ path: `/courses/${shared.course.id}` }),
  },
  'PATCH /courses/:id': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${(await fixtures.course()).id}`, body: { title: 'Бизнес-план 2.0' } }),
  },
  'PUT /courses/:id/structure': {
    expect: courseOwners,
    request: async () => {
      const { id, lessonId } = await fixtures.course();
      const lessons = [
        { id: lessonId, kind: 'text', title: 'Зачем нужен план', body: 'Текст урока' },
        { kind: 'hls', title: 'Запись', playlistPath: 'recordings/plan/index.m3u8', durationSeconds: 600 },
      ];
      return { path: `/courses/${id}/structure`, body: { modules: [{ title: 'Введение', lessons }] } };
    },
  },
  'GET /me/courses': {
    expect: lecturers,
    request: async () => ({ path: '/me/courses' }),
  },
  'GET /courses/:id/structure': {
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${(await fixtures.course(false)).id}/structure` }),
  },
  'GET /courses/:id/attachable-recordings': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${shared.course.id}/attachable-recordings` }),
  },
  'POST /courses/:id/lesson-preview': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${shared.course.id}/lesson-preview`, body: { title: 'Урок', body: '# Урок\n\n**План**' } }),
  },
  'PUT /courses/:id/publication': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${(await fixtures.course()).id}/publication`, body: { published: false } }),
  },
  'PUT /courses/:id/enrolment': {
    expect: signedIn,
    request: async () => ({ path: `/courses/${(await fixtures.course()).id}/enrolment` }),
  },
  'DELETE /courses/:id/enrolment': {
    expect: signedIn,
    request: async (caller) => ({ path: `/courses/${await enrolledCourse(caller)}/enrolment` }),
  },
  'GET /courses/:id/lessons/:lessonId': {
    expect: signedIn,
    request: async (caller) => {
      const { id } = await fixtures.course();
      if (caller.user) await app.domain.courses.enrol(actorOf(caller.user), id);
      const lessonId = (await app.domain.courses.get(actorOf(people.owner), id)).modules[0]!.lessons[0]!.id;
      return { path: `/courses/${id}/lessons/${lessonId}` };
    },
  },
  'GET /courses/:id/stats': {
    expect: courseOwners,
    request: async () => ({ path: `/courses/${shared.course.id}/stats` }),
  },
  'GET /me/learning': {
    expect: signedIn,
    request: async () => ({ path: '/me/learning' }),
  },
  'POST /progress/heartbeats': {
    expect: signedIn,
    request: async () => ({
      path: '/progress/heartbeats',
      body: { contentId: shared.course.lessonId, intervals: [[0, 30]], position: 30, sentAt: Date.now() },
    }),
  },
  'GET /progress/:contentId': {
    expect: signedIn,
    request: async () => ({ path: `/progress/${shared.course.lessonId}` }),
  },
  'GET /me/notifications': {
    expect: signedIn,
    request: async () => ({ path: '/me/notifications' }),
  },
  'GET /me/notifications/unread-count': {
    expect: signedIn,
    request: async () => ({ path: '/me/notifications/unread-count' }),
  },
  'POST /me/notifications/read-all': {
    expect: signedIn,
    request: async () => ({ path: '/me/notifications/read-all' }),
  },
  'POST /me/notifications/:notificationId/read': {
    expect: signedIn,
    request: async ({ user }) => ({ path: `/me/notifications/${await fixtures.notificationFor((user ?? people.learner).id)}/read` }),
  },

  // --- webhooks (admins only)
  'GET /webhooks': { expect: admins, request: async () => ({ path: '/webhooks' }) },
  'POST /webhooks': {
    expect: admins,
    request: async () => ({ path: '/webhooks', body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['seminar.live'] } }),
  },
  'PATCH /webhooks/:id': {
    expect: admins,
    request: async () => ({ path: `/webhooks/${await webhookFixture()}`, body: { description: 'CRM' } }),
  },
  'DELETE /webhooks/:id': { expect: admins, request: async () => ({ path: `/webhooks/${await webhookFixture()}` }) },
  'POST /webhooks/:id/secret': { expect: admins, request: async () => ({ path: `/webhooks/${await webhookFixture()}/secret` }) },
  'POST /webhooks/:id/test': { expect: admins, request: async () => ({ path: `/webhooks/${await webhookFixture()}/test` }) },
  'GET /webhooks/:id/deliveries': { expect: admins, request: async () => ({ path: `/webhooks/${await webhookFixture()}/deliveries` }) },
  // --- profiles (issue 16): the owner's own, edited by its owner and staff only
  'GET /profiles/:ref': { expect: everyone, request: async () => ({ path: `/profiles/${people.owner.id}` }) },
  'PATCH /profiles/:userId': {
    expect: profileEditors,
    request: async () => ({ path: `/profiles/${people.owner.id}`, body: { headline: 'Лектор центра' } }),
  },
  'PUT /profiles/:userId/photo': {
    expect: profileEditors,
    request: async () => ({ path: `/profiles/${people.owner.id}/photo`, bytes: await png(200, 200) }),
  },
  'DELETE /profiles/:userId/photo': { expect: profileEditors, request: async () => ({ path: `/profiles/${people.owner.id}/photo` }) },
  'POST /profiles/:userId/items': {
    expect: profileEditors,
    request: async () => ({ path: `/profiles/${people.owner.id}/items?caption=matrix`, bytes: await png(200, 100) }),
  },
  'PUT /profiles/:userId/items/order': {
    expect: profileEditors,
    request: async () => ({ path: `/profiles/${people.owner.id}/items/order`, body: { itemIds: await ownerItemIds() } }),
  },
  'PATCH /profiles/:userId/items/:itemId': {
    expect: profileEditors,
    request: async () => ({ path: `/profiles/${people.owner.id}/items/${await ownerItem()}`, body: { caption: 'Подпись' } }),
  },
  'DELETE /profiles/:userId/items/:itemId': {
    expect: profileEditors,
    request: async () => ({ path: `/profiles/${people.owner.id}/items/${await ownerItem()}` }),
  },

  // --- certificates (the holder is the learner; the course is the owner's)
  'GET /certificates/by-code/:code': {
    expect: everyone,
    request: async () => ({ path: `/certificates/by-code/${(await certificateFixture()).code}` }),
  },
  'GET /me/certificates': { expect: signedIn, request: async () => ({ path: '/me/certificates' }) },
  'GET /certificates/:id/pdf': {
    expect: row(NO_TOKEN, ALLOW, '403 not_own_course', ALLOW, ALLOW),
    request: async () => ({ path: `/certificates/${(await certificateFixture()).id}/pdf` }),
  },
  'GET /courses/:id/certificates': { expect: courseOwners, request: async () => ({ path: `/courses/${shared.course.id}/certificates` }) },
  'POST /certificates/:id/revocation': {
    expect: courseOwners,
    request: async () => ({ path: `/certificates/${(await certificateFixture()).id}/revocation`, body: { reason: 'Ошибка' } }),
  },
  'POST /certificates/:id/reissue': {
    expect: courseOwners,
    request: async () => ({ path: `/certificates/${(await certificateFixture()).id}/reissue` }),
  },

  // --- the knowledge base (staff write any article) and search
  'GET /articles': { expect: everyone, request: async () => ({ path: '/articles?track=matrix' }) },
  'GET /articles/:id': { expect: everyone, request: async () => ({ path: `/articles/${await articleFixture('published')}` }) },
  'GET /workspace/articles': { expect: lecturers, request: async () => ({ path: '/workspace/articles' }) },
  'POST /articles': {
    expect: lecturers,
    request: async () => ({ path: '/articles', body: { title: 'Налоги для ИП', body: 'Текст', track: 'matrix' } }),
  },
  'PATCH /articles/:id': {
    expect: lecturers,
    request: async () => ({ path: `/articles/${await articleFixture('draft')}`, body: { status: 'published' } }),
  },
  'DELETE /articles/:id': { expect: lecturers, request: async () => ({ path: `/articles/${await articleFixture('published')}` }) },
  'GET /search': { expect: everyone, request: async () => ({ path: `/search?q=${encodeURIComponent('финансы')}` }) },
};

/** A fresh certificate of the owner's fresh course, held by `holder` (the learner unless another is given). */
async function certificateFixture(holder?: TestUser): Promise<{ id: string; code: string }> {
  const course = (await app.repos.courses.get((await fixtures.course()).id))!;
  const certificate = await app.domain.certificates.issue(course, (holder ?? people.learner).id, new Date());
  return { id: certificate!.id, code: certificate!.code };
}

/** A fresh portfolio item of the owner's (added through the service, as the owner). */
async function ownerItem(): Promise<string> {
  const profile = await app.domain.portfolios.addItem(actorOf(people.owner), people.owner.id, await png(120, 80), '');
  return profile.items.at(-1)!.id;
}

async function ownerItemIds(): Promise<string[]> {
  await ownerItem();
  return (await app.repos.profiles.get(people.owner.id))!.items.map((i) => i.id);
}

/** An article written straight into the store by the owner. */
async function articleFixture(status: 'draft' | 'published'): Promise<string> {
  const article = await app.repos.articles.create({
    title: 'Упрощённая система налогообложения',
    summary: '',
    body: 'Текст статьи',
    track: 'matrix',
    tags: [],
    status,
    seminarIds: [],
    courseIds: [],
    authorId: people.owner.id,
  });
  return article.id;
}

/** An endpoint nobody listens at, disabled so that nothing but a test is sent to it. */
async function webhookFixture(): Promise<string> {
  const endpoint = await app.repos.webhookEndpoints.create({
    url: 'http://127.0.0.1:9/hook',
    description: '',
    eventTypes: ['seminar.live'],
    enabled: false,
    secret: `whsec_${randomBytes(32).toString('base64')}`,
  });
  return endpoint.id;
}

/** The same routes on content the caller must not see or touch: drafts, unpublished courses, others' things. */
const variants: Array<Case & { route: string; on: string }> = [
  {
    route: 'GET /certificates/:id/pdf',
    on: 'another learner’s certificate',
    expect: row(NO_TOKEN, '403 not_own_course', '403 not_own_course', ALLOW, ALLOW),
    request: async () => ({ path: `/certificates/${(await certificateFixture(people.otherLearner)).id}/pdf` }),
  },
  {
    route: 'PATCH /profiles/:userId',
    on: 'the caller’s own profile (a learner has none until staff mark a designer; nor has an admin who does not lecture)',
    expect: row(NO_TOKEN, '403 profile_not_eligible', ALLOW, ALLOW, '403 profile_not_eligible'),
    request: async (caller) => ({ path: `/profiles/${caller.user?.id ?? people.owner.id}`, body: { headline: 'Моя страница' } }),
  },
  {
    route: 'POST /profiles/:userId/items',
    on: 'the caller’s own profile',
    expect: row(NO_TOKEN, '403 profile_not_eligible', ALLOW, ALLOW, '403 profile_not_eligible'),
    request: async (caller) => ({ path: `/profiles/${caller.user?.id ?? people.owner.id}/items`, bytes: await png(100, 100) }),
  },
  {
    route: 'PATCH /profiles/:userId',
    on: 'marking a designer (staff only)',
    expect: row(NO_TOKEN, '403 designer_staff_only', '403 designer_staff_only', '403 designer_staff_only', ALLOW),
    request: async () => ({ path: `/profiles/${people.otherLearner.id}`, body: { designer: true } }),
  },
  {
    route: 'GET /profiles/:ref',
    on: 'a hidden profile (the lecturer’s own)',
    expect: row(NO_PROFILE, NO_PROFILE, ALLOW, NO_PROFILE, ALLOW),
    request: async () => {
      await app.repos.profiles.upsert(people.lecturer.id, { hidden: true });
      return { path: `/profiles/${people.lecturer.id}` };
    },
  },
  {
    route: 'GET /articles/:id',
    on: 'a draft article',
    expect: row('404 article_not_found', '404 article_not_found', ALLOW, ALLOW, ALLOW),
    request: async () => ({ path: `/articles/${await articleFixture('draft')}` }),
  },
  { route: 'GET /seminars/:id', on: 'a draft', expect: draftReaders, request: async () => ({ path: `/seminars/${shared.draft}` }) },
  {
    route: 'GET /seminars/:id/calendar.ics',
    on: 'a draft',
    expect: draftReaders,
    request: async () => ({ path: `/seminars/${shared.draft}/calendar.ics` }),
  },
  {
    route: 'PATCH /seminars/:id',
    on: 'a draft',
    expect: draftOwners,
    request: async () => ({ path: `/seminars/${await fixtures.seminar('draft')}`, body: { title: 'Черновик: новое название' } }),
  },
  {
    route: 'POST /seminars/:id/transitions',
    on: 'a draft',
    expect: draftOwners,
    request: async () => ({ path: `/seminars/${await fixtures.seminar('draft')}/transitions`, body: { to: 'scheduled' } }),
  },
  {
    route: 'GET /courses/:id',
    on: 'an unpublished course',
    expect: unpublishedReaders,
    request: async () => ({ path: `/courses/${shared.hiddenCourse.id}` }),
  },
  {
    route: 'PATCH /courses/:id',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${(await fixtures.course(false)).id}`, body: { track: 'matrix-2' } }),
  },
  {
    route: 'PUT /courses/:id/publication',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${(await fixtures.course(false)).id}/publication`, body: { published: true } }),
  },
  {
    route: 'GET /courses/:id/lessons/:lessonId',
    on: 'a course the caller is not enrolled in',
    expect: row(NO_TOKEN, '403 not_enrolled', '403 not_enrolled', ALLOW, ALLOW),
    request: async () => ({ path: `/courses/${shared.course.id}/lessons/${shared.course.lessonId}` }),
  },
  {
    route: 'GET /courses/:id/stats',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${shared.hiddenCourse.id}/stats` }),
  },
  {
    route: 'GET /courses/:id/lessons/:lessonId/quiz',
    on: 'a course the caller is not enrolled in',
    expect: row(NO_TOKEN, '403 not_enrolled', '403 not_enrolled', ALLOW, ALLOW),
    request: async () => ({ path: quizPath(await fixtures.quizCourse()) }),
  },
  {
    route: 'POST /courses/:id/lessons/:lessonId/quiz/attempts',
    on: 'a course the caller is not enrolled in (its lecturers and admins too)',
    expect: row(NO_TOKEN, '403 not_enrolled', '403 not_enrolled', '403 not_enrolled', '403 not_enrolled'),
    request: async () => ({ path: `${quizPath(await fixtures.quizCourse())}/attempts`, body: { answers: [] } }),
  },
  {
    route: 'GET /courses/:id/lessons/:lessonId/quiz',
    on: 'an unpublished course',
    expect: row(NO_TOKEN, NO_COURSE, NO_COURSE, ALLOW, ALLOW),
    request: async () => ({ path: quizPath(await fixtures.quizCourse(false)) }),
  },
  {
    route: 'PUT /courses/:id/lessons/:lessonId/quiz',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: quizPath(await fixtures.quizCourse(false)), body: QUIZ }),
  },
  {
    route: 'GET /courses/:id/lessons/:lessonId/quiz/edit',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `${quizPath(await fixtures.quizCourse(false))}/edit` }),
  },
  {
    route: 'GET /courses/:id/quiz-analytics',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${(await fixtures.quizCourse(false)).id}/quiz-analytics` }),
  },
  {
    route: 'GET /courses/:id/analytics',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${shared.hiddenCourse.id}/analytics` }),
  },
  {
    route: 'GET /courses/:id/completion.csv',
    on: 'an unpublished course',
    expect: unpublishedOwners,
    request: async () => ({ path: `/courses/${shared.hiddenCourse.id}/completion.csv` }),
  },
  {
    route: 'GET /seminars/:id/analytics',
    on: 'a draft',
    expect: draftOwners,
    request: async () => ({ path: `/seminars/${shared.draft}/analytics` }),
  },
  {
    route: 'POST /me/notifications/:notificationId/read',
    on: 'someone else’s notification',
    expect: othersNotification,
    request: async () => ({ path: `/me/notifications/${await fixtures.notificationFor(people.otherLearner.id)}/read` }),
  },
];

const routeKey = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

function successStatus(route: string): number {
  const spec = app.domain.routes.find((r) => routeKey(r) === route);
  if (!spec) throw new Error(`no route ${route}`);
  return spec.status ?? 200;
}

function callerOf(role: Role): Caller {
  return role === 'anonymous' ? { role } : { role, user: people[role] };
}

async function expectCell(route: string, c: Case, role: Role): Promise<void> {
  const caller = callerOf(role);
  const method = route.split(' ')[0]!;
  const call = await c.request(caller);
  const token = caller.user ? (call.token ?? caller.user.token) : undefined;
  const res = await api.call(method, call.path, {
    ...(token ? { token } : {}),
    ...(call.body === undefined ? {} : { body: call.body }),
    ...(call.bytes === undefined ? {} : { bytes: call.bytes }),
    ...(call.file ? { rawBody: call.file.body, headers: { 'content-type': call.file.type } } : {}),
  });
  expectOutcome(route, res, c.expect[role]);
}

function expectOutcome(route: string, res: ApiResponse, cell: Cell): void {
  const what = `${route}: ${res.status} ${res.text.slice(0, 300)}`;
  if (cell === 'allow') {
    expect(res.status, what).toBe(successStatus(route));
    return;
  }
  const [status, code] = cell.split(' ');
  const error = errorBodySchema.safeParse(parseJson(res.text));
  expect({ status: res.status, code: error.data?.error.code }, what).toEqual({ status: Number(status), code });
  expect(res.headers.get('content-type'), what).toMatch(/^application\/json/);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  app = await startTestApp('authz-matrix', { MEDIASOUP_WORKERS: '1', WEBHOOK_ALLOW_PRIVATE: 'true' });
  api = Api.of(app);
  const c = await cast(api);
  people = {
    learner: c.learner,
    otherLearner: c.otherLearner,
    lecturer: c.otherLecturer, // a lecturer who owns none of the fixtures
    owner: c.lecturer, // the lecturer who owns every fixture
    admin: c.admin,
    loginUser: await registerUser(api),
  };
  shared = {
    seminar: await fixtures.seminar(),
    draft: await fixtures.seminar('draft', 'matrix-draft'),
    course: await fixtures.course(),
    hiddenCourse: await fixtures.course(false),
  };
});

afterAll(async () => {
  await app?.stop();
});

describe('authorization matrix', () => {
  it('has exactly one row per route the app serves', () => {
    const served = app.domain.routes.map(routeKey);
    expect(new Set(served).size).toBe(served.length);
    expect(Object.keys(matrix).sort()).toEqual([...served].sort());
    for (const v of variants) expect(served).toContain(v.route);
  });

  for (const [route, c] of Object.entries(matrix)) {
    describe(route, () => {
      for (const role of ROLES) it(`${role} → ${c.expect[role]}`, () => expectCell(route, c, role));
    });
  }

  for (const v of variants) {
    describe(`${v.route} on ${v.on}`, () => {
      for (const role of ROLES) it(`${role} → ${v.expect[role]}`, () => expectCell(v.route, v, role));
    });
  }
});

describe('lists leave out what the caller may not see', () => {
  async function listedIds(path: string, role: Role): Promise<string[]> {
    const token = callerOf(role).user?.token;
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await api.call('GET', `${path}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, token ? { token } : {});
      expect(res.status, res.text).toBe(200);
      ids.push(...res.body.items.map((item: { id: string }) => item.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids;
  }
  const manages = (role: Role) => role === 'owner' || role === 'admin';

  it.each(ROLES)('GET /seminars shows the draft to %s only if they manage it', async (role) => {
    const ids = await listedIds('/seminars', role);
    expect(ids).toContain(shared.seminar);
    expect(ids.includes(shared.draft)).toBe(manages(role));
  });

  it.each(ROLES)('GET /courses shows the unpublished course to %s only if they manage it', async (role) => {
    const ids = await listedIds('/courses', role);
    expect(ids).toContain(shared.course.id);
    expect(ids.includes(shared.hiddenCourse.id)).toBe(manages(role));
  });
});

describe('access tokens', () => {
  const ISSUER = 'lectern';
  const AUDIENCE = 'lectern-api';
  const b64url = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
  /** The admin's own claims: a forgery that got through would open every route. */
  const adminClaims = () => {
    const { roles, scope } = jwt.decode(people.admin.token) as jwt.JwtPayload;
    return { roles, scope };
  };
  const sign = (options: jwt.SignOptions = {}, secret: string = app.config.jwtSecret, claims: object = adminClaims()) =>
    jwt.sign(claims, secret, {
      algorithm: 'HS256',
      subject: people.admin.id,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: 900,
      ...options,
    });

  /**
   * Authorization headers, each with exactly one thing wrong (but the control).
   * A bad one is refused everywhere, even on a public route: never taken for anonymity.
   */
  const headers: Array<[string, () => string, Cell]> = [
    ['a well-formed admin token (control)', () => `Bearer ${sign()}`, ALLOW],
    [
      'an expired token',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${jwt.sign({ ...adminClaims(), iat: now - 960, exp: now - 60 }, app.config.jwtSecret, {
          algorithm: 'HS256',
          subject: people.admin.id,
          issuer: ISSUER,
          audience: AUDIENCE,
        })}`;
      },
      '401 token_expired',
    ],
    ['a token signed with HS512 and the same secret', () => `Bearer ${sign({ algorithm: 'HS512' })}`, '401 invalid_token'],
    ['an unsigned token (alg none)', () => `Bearer ${sign({ algorithm: 'none' }, '')}`, '401 invalid_token'],
    ['a token from another issuer', () => `Bearer ${sign({ issuer: 'not-lectern' })}`, '401 invalid_token'],
    ['a token for another audience', () => `Bearer ${sign({ audience: 'another-api' })}`, '401 invalid_token'],
    ['a token signed with another secret', () => `Bearer ${sign({}, randomBytes(32).toString('hex'))}`, '401 invalid_token'],
    [
      'a learner token with admin claims pasted in',
      () => {
        const [header, payload, signature] = people.learner.token.split('.');
        const claims = { ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object), ...adminClaims() };
        return `Bearer ${header}.${b64url(claims)}.${signature}`;
      },
      '401 invalid_token',
    ],
    [
      'a signed token without the scope claim',
      () => `Bearer ${sign({}, app.config.jwtSecret, { roles: ['admin', 'learner'] })}`,
      '401 invalid_token',
    ],
    ['a Basic credential', () => `Basic ${Buffer.from(`${people.admin.email}:${PASSWORD}`).toString('base64')}`, '401 invalid_token'],
  ];
  describe.each(['GET /me', 'GET /seminars', 'PUT /users/:id/roles'])('%s', (route) => {
    for (const [name, header, cell] of headers) {
      it(`with ${name} → ${cell}`, async () => {
        const { path, body } = await matrix[route]!.request({ role: 'admin' });
        const res = await api.call(route.split(' ')[0]!, path, {
          headers: { authorization: header() },
          ...(body === undefined ? {} : { body }),
        });
        expectOutcome(route, res, cell);
      });
    }
  });
});

describe('refusals of calendar files', () => {
  it('a refused GET /seminars/:id/calendar.ics is a JSON error, not a text/calendar attachment', async () => {
    const res = await api.call('GET', `/seminars/${shared.draft}/calendar.ics`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBeNull();
  });
});
