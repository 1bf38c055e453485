import { randomBytes } from 'node:crypto';
import { mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILDER_CALLS } from '../../server/http/routes/learning';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';

// The course builder's routes (issue 13): the courses a lecturer may edit, the structure
// with its Markdown, the recordings a course may take as lessons, the Markdown preview,
// and publishing refused for an empty course.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('course_builder');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

async function course(token: string, title = 'Курс для конструктора'): Promise<string> {
  const res = await api.call('POST', '/courses', { token, body: { title, track: 'finance' } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A scheduled seminar of the lecturer's with a finished recording that became no lesson. */
async function recordedSeminar(token: string, title: string, isPublic: boolean): Promise<{ seminarId: string; recordingId: string }> {
  const res = await api.call('POST', '/seminars', {
    token,
    body: { title, track: 'finance', startsAt: '2030-05-01T18:00', durationMinutes: 60, capacity: 10, isPublic },
  });
  expect(res.status).toBe(201);
  const seminarId = res.body.id as string;
  expect((await api.call('POST', `/seminars/${seminarId}/transitions`, { token, body: { to: 'scheduled' } })).status).toBe(200);
  const recordingId = randomBytes(12).toString('hex');
  await app.repos.recordings.create({
    id: recordingId,
    seminarId,
    dir: `${seminarId}/${recordingId}`,
    startedAt: new Date(),
    videoCodec: 'video/H264',
    nodeId: null,
  });
  await app.repos.recordings.update(recordingId, { status: 'ready', durationSeconds: 754 });
  return { seminarId, recordingId };
}

describe('the courses a lecturer may edit', () => {
  it('lists the own courses, published or not, and not another lecturer’s; an admin sees every course', async () => {
    const mine = await course(people.lecturer.token, 'Мой черновик');
    const theirs = await course(people.otherLecturer.token, 'Чужой курс');
    // Another lecturer's published course is in the catalogue, but not among mine to edit.
    await api.call('PUT', `/courses/${theirs}/structure`, {
      token: people.otherLecturer.token,
      body: { modules: [{ title: 'М', lessons: [{ kind: 'text', title: 'Урок', body: 'Текст' }] }] },
    });
    expect(
      (await api.call('PUT', `/courses/${theirs}/publication`, { token: people.otherLecturer.token, body: { published: true } })).status,
    ).toBe(200);
    const ids = async (token: string) => {
      const res = await api.call('GET', '/me/courses?limit=100', { token });
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ id: string }>).map((c) => c.id);
    };
    const lecturers = await ids(people.lecturer.token);
    expect(lecturers).toContain(mine);
    expect(lecturers).not.toContain(theirs);
    expect(await ids(people.admin.token)).toEqual(expect.arrayContaining([mine, theirs]));
  });
});

describe('the structure as the builder edits it', () => {
  it('returns text lessons’ Markdown, and a save with those ids keeps them', async () => {
    const id = await course(people.lecturer.token);
    const body = '## Цели\n\n- выручка\n- прибыль';
    const put = await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: {
        modules: [
          { title: 'Введение', lessons: [{ kind: 'text', title: 'Зачем план', body }] },
          { title: 'Пусто', lessons: [] },
        ],
      },
    });
    expect(put.status).toBe(200);
    const read = await api.call('GET', `/courses/${id}/structure`, { token: people.lecturer.token });
    expect(read.status).toBe(200);
    expect(read.body.courseId).toBe(id);
    const lesson = read.body.modules[0].lessons[0];
    expect(lesson).toMatchObject({ kind: 'text', title: 'Зачем план', body, seminarId: null, playlistPath: null, durationSeconds: 300 });
    expect(read.body.modules.map((m: { title: string }) => m.title)).toEqual(['Введение', 'Пусто']);
    // The public view never carries the Markdown.
    expect(JSON.stringify((await api.call('GET', `/courses/${id}`, { token: people.lecturer.token })).body)).not.toContain('выручка');
    // Modules swapped, the lesson moved into the other: ids kept.
    const [first, second] = read.body.modules;
    const again = await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: {
        modules: [
          { id: second.id, title: 'Пусто', lessons: [{ id: lesson.id, kind: 'text', title: lesson.title, body }] },
          { id: first.id, title: 'Введение', lessons: [] },
        ],
      },
    });
    expect(again.status).toBe(200);
    expect(again.body.modules.map((m: { id: string }) => m.id)).toEqual([second.id, first.id]);
    expect(again.body.modules[0].lessons[0].id).toBe(lesson.id);
  });
});

