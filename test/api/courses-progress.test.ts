import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('courses', { PROGRESS_FLUSH_MS: '60000' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

/** A published course: module 1 has a 100 s HLS lesson and a 60 s text lesson; threshold as given. */
async function publishedCourse(threshold = 0.9) {
  const course = await api.call('POST', '/courses', {
    token: people.lecturer.token,
    body: { title: 'Запуск своего дела', track: 'Entrepreneurship', completionThreshold: threshold },
  });
  expect(course.status).toBe(201);
  const structured = await api.call('PUT', `/courses/${course.body.id}/structure`, {
    token: people.lecturer.token,
    body: {
      modules: [
        {
          title: 'Основы',
          lessons: [
            { kind: 'hls', title: 'Бизнес-план', playlistPath: 'library/business-plan/index.m3u8', durationSeconds: 100 },
            { kind: 'text', title: 'Чек-лист', body: 'Пункты…', durationSeconds: 60 },
          ],
        },
      ],
    },
  });
  expect(structured.status).toBe(200);
  expect(
    (await api.call('PUT', `/courses/${course.body.id}/publication`, { token: people.lecturer.token, body: { published: true } })).status,
  ).toBe(200);
  const [video, text] = structured.body.modules[0].lessons;
  return { id: course.body.id as string, video: video.id as string, text: text.id as string };
}

let clock = Date.now();
const beat = (user: TestUser, contentId: string, intervals: Array<[number, number]>, position: number, sentAt = ++clock) =>
  api.call('POST', '/progress/heartbeats', { token: user.token, body: { contentId, intervals, position, sentAt } });

async function storedProgress(userId: string, contentId: string) {
  await app.domain.progress.flush();
  return app.db.connection.collection('progress').findOne({ userId, contentId });
}

describe('course structure', () => {
  it('keeps lesson ids (and so progress) when lessons are reordered, and refuses foreign ids', async () => {
    const c = await publishedCourse();
    const reordered = await api.call('PUT', `/courses/${c.id}/structure`, {
      token: people.lecturer.token,
      body: {
        modules: [
          { title: 'Основы', lessons: [{ id: c.text, kind: 'text', title: 'Чек-лист', body: '…', durationSeconds: 60 }] },
          {
            title: 'Видео',
            lessons: [
              { id: c.video, kind: 'hls', title: 'Бизнес-план', playlistPath: 'library/business-plan/index.m3u8', durationSeconds: 100 },
            ],
          },
        ],
      },
    });
    expect(reordered.body.modules.map((m: { lessons: Array<{ id: string }> }) => m.lessons[0]!.id)).toEqual([c.text, c.video]);
    const foreign = await api.call('PUT', `/courses/${c.id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'x', lessons: [{ id: 'not-from-here', kind: 'text', title: 't', body: '' }] }] },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('unknown_lesson');
  });

  it('refuses another lecturer’s draft seminar as a recording lesson, but takes a public one', async () => {
    const c = await publishedCourse();
    const mk = async (isPublic: boolean) =>
      (
        await api.call('POST', '/seminars', {
          token: people.otherLecturer.token,
          body: { title: 'Чужой семинар', track: 'Taxes', startsAt: '2027-08-01T10:00', durationMinutes: 60, capacity: 5, isPublic },
        })
      ).body.id as string;
    const draftId = await mk(true);
    const refused = await api.call('PUT', `/courses/${c.id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'm', lessons: [{ kind: 'recording', title: 'r', seminarId: draftId }] }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('seminar_not_found');
    // Public and scheduled: anyone may watch it, so a course may too (a private one: course-lessons-access.test.ts).
    const publicId = await mk(true);
    await api.call('POST', `/seminars/${publicId}/transitions`, { token: people.otherLecturer.token, body: { to: 'scheduled' } });
    const taken = await api.call('PUT', `/courses/${c.id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'm', lessons: [{ kind: 'recording', title: 'r', seminarId: publicId }] }] },
    });
    expect(taken.status).toBe(200);
  });

  it('a PATCH changes only what it names', async () => {
    const c = await publishedCourse(0.75);
    await api.call('PATCH', `/courses/${c.id}`, { token: people.lecturer.token, body: { description: 'Описание курса' } });
    const res = await api.call('PATCH', `/courses/${c.id}`, { token: people.lecturer.token, body: { title: 'Новое название' } });
    expect(res.body).toMatchObject({ title: 'Новое название', description: 'Описание курса', completionThreshold: 0.75 });
  });

  it('keeps the optional presence rule (presenceShare 0–1 or null), refusing anything else with nothing changed', async () => {
    const c = await publishedCourse();
    const get = async () => (await api.call('GET', `/courses/${c.id}`, { token: people.lecturer.token })).body.presenceShare;
    expect(await get()).toBeNull();
    const set = await api.call('PATCH', `/courses/${c.id}`, { token: people.lecturer.token, body: { presenceShare: 0.75 } });
    expect(set.status).toBe(200);
    expect(set.body.presenceShare).toBe(0.75);
    for (const presenceShare of [1.5, -0.1, '0.5', [0.5]]) {
      const refused = await api.call('PATCH', `/courses/${c.id}`, { token: people.lecturer.token, body: { presenceShare } });
      expect({ presenceShare, status: refused.status, code: refused.body.error?.code }).toEqual({
        presenceShare,
        status: 400,
        code: 'invalid_request',
      });
    }
    // Only the course's lecturers may change it.
    const foreign = await api.call('PATCH', `/courses/${c.id}`, { token: people.otherLecturer.token, body: { presenceShare: 0 } });
    expect(foreign.status).toBe(403);
    expect(await get()).toBe(0.75);
    expect(
      (await api.call('PATCH', `/courses/${c.id}`, { token: people.lecturer.token, body: { presenceShare: null } })).body.presenceShare,
    ).toBeNull();
  });
});

describe('watch progress', () => {
  it('merges out-of-order, repeated and overlapping heartbeats without lowering or double-counting coverage', async () => {
    const c = await publishedCourse();
    const me = await registerUser(api);
    const t0 = ++clock;
    expect(
      (
        await beat(
          me,
          c.video,
          [
            [0, 10],
            [20, 30],
          ],
          30,
          t0 + 3,
        )
      ).status,
    ).toBe(202);
    await beat(me, c.video, [[0, 10]], 10, t0 + 1); // late and older: changes nothing
    await beat(
      me,
      c.video,
      [
        [0, 10],
        [20, 30],
      ],
      30,
      t0 + 3,
    ); // repeated
    await beat(me, c.video, [[5, 25]], 25, t0 + 2); // fills the gap; still older than the position at 30
    const stored = await storedProgress(me.id, c.video);
    expect(stored).toMatchObject({ coveredSeconds: 30, resumePosition: 30, intervals: [{ from: 0, to: 30 }] });
    const view = await api.call('GET', `/progress/${c.video}`, { token: me.token });
    expect(view.body).toMatchObject({ coveredSeconds: 30, resumePosition: 30, intervals: [[0, 30]] });
  });

  it('merges concurrent heartbeats from two tabs, across flushes', async () => {
    const c = await publishedCourse();
    const me = await registerUser(api);
    const tabA = Array.from({ length: 10 }, (_, i) => beat(me, c.video, [[i * 10, i * 10 + 5]], i * 10 + 5));
    const tabB = Array.from({ length: 10 }, (_, i) => beat(me, c.video, [[i * 10 + 5, i * 10 + 10]], i * 10 + 10));
    const flushes = [app.domain.progress.flush(), app.domain.progress.flush()];
    await Promise.all([...tabA, ...tabB, ...flushes]);
    const stored = await storedProgress(me.id, c.video);
    expect(stored).toMatchObject({ coveredSeconds: 100, intervals: [{ from: 0, to: 100 }] });
  });

  it('caps coverage at the media duration and refuses content that learners cannot see', async () => {
    const c = await publishedCourse();
    const me = await registerUser(api);
    await api.call('POST', '/progress/heartbeats', {
      token: me.token,
      body: { contentId: c.video, intervals: [[0, 500]], position: 100, durationSeconds: 100, sentAt: ++clock },
    });
    expect(await storedProgress(me.id, c.video)).toMatchObject({ coveredSeconds: 100, durationSeconds: 100 });

    const hidden = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Скрытый курс', track: 'x' + 'y' } });
    const h = await api.call('PUT', `/courses/${hidden.body.id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'm', lessons: [{ kind: 'text', title: 't', body: 'b' }] }] },
    });
    const hiddenLesson = h.body.modules[0].lessons[0].id;
    for (const contentId of [hiddenLesson, 'doesNotExist1']) {
      const res = await beat(me, contentId, [[0, 5]], 5);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('content_not_found');
    }
    expect(await storedProgress(me.id, hiddenLesson)).toBeNull();
  });

  it('accepts the access token in the body from navigator.sendBeacon, which cannot set headers', async () => {
    const c = await publishedCourse();
    const me = await registerUser(api);
    const body = { contentId: c.video, intervals: [[0, 12]], position: 12, sentAt: ++clock };
    expect((await api.call('POST', '/progress/heartbeats', { body: { ...body, accessToken: me.token } })).status).toBe(202);
    expect(await storedProgress(me.id, c.video)).toMatchObject({ coveredSeconds: 12, resumePosition: 12 });
    const forged = await api.call('POST', '/progress/heartbeats', { body: { ...body, accessToken: `${me.token.slice(0, -4)}AAAA` } });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('invalid_token');
    expect((await api.call('POST', '/progress/heartbeats', { body })).status).toBe(401);
  });

  it('writes what is buffered when Lectern stops', async () => {
    const other = await startTestApp('progress-shutdown', { PROGRESS_FLUSH_MS: '60000' });
    const a = Api.of(other);
    const c = await (async () => {
      const lecturer = await cast(a);
      const course = await a.call('POST', '/courses', { token: lecturer.lecturer.token, body: { title: 'Курс', track: 'Tr' } });
      const s = await a.call('PUT', `/courses/${course.body.id}/structure`, {
        token: lecturer.lecturer.token,
        body: { modules: [{ title: 'm', lessons: [{ kind: 'hls', title: 'v', playlistPath: 'a/index.m3u8', durationSeconds: 50 }] }] },
      });
      await a.call('PUT', `/courses/${course.body.id}/publication`, { token: lecturer.lecturer.token, body: { published: true } });
      return { lesson: s.body.modules[0].lessons[0].id as string, learner: lecturer.learner };
    })();
    await a.call('POST', '/progress/heartbeats', {
      token: c.learner.token,
      body: { contentId: c.lesson, intervals: [[0, 42]], position: 42, sentAt: Date.now() },
    });
    expect(other.domain.progress.bufferedCount).toBe(1);
    const connection = other.db.connection;
    const uri = other.config.mongodbUri!;
    await other.stop();
    const mongoose = (await import('mongoose')).default;
    const check = await mongoose.createConnection(uri).asPromise();
    expect(await check.collection('progress').findOne({ userId: c.learner.id, contentId: c.lesson })).toMatchObject({
      coveredSeconds: 42,
      resumePosition: 42,
    });
    await check.close();
    expect(connection.readyState).toBe(0);
  });
});

