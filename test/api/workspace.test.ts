import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LECTURER_SEARCHES_PER_10S, WORKSPACE_CALLS_PER_MINUTE } from '../../server/http/routes/workspace';
import type { Lectern } from '../../server/main';
import { Api, cast, login, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { handshakeError } from '../live/support';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';

// The workspace's API (issue 13): registration questions and answers, the registrants
// list and its CSV, a move telling registrants, the lecturer search, the admin's user
// list, roles picked up on refresh, disabled accounts. Authorization of each route is
// in authorization-matrix.test.ts.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('workspace');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

const QUESTIONS = [
  { id: 'q1', label: 'Компания', kind: 'text', required: true },
  { id: 'q2', label: 'Стадия бизнеса', kind: 'choice', required: false, options: ['Идея', 'Первые продажи', 'Рост'] },
];

async function seminar(over: Record<string, unknown> = {}, by: TestUser = people.lecturer): Promise<{ id: string }> {
  const created = await api.call('POST', '/seminars', {
    token: by.token,
    body: { title: 'Маркетинг для ИП', track: 'marketing', startsAt: '2031-05-20T18:30', durationMinutes: 90, capacity: 10, ...over },
  });
  expect(created.status).toBe(201);
  expect((await api.call('POST', `/seminars/${created.body.id}/transitions`, { token: by.token, body: { to: 'scheduled' } })).status).toBe(
    200,
  );
  return created.body;
}

async function mails(): Promise<string[]> {
  const dir = path.join(app.config.dataDir, 'mail');
  const files = await readdir(dir).catch(() => []);
  return Promise.all(files.sort().map((f) => readFile(path.join(dir, f), 'utf8')));
}

describe('registration questions', () => {
  it('are stored with the seminar, and refused when malformed, creating nothing', async () => {
    const s = await seminar({ questions: QUESTIONS });
    const got = await api.call('GET', `/seminars/${s.id}`, { token: people.learner.token });
    expect(got.body.questions).toEqual([{ ...QUESTIONS[0], options: [] }, QUESTIONS[1]]);

    const before = (await api.call('GET', '/me/seminars?limit=100', { token: people.lecturer.token })).body.items.length;
    const bad = [
      [{ id: 'q1', label: 'Стадия', kind: 'choice', required: true, options: ['одна'] }],
      [{ id: 'q1', label: 'Компания', kind: 'text', required: true, options: ['лишний'] }],
      [QUESTIONS[0], QUESTIONS[0]],
      [{ id: 'Q 1', label: 'Компания', kind: 'text', required: true }],
      [{ id: 'q1', label: 'x'.repeat(201), kind: 'text', required: true }],
      Array.from({ length: 11 }, (_, i) => ({ id: `q${i}`, label: 'Вопрос', kind: 'text', required: false })),
    ];
    for (const questions of bad) {
      const res = await api.call('POST', '/seminars', {
        token: people.lecturer.token,
        body: { title: 'Плохие вопросы', track: 'marketing', startsAt: '2031-05-20T18:30', durationMinutes: 90, capacity: 10, questions },
      });
      expect(res.status, JSON.stringify(questions).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details[0].path).toMatch(/^questions/);
    }
    expect((await api.call('GET', '/me/seminars?limit=100', { token: people.lecturer.token })).body.items).toHaveLength(before);
  });

  it('refuse a registration whose answers do not fit, registering nobody, and keep the answers of one that does', async () => {
    const s = await seminar({ questions: QUESTIONS });
    const learner = await registerUser(api, { displayName: 'Иван Петров' });
    const refused: Array<[unknown, string]> = [
      [{}, 'answers.q1'],
      [{ q1: '   ' }, 'answers.q1'],
      [{ q1: 'ООО «Ромашка»', q2: 'Банкротство' }, 'answers.q2'],
      [{ q1: 'ООО «Ромашка»', q9: 'лишний' }, 'answers.q9'],
    ];
    for (const [answers, where] of refused) {
      const res = await api.call('PUT', `/seminars/${s.id}/registration`, { token: learner.token, body: { answers } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_answers');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(where);
    }
    const tooLong = await api.call('PUT', `/seminars/${s.id}/registration`, {
      token: learner.token,
      body: { answers: { q1: 'я'.repeat(1001) } },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('invalid_request');
    expect((await api.call('GET', `/seminars/${s.id}/registration`, { token: learner.token })).status).toBe(404);
    expect((await app.repos.seminars.get(s.id))!.registeredCount).toBe(0);

    const ok = await api.call('PUT', `/seminars/${s.id}/registration`, {
      token: learner.token,
      body: { answers: { q1: ' ООО «Ромашка», ИНН 7801234567 ', q2: 'Первые продажи' } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('registered');
    const list = await api.call('GET', `/seminars/${s.id}/registrations`, { token: people.lecturer.token });
    expect(list.body.items).toEqual([
      expect.objectContaining({
        userId: learner.id,
        displayName: 'Иван Петров',
        email: learner.email,
        status: 'registered',
        answers: { q1: 'ООО «Ромашка», ИНН 7801234567', q2: 'Первые продажи' },
      }),
    ]);
  });

  it('a seminar without questions still takes a registration without a body', async () => {
    const s = await seminar();
    expect((await api.call('PUT', `/seminars/${s.id}/registration`, { token: people.otherLearner.token })).status).toBe(200);
  });
});

describe('the registrations CSV', () => {
  it('is UTF-8 with a BOM, one column per question, and parses back to what was answered', async () => {
    const s = await seminar({ questions: QUESTIONS, capacity: 1 });
    const first = await registerUser(api, { displayName: 'Анна Смирнова' });
    const second = await registerUser(api, { displayName: 'Пётр "Финансист", ИП' });
    await api.call('PUT', `/seminars/${s.id}/registration`, { token: first.token, body: { answers: { q1: 'Кофейня «Утро»' } } });
    await api.call('PUT', `/seminars/${s.id}/registration`, {
      token: second.token,
      body: { answers: { q1: '=HYPERLINK("x")', q2: 'Рост' } },
    });
    // Through the contract checker (status, type, documented schema) …
    const checked = await api.call('GET', `/seminars/${s.id}/registrations.csv`, { token: people.lecturer.token });
    expect(checked.status).toBe(200);
    expect(checked.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(checked.headers.get('content-disposition')).toContain('registrations.csv');
    // … and as bytes: fetch's text() would swallow the BOM.
    const res = await fetch(`${app.url}/api/v1/seminars/${s.id}/registrations.csv`, {
      headers: { authorization: `Bearer ${people.lecturer.token}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parse(bytes, { bom: true, encoding: 'utf8' });
    expect(rows).toEqual([
      ['Имя', 'E-mail', 'Статус', 'Дата записи (Europe/Moscow)', 'Компания', 'Стадия бизнеса'],
      ['Анна Смирнова', first.email, 'registered', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), 'Кофейня «Утро»', ''],
      // A formula is defused for spreadsheets: a leading apostrophe.
      ['Пётр "Финансист", ИП', second.email, 'waitlisted', expect.any(String), `'=HYPERLINK("x")`, 'Рост'],
    ]);
  });
});

describe('moving and cancelling', () => {
  it('tell the registrants, in-app and by e-mail, once per move', async () => {
    const s = await seminar();
    const learner = await registerUser(api, { locale: 'ru' });
    expect((await api.call('PUT', `/seminars/${s.id}/registration`, { token: learner.token })).status).toBe(200);
    // A change that keeps the start tells nobody.
    expect(
      (await api.call('PATCH', `/seminars/${s.id}`, { token: people.lecturer.token, body: { title: 'Маркетинг: новое' } })).status,
    ).toBe(200);
    const moved = await api.call('PATCH', `/seminars/${s.id}`, { token: people.lecturer.token, body: { startsAt: '2031-05-22T11:00' } });
    expect(moved.status).toBe(200);
    await app.domain.notifications.tick();
    const inbox = await api.call('GET', '/me/notifications', { token: learner.token });
    expect(inbox.body.items).toEqual([
      expect.objectContaining({
        kind: 'rescheduled',
        seminarId: s.id,
        title: 'Перенесён: «Маркетинг: новое»',
        body: expect.stringContaining('22 мая'),
      }),
    ]);
    const mail = (await mails()).find((m) => m.includes(`To: ${learner.email}`));
    expect(mail).toBeDefined();

    expect(
      (await api.call('POST', `/seminars/${s.id}/transitions`, { token: people.lecturer.token, body: { to: 'cancelled' } })).status,
    ).toBe(200);
    await app.domain.notifications.tick();
    const after = await api.call('GET', '/me/notifications', { token: learner.token });
    expect(after.body.items.map((n: { kind: string }) => n.kind).sort()).toEqual(['cancelled', 'rescheduled']);
  });
});

describe('my seminars', () => {
  it('lists what I teach in every state, drafts included, and nobody else’s', async () => {
    const lecturer = people.otherLecturer;
    const draft = await api.call('POST', '/seminars', {
      token: lecturer.token,
      body: { title: 'Черновик', track: 'mine', startsAt: '2031-06-01T10:00', durationMinutes: 60, capacity: 5 },
    });
    const sched = await seminar({ title: 'Запланирован' }, lecturer);
    const mine = await api.call('GET', '/me/seminars?limit=100', { token: lecturer.token });
    const ids = mine.body.items.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([draft.body.id, sched.id]));
    const others = await api.call('GET', '/me/seminars?limit=100', { token: people.lecturer.token });
    expect(others.body.items.map((s: { id: string }) => s.id)).not.toContain(draft.body.id);
    const drafts = await api.call('GET', '/me/seminars?status=draft', { token: lecturer.token });
    expect(drafts.body.items.every((s: { status: string }) => s.status === 'draft')).toBe(true);
    expect((await api.call('GET', '/me/seminars?status=nope', { token: lecturer.token })).status).toBe(400);
  });
});

describe('the lecturer search', () => {
  it('finds lecturers by part of the name or the start of the e-mail, never learners, and names chosen ids', async () => {
    const lect = await registerUser(api, { displayName: 'Ольга Лекторова' });
    await api.call('PUT', `/users/${lect.id}/roles`, { token: people.admin.token, body: { roles: ['lecturer'] } });
    const learner = await registerUser(api, { displayName: 'Ольга Слушательница' });
    const byName = await api.call('GET', `/users/lecturers?q=${encodeURIComponent('ольга')}`, { token: people.lecturer.token });
    expect(byName.body).toEqual([{ id: lect.id, displayName: 'Ольга Лекторова' }]);
    const byMail = await api.call('GET', `/users/lecturers?q=${encodeURIComponent(lect.email.slice(0, 12))}`, {
      token: people.lecturer.token,
    });
    expect(byMail.body.map((u: { id: string }) => u.id)).toContain(lect.id);
    expect(byMail.body.map((u: { id: string }) => u.id)).not.toContain(learner.id);
    // A pattern character is literal.
    expect((await api.call('GET', '/users/lecturers?q=.*', { token: people.lecturer.token })).body).toEqual([]);
    const byIds = await api.call('GET', `/users/lecturers?ids=${lect.id},${people.lecturer.id},${learner.id}`, {
      token: people.lecturer.token,
    });
    expect(byIds.body.map((u: { id: string }) => u.id).sort()).toEqual([lect.id, people.lecturer.id].sort());
    for (const bad of ['q=a', `q=${'x'.repeat(101)}`, '', `q=ab&ids=${lect.id}`, 'ids=123', `ids=${Array(6).fill(lect.id).join(',')}`]) {
      const res = await api.call('GET', `/users/lecturers?${bad}`, { token: people.lecturer.token });
      expect(res.status, bad).toBe(400);
    }
  });

  it('is limited per user', async () => {
    const lecturer = await registerUser(api);
    await api.call('PUT', `/users/${lecturer.id}/roles`, { token: people.admin.token, body: { roles: ['lecturer'] } });
    const me = await login(api, lecturer.email);
    const statuses: number[] = [];
    for (let i = 0; i <= LECTURER_SEARCHES_PER_10S; i++) {
      statuses.push((await api.call('GET', '/users/lecturers?q=zz', { token: me.token })).status);
    }
    expect(statuses.slice(0, LECTURER_SEARCHES_PER_10S).every((s) => s === 200)).toBe(true);
    const refused = await api.call('GET', '/users/lecturers?q=zz', { token: me.token });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } });
    // Another lecturer is not held up.
    expect((await api.call('GET', '/users/lecturers?q=zz', { token: people.otherLecturer.token })).status).toBe(200);
  });
});

describe('the admin’s users', () => {
  it('are searched and paged, newest first', async () => {
    const tag = `pg${Date.now()}`;
    const made: TestUser[] = [];
    for (let i = 0; i < 5; i++) made.push(await registerUser(api, { email: `${tag}-${i}@test.lectern`, displayName: `Страница ${i}` }));
    const first = await api.call('GET', `/users?q=${tag}&limit=2`, { token: people.admin.token });
    expect(first.body.items.map((u: { id: string }) => u.id)).toEqual([made[4]!.id, made[3]!.id]);
    const seen = [...first.body.items];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await api.call('GET', `/users?q=${tag}&limit=2&cursor=${cursor}`, { token: people.admin.token });
      seen.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    expect(seen.map((u) => u.id)).toEqual(made.map((u) => u.id).reverse());
    expect(seen[0]).toMatchObject({ email: made[4]!.email, roles: ['learner'], disabled: false });
    const lecturers = await api.call('GET', '/users?role=lecturer&limit=100', { token: people.admin.token });
    expect(lecturers.body.items.map((u: { id: string }) => u.id)).toEqual(
      expect.arrayContaining([people.lecturer.id, people.otherLecturer.id]),
    );
    expect(lecturers.body.items.every((u: { roles: string[] }) => u.roles.includes('lecturer'))).toBe(true);
    for (const bad of [`q=${'x'.repeat(101)}`, 'role=root', 'limit=101', 'cursor=bad!']) {
      expect((await api.call('GET', `/users?${bad}`, { token: people.admin.token })).status, bad).toBe(400);
    }
  });

  it('a granted role reaches the user’s next token refresh, without signing in again', async () => {
    const user = await registerUser(api);
    expect((await api.call('POST', '/seminars', { token: user.token, body: {} })).status).toBe(403);
    await api.call('PUT', `/users/${user.id}/roles`, { token: people.admin.token, body: { roles: ['lecturer'] } });
    const refreshed = await api.call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(refreshed.body.user.roles).toEqual(['lecturer', 'learner']);
    expect((await api.call('GET', '/me/seminars', { token: refreshed.body.accessToken })).status).toBe(200);
  });

  it('a disabled account cannot sign in or refresh, loses its live socket, and comes back when enabled', async () => {
    const user = await registerUser(api);
    const s = await seminar({ isPublic: true });
    const client = await LiveClient.connect(app.url, user.token);
    await client.ok('room:join', { seminarId: s.id });
    let dropped = false;
    client.socket.on('disconnect', () => (dropped = true));

    const res = await api.call('PUT', `/users/${user.id}/disabled`, { token: people.admin.token, body: { disabled: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, disabled: true });
    await waitFor(async () => (dropped ? true : undefined), 10_000, 'the socket dropped');

    const signIn = await api.call('POST', '/auth/login', { body: { email: user.email, password: 'correct horse battery' } });
    expect(signIn.status).toBe(403);
    expect(signIn.body.error.code).toBe('account_disabled');
    const refresh = await api.call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error.code).toBe('account_disabled');
    // The still-unexpired access token is void at once: no socket, no heartbeat, nothing written.
    expect((await handshakeError(app.url, { token: user.token }))?.data).toMatchObject({ code: 'token_revoked' });
    const beat = await api.call('POST', '/progress/heartbeats', {
      token: user.token,
      body: { contentId: s.id, intervals: [[0, 5]], position: 5, durationSeconds: 60, sentAt: Date.now() },
    });
    expect(beat.status).toBe(401);
    expect(beat.body.error.code).toBe('token_revoked');
    expect(await app.repos.progress.get(user.id, s.id)).toBeNull();

    const self = await api.call('PUT', `/users/${people.admin.id}/disabled`, { token: people.admin.token, body: { disabled: true } });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('cannot_disable_self');
    expect((await api.call('PUT', `/users/${user.id}/disabled`, { token: people.admin.token, body: { disabled: 'yes' } })).status).toBe(
      400,
    );

    expect(
      (await api.call('PUT', `/users/${user.id}/disabled`, { token: people.admin.token, body: { disabled: false } })).body.disabled,
    ).toBe(false);
    expect((await login(api, user.email)).id).toBe(user.id);
    // The refresh tokens revoked on disabling stay revoked.
    expect((await api.call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(401);
  });

  it('shows a user’s registrations and progress', async () => {
    const user = await registerUser(api);
    const s = await seminar({ title: 'Для профиля' });
    await api.call('PUT', `/seminars/${s.id}/registration`, { token: user.token });
    const regs = await api.call('GET', `/users/${user.id}/registrations`, { token: people.admin.token });
    expect(regs.body.items).toEqual([
      expect.objectContaining({ seminarId: s.id, status: 'registered', seminar: expect.objectContaining({ title: 'Для профиля' }) }),
    ]);
    const learning = await api.call('GET', `/users/${user.id}/learning`, { token: people.admin.token });
    expect(learning.body).toEqual([]);
    expect((await api.call('GET', '/users/0123456789abcdef01234567/learning', { token: people.admin.token })).status).toBe(404);
  });
});

describe('the workspace’s rate limit', () => {
  it('refuses every workspace route to a user past the limit, with a code and when to retry', async () => {
    const admin = people.admin;
    for (let i = 0; i < WORKSPACE_CALLS_PER_MINUTE; i++) {
      const res = await api.call('GET', '/me/seminars?limit=1', { token: admin.token });
      if (res.status === 429) break;
    }
    const s = await seminar();
    for (const [method, p, body] of [
      ['GET', '/me/seminars'],
      ['GET', `/seminars/${s.id}/registrations`],
      ['GET', `/seminars/${s.id}/registrations.csv`],
      ['GET', '/users/lecturers?q=ab'],
      ['GET', '/users'],
      ['GET', `/users/${people.learner.id}`],
      ['PUT', `/users/${people.learner.id}/disabled`, { disabled: true }],
      ['GET', `/users/${people.learner.id}/registrations`],
      ['GET', `/users/${people.learner.id}/learning`],
    ] as Array<[string, string, unknown?]>) {
      const res = await api.call(method, p, { token: admin.token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${p}`).toBe(429);
      expect(res.body.error.code).toBe('rate_limited');
    }
    // Refused, so not written.
    expect((await app.repos.users.findById(people.learner.id))!.disabled).toBe(false);
  });
});
