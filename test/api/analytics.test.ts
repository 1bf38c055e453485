import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYTICS_EXPORTS_PER_MINUTE } from '../../server/http/routes/analytics';
import type { Lectern } from '../../server/main';
import { seedCourse, seedSeminar } from '../support/analytics-seed';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';

// The workspace's analytics against known attendance and progress: every figure and every
// CSV cell compared with what test/support/analytics-seed.ts works out by brute force.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('analytics');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app?.stop());

/** A CSV download as bytes (fetch's text() would swallow the BOM), checked and parsed back. */
async function csv(path: string, token: string): Promise<string[][]> {
  // Through the contract checker first: status, type, the documented headers.
  const checked = await api.call('GET', path, { token });
  expect(checked.status).toBe(200);
  expect(checked.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  const res = await fetch(`${app.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.headers.get('transfer-encoding')).toBe('chunked');
  const bytes = Buffer.from(await res.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(bytes.toString('utf8')).toContain('\r\n');
  return parse(bytes, { bom: true, encoding: 'utf8' });
}

describe('seminar analytics', () => {
  it('counts registrations, attendees, concurrent viewers, minutes live, chat, questions and replays', async () => {
    const s = await seedSeminar(app, api, people.lecturer);
    const res = await api.call('GET', `/seminars/${s.id}/analytics`, { token: people.lecturer.token });
    expect(res.status).toBe(200);
    const { session, ...figures } = res.body;
    expect(figures).toEqual({
      seminarId: s.id,
      title: s.title,
      status: 'ended',
      timeZone: 'Europe/Moscow',
      registered: s.expected.registered,
      waitlisted: s.expected.waitlisted,
      attendees: s.expected.attendees,
      registeredAttendees: s.expected.registeredAttendees,
      peakViewers: s.expected.peakViewers,
      averageViewers: s.expected.averageViewers,
      averageMinutesLive: s.expected.averageMinutesLive,
      chatMessages: s.expected.chatMessages,
      questions: s.expected.questions,
      replayViewers: s.expected.replayViewers,
      // Polls: test/live/polls.test.ts.
      polls: [],
      reactions: s.expected.reactions,
      presenceChecks: s.expected.presenceChecks,
    });
    // Anna's overlapping spans count once: at most all three are in at once.
    expect(s.expected.peakViewers).toBe(3);
    expect(session.seconds).toBe(s.expected.seconds);
    expect(session.stepSeconds).toBe(s.expected.stepSeconds);
    expect(session.viewers).toEqual(s.expected.timeline);
    // The engagement line: reactions in the same steps as the viewers.
    expect(session.engagement).toEqual(s.expected.engagement);
    expect(session.engagement.filter((n: number) => n > 0)).toEqual([8, 7]);
    // An admin sees it too; the same figures.
    const byAdmin = await api.call('GET', `/seminars/${s.id}/analytics`, { token: people.admin.token });
    expect(byAdmin.body).toEqual(res.body);
  });

  it('exports attendance per learner as CSV, every cell as seeded', async () => {
    const s = await seedSeminar(app, api, people.lecturer, 'Финансы для ИП');
    expect(await csv(`/seminars/${s.id}/attendance.csv`, people.lecturer.token)).toEqual(s.csv);
  });

  it('refuses another lecturer’s seminar, and answers a seminar nobody attended with zeros', async () => {
    const s = await seedSeminar(app, api, people.lecturer, 'Чужой семинар');
    for (const path of [`/seminars/${s.id}/analytics`, `/seminars/${s.id}/attendance.csv`]) {
      const res = await api.call('GET', path, { token: people.otherLecturer.token });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('not_own_seminar');
    }
    const empty = await api.call('POST', '/seminars', {
      token: people.otherLecturer.token,
      body: { title: 'Пустой', track: 'marketing', startsAt: '2031-05-20T18:30', durationMinutes: 30, capacity: 5 },
    });
    const res = await api.call('GET', `/seminars/${empty.body.id}/analytics`, { token: people.otherLecturer.token });
    expect(res.body).toMatchObject({ attendees: 0, peakViewers: 0, averageViewers: 0, averageMinutesLive: 0, session: null });
  });

  it('reads a large audience in batches across which one user’s spans are split', async () => {
    const s = await seedSeminar(app, api, people.lecturer, 'Большой эфир');
    const stored = (await app.repos.seminars.get(s.id))!;
    const t0 = stored.liveStartedAt!.getTime();
    // 1,201 viewers with ids that sort after the seeded ones, each in twice (two spans that
    // overlap), so batches of 500 spans cut users in half; viewer i stays i seconds.
    const docs = Array.from({ length: 1201 }, (_, i) => {
      const userId = `ffff${String(i).padStart(20, '0')}`;
      return [
        { seminarId: s.id, userId, joinedAt: new Date(t0), leftAt: new Date(t0 + (i + 1) * 500) },
        { seminarId: s.id, userId, joinedAt: new Date(t0 + 200), leftAt: new Date(t0 + (i + 1) * 1000) },
      ];
    }).flat();
    await app.db.connection.collection('live_attendance').insertMany(docs);
    const res = await api.call('GET', `/seminars/${s.id}/analytics`, { token: people.lecturer.token });
    expect(res.body.attendees).toBe(3 + 1201);
    // At second 0 all of them (and Anna) are in; Boris and the stranger come later.
    expect(res.body.peakViewers).toBe(1201 + 1);
    const rows = await csv(`/seminars/${s.id}/attendance.csv`, people.lecturer.token);
    expect(rows).toHaveLength(1 + 4 + 1201);
    const bulk = rows.filter((r) => r[1] === '' && r[2] === 'not_registered');
    expect(bulk).toHaveLength(1201);
    expect(bulk.map((r) => [r[3], r[6]])).toEqual(Array.from({ length: 1201 }, (_, i) => ['2', String(Math.round(i + 1))]));
  });
});

describe('course analytics', () => {
  it('gives the funnel, completion per lesson and each lesson’s watch heatmap', async () => {
    const c = await seedCourse(app, api, people.lecturer);
    const res = await api.call('GET', `/courses/${c.id}/analytics`, { token: people.lecturer.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      courseId: c.id,
      title: c.title,
      enrolled: c.expected.enrolled,
      started: c.expected.started,
      completed: c.expected.completed,
    });
    expect([res.body.enrolled, res.body.started, res.body.completed]).toEqual([4, 3, 2]);
    expect(
      res.body.lessons.map((l: any) => ({
        title: l.title,
        started: l.started,
        completed: l.completed,
        bucketSeconds: l.heatmap?.bucketSeconds ?? null,
        heatmap: l.heatmap?.viewers ?? null,
      })),
    ).toEqual(c.expected.lessons);
    // The sliver over 0.6 of bucket 85 counts; the one over 0.4 of bucket 90 does not.
    expect(res.body.lessons[0].heatmap.viewers[85]).toBe(3);
    expect(res.body.lessons[0].heatmap.viewers[90]).toBe(2);
  });

  it('exports completion per learner as CSV in either language, every cell as seeded', async () => {
    const c = await seedCourse(app, api, people.lecturer, 'Маркетинг с нуля');
    expect(await csv(`/courses/${c.id}/completion.csv`, people.lecturer.token)).toEqual(c.csv('ru'));
    expect(await csv(`/courses/${c.id}/completion.csv?locale=en`, people.admin.token)).toEqual(c.csv('en'));
  });

  it('refuses another lecturer’s course to them and learners, and limits exports per user', async () => {
    const c = await seedCourse(app, api, people.lecturer, 'Чужой курс');
    for (const path of [`/courses/${c.id}/analytics`, `/courses/${c.id}/completion.csv`]) {
      const other = await api.call('GET', path, { token: people.otherLecturer.token });
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('not_own_course');
      const learner = await api.call('GET', path, { token: people.learner.token });
      expect(learner.status).toBe(403);
      expect(learner.body.error.code).toBe('missing_grant');
    }
    let last = 0;
    for (let i = 0; i <= ANALYTICS_EXPORTS_PER_MINUTE; i++) {
      last = (await api.call('GET', `/courses/${c.id}/completion.csv`, { token: people.otherLecturer.token })).status;
    }
    expect(last).toBe(429);
  });
});
