import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { LESSON_READS } from '../../server/http/routes/learning';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';

// A course's lesson page (GET /courses/:id/lessons/:lessonId) and "My learning"'s figures:
// who may read a lesson, Markdown rendered with raw HTML off, the neighbours for
// previous/next, the share of a course watched, and progress read through the buffer.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  // A long flush interval: "My learning" must read what is still buffered.
  app = await startTestApp('course_lessons', { PROGRESS_FLUSH_MS: '60000' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

const HOSTILE = [
  '# Введение',
  '',
  'Текст с **жирным** и [ссылкой](https://example.org).',
  '',
  '## Раздел',
  '',
  '<script>window.pwned = 1</script>',
  '',
  '<img src="x" onerror="window.pwned = 2">',
  '',
  '[плохая ссылка](javascript:alert(1))',
].join('\n');

/** Published: module 1 = text (60 s), 300 s HLS; module 2 = text. */
async function course() {
  const created = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Маркетинг', track: 'marketing' } });
  const id = created.body.id as string;
  const structured = await api.call('PUT', `/courses/${id}/structure`, {
    token: people.lecturer.token,
    body: {
      modules: [
        {
          title: 'Первый модуль',
          lessons: [
            { kind: 'text', title: 'Введение', body: HOSTILE, durationSeconds: 60 },
            { kind: 'hls', title: 'Видео', playlistPath: 'library/marketing/index.m3u8', durationSeconds: 300 },
          ],
        },
        { title: 'Второй модуль', lessons: [{ kind: 'text', title: 'Итоги', body: 'Конец.' }] },
      ],
    },
  });
  expect(structured.status).toBe(200);
  const publish = await api.call('PUT', `/courses/${id}/publication`, { token: people.lecturer.token, body: { published: true } });
  expect(publish.status).toBe(200);
  const [intro, video] = structured.body.modules[0].lessons;
  const [last] = structured.body.modules[1].lessons;
  return { id, intro: intro.id as string, video: video.id as string, last: last.id as string };
}

const read = (courseId: string, lessonId: string, token?: string) =>
  api.call('GET', `/courses/${courseId}/lessons/${lessonId}`, token ? { token } : {});

describe('reading a lesson', () => {
  it('is for the course’s learners and lecturers: anonymous 401, not enrolled 403, unknown 404', async () => {
    const c = await course();
    const anonymous = await read(c.id, c.intro);
    expect(anonymous.status).toBe(401);
    const stranger = await read(c.id, c.intro, people.otherLearner.token);
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('not_enrolled');
    expect((await read(c.id, c.intro, people.lecturer.token)).status).toBe(200);
    expect((await read(c.id, c.intro, people.admin.token)).status).toBe(200);
    // Another lecturer is no learner of it until enrolled.
    expect((await read(c.id, c.intro, people.otherLecturer.token)).status).toBe(403);

    expect((await api.call('PUT', `/courses/${c.id}/enrolment`, { token: people.learner.token })).status).toBe(204);
    expect((await read(c.id, c.intro, people.learner.token)).status).toBe(200);
    const other = await course();
    const foreign = await read(c.id, other.intro, people.learner.token);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('lesson_not_found');
    // Unpublished: gone for its learners, still there for its lecturer.
    await api.call('PUT', `/courses/${c.id}/publication`, { token: people.lecturer.token, body: { published: false } });
    expect((await read(c.id, c.intro, people.learner.token)).body.error.code).toBe('course_not_found');
    expect((await read(c.id, c.intro, people.lecturer.token)).status).toBe(200);
  });

  it('refuses malformed ids with 400 and changes nothing', async () => {
    const c = await course();
    for (const bad of ['x', 'a'.repeat(41), 'bad%20id!']) {
      const res = await read(c.id, bad, people.lecturer.token);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await read('not-an-id', c.intro, people.lecturer.token)).status).toBe(400);
  });

  it('renders Markdown with raw HTML escaped and unsafe links refused, and links the neighbours across modules', async () => {
    const c = await course();
    await api.call('PUT', `/courses/${c.id}/enrolment`, { token: people.learner.token });
    const first = await read(c.id, c.intro, people.learner.token);
    // Under the page's own <h1>: the heading that repeats the title is left out, the rest move down a level.
    expect(first.body.html).not.toMatch(/<h1|Введение</);
    expect(first.body.html).toContain('<h3>Раздел</h3>');
    expect(first.body.html).toContain('<strong>жирным</strong>');
    expect(first.body.html).toContain('<a href="https://example.org">');
    expect(first.body.html).not.toMatch(/<script|<img|href="javascript:/i);
    expect(first.body.html).toContain('&lt;script&gt;');
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toMatchObject({ id: c.video, kind: 'hls' });
    const video = await read(c.id, c.video, people.learner.token);
    expect(video.body.html).toBeNull();
    expect(video.body.next).toMatchObject({ id: c.last, title: 'Итоги' });
    const last = await read(c.id, c.last, people.learner.token);
    expect(last.body).toMatchObject({ moduleTitle: 'Второй модуль', courseTitle: 'Маркетинг', next: null });
    expect(last.body.previous.id).toBe(c.video);
  });

  it(`allows ${LESSON_READS.points} reads a minute per learner, then 429 rate_limited`, async () => {
    const c = await course();
    const reader: TestUser = await registerUser(api);
    await api.call('PUT', `/courses/${c.id}/enrolment`, { token: reader.token });
    for (let i = 0; i < LESSON_READS.points; i++) expect((await read(c.id, c.intro, reader.token)).status).toBe(200);
    const refused = await read(c.id, c.intro, reader.token);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    // Per learner: someone else reads on.
    expect((await read(c.id, c.intro, people.lecturer.token)).status).toBe(200);
  });
});

describe('"My learning" figures', () => {
  it('shows the share watched beside the lessons completed, read through the progress buffer', async () => {
    const c = await course();
    const learner = await registerUser(api);
    await api.call('PUT', `/courses/${c.id}/enrolment`, { token: learner.token });
    // 81 % of the 300 s video, not yet flushed to the database.
    const beat = await api.call('POST', '/progress/heartbeats', {
      token: learner.token,
      body: { contentId: c.video, intervals: [[0, 243]], position: 243, sentAt: Date.now() },
    });
    expect(beat.status).toBe(202);
    expect(await app.db.connection.collection('progress').findOne({ userId: learner.id, contentId: c.video })).toBeNull();
    const mine = (await api.call('GET', '/me/learning', { token: learner.token })).body[0];
    expect(mine).toMatchObject({ completedLessons: 0, totalLessons: 3, percent: 0 });
    // Known lengths: 60 + 300 + 300 (the text lesson's default) = 660 s; 243 of them watched.
    expect(mine.totalSeconds).toBe(660);
    expect(mine.watchedSeconds).toBe(243);
    expect(mine.watchedPercent).toBeCloseTo((100 * 243) / 660, 1);
    const video = mine.lessons.find((l: { lessonId: string }) => l.lessonId === c.video);
    expect(video).toMatchObject({ fraction: 0.81, resumePosition: 243, complete: false });

    // The first text lesson read in full: one lesson of three complete.
    await api.call('POST', '/progress/heartbeats', {
      token: learner.token,
      body: { contentId: c.intro, intervals: [[0, 60]], position: 0, durationSeconds: 60, sentAt: Date.now() },
    });
    const after = (await api.call('GET', '/me/learning', { token: learner.token })).body[0];
    expect(after).toMatchObject({ completedLessons: 1, watchedSeconds: 303 });
    // And the same once written.
    await app.domain.progress.flush();
    const stored = (await api.call('GET', '/me/learning', { token: learner.token })).body[0];
    expect(stored).toMatchObject({ completedLessons: 1, watchedSeconds: 303, percent: after.percent });
  });
});