describe('the recordings a course may take as lessons', () => {
  it('offers own and public recordings that are no lesson yet, never another lecturer’s private one', async () => {
    const own = await recordedSeminar(people.lecturer.token, 'Свой закрытый разбор', false);
    const publicOfOther = await recordedSeminar(people.otherLecturer.token, 'Открытый эфир коллеги', true);
    const privateOfOther = await recordedSeminar(people.otherLecturer.token, 'Закрытый эфир коллеги', false);
    const id = await course(people.lecturer.token);
    const list = async (token = people.lecturer.token) => {
      const res = await api.call('GET', `/courses/${id}/attachable-recordings`, { token });
      expect(res.status).toBe(200);
      return res.body as Array<{ recordingId: string; seminarId: string; title: string; durationSeconds: number | null }>;
    };
    const offered = await list();
    expect(offered).toContainEqual(expect.objectContaining({ ...own, title: 'Свой закрытый разбор', durationSeconds: 754 }));
    expect(offered).toContainEqual(expect.objectContaining({ ...publicOfOther, title: 'Открытый эфир коллеги' }));
    expect(offered.map((r) => r.seminarId)).not.toContain(privateOfOther.seminarId);
    // The rule is the course's owners', not the editor's: an admin editing it gets the same list.
    expect((await list(people.admin.token)).map((r) => r.seminarId).sort()).toEqual(offered.map((r) => r.seminarId).sort());

    // Attached as a lesson (here or in another course), it is offered no more.
    const put = await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Записи', lessons: [{ kind: 'recording', title: 'Разбор', seminarId: own.seminarId }] }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.modules[0].lessons[0].durationSeconds).toBe(754);
    const after = (await list()).map((r) => r.seminarId);
    expect(after).not.toContain(own.seminarId);
    expect(after).toContain(publicOfOther.seminarId);
    // Nor is it on the staff's list of recordings that are no lesson yet.
    const unattached = async () =>
      ((await api.call('GET', '/recordings/unattached', { token: people.lecturer.token })).body as Array<{ id: string }>).map((r) => r.id);
    expect(await unattached()).not.toContain(own.recordingId);
    expect(await unattached()).toContain(publicOfOther.recordingId);
    // And taken off again, it is back on both.
    await api.call('PUT', `/courses/${id}/structure`, { token: people.lecturer.token, body: { modules: [] } });
    expect((await list()).map((r) => r.seminarId)).toContain(own.seminarId);
    expect(await unattached()).toContain(own.recordingId);
  });

  it('leaves recordings used as lessons out before it takes the newest 100, so they never crowd out unused ones', async () => {
    const older = await recordedSeminar(people.lecturer.token, 'Давний неиспользованный эфир', false);
    const used = await recordedSeminar(people.lecturer.token, 'Эфир, уже ставший уроком', false);
    // 100 newer recordings of a seminar that a course holds (a seminar recorded again and again).
    for (let i = 0; i < 100; i++) {
      const id = randomBytes(12).toString('hex');
      await app.repos.recordings.create({
        id,
        seminarId: used.seminarId,
        dir: `${used.seminarId}/${id}`,
        startedAt: new Date(Date.now() + 60_000 + i),
        videoCodec: 'video/H264',
        nodeId: null,
      });
      await app.repos.recordings.update(id, { status: 'ready', durationSeconds: 60 });
    }
    const id = await course(people.lecturer.token);
    const put = await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Записи', lessons: [{ kind: 'recording', title: 'Урок', seminarId: used.seminarId }] }] },
    });
    expect(put.status).toBe(200);
    const unattached = (await api.call('GET', '/recordings/unattached', { token: people.lecturer.token })).body as Array<{
      seminarId: string;
    }>;
    expect(unattached.map((r) => r.seminarId)).toContain(older.seminarId);
    expect(unattached.map((r) => r.seminarId)).not.toContain(used.seminarId);
    const offered = (await api.call('GET', `/courses/${id}/attachable-recordings`, { token: people.lecturer.token })).body as Array<{
      seminarId: string;
    }>;
    expect(offered.map((r) => r.seminarId)).toContain(older.seminarId);
  }, 60_000);
});

describe('the Markdown preview', () => {
  it('renders as the lesson page does: raw HTML escaped, the repeated title left out, headings one level down', async () => {
    const id = await course(people.lecturer.token);
    const res = await api.call('POST', `/courses/${id}/lesson-preview`, {
      token: people.lecturer.token,
      body: { title: 'Бюджет', body: '# Бюджет\n\n## Доходы\n\n**Важно** <script>alert(1)</script> [ссылка](javascript:alert(1))' },
    });
    expect(res.status).toBe(200);
    const html = res.body.html as string;
    expect(html).toContain('<h3>Доходы</h3>');
    expect(html).not.toContain('Бюджет');
    expect(html).toContain('<strong>Важно</strong>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('href="javascript:');
    // Nothing was stored: the course has no lesson.
    expect((await api.call('GET', `/courses/${id}/structure`, { token: people.lecturer.token })).body.modules).toEqual([]);
  });

  it(`allows ${BUILDER_CALLS.points} previews a minute per lecturer, then 429 rate_limited`, async () => {
    const id = await course(people.otherLecturer.token);
    const preview = () =>
      api.call('POST', `/courses/${id}/lesson-preview`, { token: people.otherLecturer.token, body: { title: '', body: 'Текст' } });
    for (let i = 0; i < BUILDER_CALLS.points; i++) expect((await preview()).status).toBe(200);
    const refused = await preview();
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } });
  });
});

describe('publishing', () => {
  it('refuses an empty course with 409 course_empty and leaves it unpublished; one lesson is enough', async () => {
    const id = await course(people.lecturer.token);
    await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Пустой модуль', lessons: [] }] },
    });
    const refused = await api.call('PUT', `/courses/${id}/publication`, { token: people.lecturer.token, body: { published: true } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('course_empty');
    expect((await app.db.connection.collection('courses').findOne({ _id: new mongo.ObjectId(id) }))?.published).toBe(false);
    await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Модуль', lessons: [{ kind: 'text', title: 'Урок', body: 'Текст' }] }] },
    });
    expect(
      (await api.call('PUT', `/courses/${id}/publication`, { token: people.lecturer.token, body: { published: true } })).body.published,
    ).toBe(true);
  });
});
