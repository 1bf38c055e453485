import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';

// A lesson opens its seminar to the course's learners: only public seminars, or ones a course
// owner lectures, may become lessons (another lecturer's private seminar never).

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('course_lessons_access');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

async function seminar(token: string, isPublic: boolean): Promise<string> {
  const res = await api.call('POST', '/seminars', {
    token,
    body: { title: 'Закрытый разбор', track: 'finance', startsAt: '2030-05-01T18:00', durationMinutes: 60, capacity: 10, isPublic },
  });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  expect((await api.call('POST', `/seminars/${id}/transitions`, { token, body: { to: 'scheduled' } })).status).toBe(200);
  return id;
}

async function course(token: string): Promise<string> {
  const res = await api.call('POST', '/courses', { token, body: { title: 'Курс', track: 'finance' } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const structure = (token: string, courseId: string, seminarId: string) =>
  api.call('PUT', `/courses/${courseId}/structure`, {
    token,
    body: { modules: [{ title: 'Модуль', lessons: [{ kind: 'recording', title: 'Урок', seminarId }] }] },
  });

describe('which seminars a course may use as lessons', () => {
  it("refuses another lecturer's private seminar, for its owner and for an admin, and stores nothing", async () => {
    const privateOfOther = await seminar(people.otherLecturer.token, false);
    const mine = await course(people.lecturer.token);
    for (const token of [people.lecturer.token, people.admin.token]) {
      const res = await structure(token, mine, privateOfOther);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('seminar_not_found');
    }
    const stored = await app.db.connection.collection('courses').findOne({ title: 'Курс', ownerIds: people.lecturer.id });
    expect(JSON.stringify(stored?.modules ?? [])).not.toContain(privateOfOther);
  });

  it("accepts another lecturer's public seminar and the owner's own private one", async () => {
    const publicOfOther = await seminar(people.otherLecturer.token, true);
    const ownPrivate = await seminar(people.lecturer.token, false);
    const mine = await course(people.lecturer.token);
    expect((await structure(people.lecturer.token, mine, publicOfOther)).status).toBe(200);
    expect((await structure(people.lecturer.token, mine, ownPrivate)).status).toBe(200);
    // An admin editing the course may use what its owner lectures.
    expect((await structure(people.admin.token, mine, ownPrivate)).status).toBe(200);
  });
});