describe('completion, my learning and course figures', () => {
  it('completes a lesson at the course threshold, follows it in the course percentage, and shows figures to staff', async () => {
    const c = await publishedCourse(0.8);
    const [ann, bob] = [await registerUser(api), await registerUser(api)];
    for (const u of [ann, bob]) expect((await api.call('PUT', `/courses/${c.id}/enrolment`, { token: u.token })).status).toBe(204);

    await beat(ann, c.video, [[0, 79]], 79);
    await app.domain.progress.flush();
    let mine = (await api.call('GET', '/me/learning', { token: ann.token })).body;
    expect(mine[0].lessons[0]).toMatchObject({ lessonId: c.video, coveredSeconds: 79, complete: false, resumePosition: 79 });
    await beat(ann, c.video, [[79, 80]], 80);
    await beat(ann, c.text, [[0, 60]], 60);
    await app.domain.progress.flush();
    mine = (await api.call('GET', '/me/learning', { token: ann.token })).body;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ percent: 100, completedLessons: 2, totalLessons: 2 });
    expect(mine[0].lessons[0]).toMatchObject({ complete: true, fraction: 0.8 });

    await beat(bob, c.video, [[0, 30]], 30);
    await app.domain.progress.flush();
    const stats = await api.call('GET', `/courses/${c.id}/stats`, { token: people.lecturer.token });
    expect(stats.body).toMatchObject({ enrolled: 2, completedCourse: 1, averagePercent: 50 });
    expect(stats.body.lessons).toEqual([
      { lessonId: c.video, title: 'Бизнес-план', started: 2, completed: 1 },
      { lessonId: c.text, title: 'Чек-лист', started: 1, completed: 1 },
    ]);
    expect((await api.call('GET', `/courses/${c.id}/stats`, { token: people.otherLecturer.token })).status).toBe(403);
  });

  it('counts live attendance into the same record, once per live session', async () => {
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Живой эфир', track: 'Live', startsAt: '2027-09-01T10:00', durationMinutes: 60, capacity: 5 },
    });
    const id = seminar.body.id as string;
    const me = await registerUser(api);
    const record = (sessionId: string, seconds: number) =>
      app.domain.progress.recordLiveAttendance({ userId: me.id, seminarId: id, sessionId, seconds });
    await Promise.all([record('s1', 600), record('s1', 300), record('s1', 600), record('s2', 120)]);
    await app.domain.progress.flush();
    // a late, lower report of a session already written does not lower it
    await record('s1', 300);
    const stored = await storedProgress(me.id, id);
    expect(stored?.live).toEqual({ s1: 600, s2: 120 });
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    const view = await api.call('GET', `/progress/${id}`, { token: me.token });
    expect(view.body.liveSeconds).toBe(720);
  });

  it('lets a learner leave a course that was unpublished, and hides it from my learning', async () => {
    const c = await publishedCourse();
    const me = await registerUser(api);
    await api.call('PUT', `/courses/${c.id}/enrolment`, { token: me.token });
    await api.call('PUT', `/courses/${c.id}/publication`, { token: people.lecturer.token, body: { published: false } });
    expect((await api.call('GET', '/me/learning', { token: me.token })).body).toEqual([]);
    expect((await api.call('DELETE', `/courses/${c.id}/enrolment`, { token: me.token })).status).toBe(204);
  });
});

describe('API documentation', () => {
  it('serves OpenAPI 3 generated from the route table, and an interactive page', async () => {
    const doc = await api.call('GET', '/api/openapi.json');
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.length).toBe(new Set(app.domain.routes.map((r) => r.path)).size);
    expect(doc.body.paths['/api/v1/progress/heartbeats'].post.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'intervals',
    );
    const page = await api.call('GET', '/api/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
  });
});
