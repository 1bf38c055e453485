import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('seminars');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

const draft = (over: Record<string, unknown> = {}) => ({
  title: 'Налоги для самозанятых',
  track: 'Taxes',
  startsAt: '2027-02-10T18:30',
  durationMinutes: 90,
  capacity: 2,
  ...over,
});

async function scheduled(over: Record<string, unknown> = {}, by: TestUser = people.lecturer) {
  const created = await api.call('POST', '/seminars', { token: by.token, body: draft(over) });
  expect(created.status).toBe(201);
  const moved = await api.call('POST', `/seminars/${created.body.id}/transitions`, { token: by.token, body: { to: 'scheduled' } });
  expect(moved.status).toBe(200);
  return moved.body as { id: string; sequence: number };
}

describe('scheduling', () => {
  it('stores wall-clock time in the seminar’s zone, defaulting to Europe/Moscow', async () => {
    const moscow = await api.call('POST', '/seminars', { token: people.lecturer.token, body: draft() });
    expect(moscow.body).toMatchObject({
      timeZone: 'Europe/Moscow',
      startsAtLocal: '2027-02-10T18:30',
      startsAt: '2027-02-10T15:30:00.000Z',
      status: 'draft',
    });
    const novosibirsk = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: draft({ timeZone: 'Asia/Novosibirsk' }),
    });
    expect(novosibirsk.body).toMatchObject({ startsAtLocal: '2027-02-10T18:30', startsAt: '2027-02-10T11:30:00.000Z' });
    // Berlin in summer: the offset comes from the date, not from today.
    const berlin = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: draft({ timeZone: 'Europe/Berlin', startsAt: '2027-07-01T10:00' }),
    });
    expect(berlin.body.startsAt).toBe('2027-07-01T08:00:00.000Z');
  });

  it('a new zone alone keeps the wall-clock time and bumps the sequence', async () => {
    const s = await scheduled();
    const res = await api.call('PATCH', `/seminars/${s.id}`, { token: people.lecturer.token, body: { timeZone: 'Asia/Yekaterinburg' } });
    expect(res.body).toMatchObject({
      startsAtLocal: '2027-02-10T18:30',
      startsAt: '2027-02-10T13:30:00.000Z',
      timeZone: 'Asia/Yekaterinburg',
    });
    expect(res.body.sequence).toBe(s.sequence + 1);
  });

  it('hides drafts from everyone but their lecturers and admins', async () => {
    const d = await api.call('POST', '/seminars', { token: people.lecturer.token, body: draft({ title: 'Черновик семинара' }) });
    expect((await api.call('GET', `/seminars/${d.body.id}`)).status).toBe(404);
    expect((await api.call('GET', `/seminars/${d.body.id}`, { token: people.learner.token })).status).toBe(404);
    expect((await api.call('GET', `/seminars/${d.body.id}`, { token: people.otherLecturer.token })).status).toBe(404);
    expect((await api.call('GET', `/seminars/${d.body.id}`, { token: people.lecturer.token })).status).toBe(200);
    expect((await api.call('GET', `/seminars/${d.body.id}`, { token: people.admin.token })).status).toBe(200);
    const anonymousList = await api.call('GET', '/seminars?limit=100');
    expect(anonymousList.body.items.map((s: { id: string }) => s.id)).not.toContain(d.body.id);
  });

  it('pages through seminars by start time with a cursor', async () => {
    for (const day of ['01', '02', '03']) await scheduled({ track: 'Paging', startsAt: `2027-03-${day}T10:00` });
    const first = await api.call('GET', '/seminars?track=Paging&limit=2');
    expect(first.body.items.map((s: { startsAtLocal: string }) => s.startsAtLocal)).toEqual(['2027-03-01T10:00', '2027-03-02T10:00']);
    const second = await api.call('GET', `/seminars?track=Paging&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((s: { startsAtLocal: string }) => s.startsAtLocal)).toEqual(['2027-03-03T10:00']);
    expect(second.body.nextCursor).toBeNull();
  });
});

describe('the status machine', () => {
  it('allows draft → scheduled → live → ended', async () => {
    const s = await scheduled();
    for (const to of ['live', 'ended']) {
      const res = await api.call('POST', `/seminars/${s.id}/transitions`, { token: people.lecturer.token, body: { to } });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(to);
    }
  });

  it.each([
    ['draft', 'live'],
    ['draft', 'ended'],
    ['scheduled', 'ended'],
    ['scheduled', 'scheduled'],
    ['cancelled', 'scheduled'],
    ['ended', 'live'],
    ['ended', 'cancelled'],
  ])('refuses %s → %s with 409 illegal_transition, changing nothing', async (from, to) => {
    const created = await api.call('POST', '/seminars', { token: people.lecturer.token, body: draft() });
    const id = created.body.id;
    const path: Record<string, string[]> = {
      draft: [],
      scheduled: ['scheduled'],
      cancelled: ['cancelled'],
      ended: ['scheduled', 'live', 'ended'],
    };
    for (const step of path[from]!)
      await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: step } });
    const before = await app.db.connection.collection('seminars').findOne({ _id: new Types.ObjectId(id) });
    const res = await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'illegal_transition', details: { from, to } });
    const after = await app.db.connection.collection('seminars').findOne({ _id: before!._id });
    expect(after).toEqual(before);
  });

  it('refuses changes to a live seminar', async () => {
    const s = await scheduled();
    await api.call('POST', `/seminars/${s.id}/transitions`, { token: people.lecturer.token, body: { to: 'live' } });
    const res = await api.call('PATCH', `/seminars/${s.id}`, { token: people.lecturer.token, body: { title: 'Другое название' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('seminar_not_editable');
  });
});

describe('registration and the waitlist', () => {
  it('fills seats, waitlists the rest in order, and promotes the head when a seat frees', async () => {
    const s = await scheduled({ capacity: 2 });
    const learners = [people.learner, people.otherLearner, await registerUser(api), await registerUser(api)];
    const results = [];
    for (const l of learners) results.push((await api.call('PUT', `/seminars/${s.id}/registration`, { token: l.token })).body);
    expect(results.map((r) => [r.status, r.waitlistPosition])).toEqual([
      ['registered', null],
      ['registered', null],
      ['waitlisted', 1],
      ['waitlisted', 2],
    ]);
    // Registering again changes nothing.
    expect((await api.call('PUT', `/seminars/${s.id}/registration`, { token: learners[2]!.token })).body.waitlistPosition).toBe(1);

    expect((await api.call('DELETE', `/seminars/${s.id}/registration`, { token: learners[0]!.token })).status).toBe(204);
    expect((await api.call('GET', `/seminars/${s.id}/registration`, { token: learners[2]!.token })).body.status).toBe('registered');
    expect((await api.call('GET', `/seminars/${s.id}/registration`, { token: learners[3]!.token })).body.waitlistPosition).toBe(1);
    expect((await api.call('GET', `/seminars/${s.id}`)).body.registeredCount).toBe(2);
    expect(await app.db.connection.collection('registrations').countDocuments({ seminarId: s.id, status: 'registered' })).toBe(2);

    // Delivered at once, by a pass the promotion started: this pass runs after it.
    await app.domain.notifications.tick();
    const after = await api.call('GET', '/me/notifications', { token: learners[2]!.token });
    expect(after.body.items).toEqual([
      expect.objectContaining({ kind: 'promoted', seminarId: s.id, title: expect.stringContaining('Место освободилось') }),
    ]);
  });

  it('raising the capacity promotes from the waitlist', async () => {
    const s = await scheduled({ capacity: 1 });
    const [a, b, c] = [await registerUser(api), await registerUser(api), await registerUser(api)];
    for (const l of [a, b, c]) await api.call('PUT', `/seminars/${s.id}/registration`, { token: l.token });
    await api.call('PATCH', `/seminars/${s.id}`, { token: people.lecturer.token, body: { capacity: 2 } });
    expect((await api.call('GET', `/seminars/${s.id}/registration`, { token: b.token })).body.status).toBe('registered');
    expect((await api.call('GET', `/seminars/${s.id}/registration`, { token: c.token })).body).toMatchObject({
      status: 'waitlisted',
      waitlistPosition: 1,
    });
  });

  it('never oversells a seat under concurrent registrations', async () => {
    const s = await scheduled({ capacity: 3 });
    const learners = await Promise.all(Array.from({ length: 12 }, () => registerUser(api)));
    const results = await Promise.all(learners.map((l) => api.call('PUT', `/seminars/${s.id}/registration`, { token: l.token })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.status === 'registered')).toHaveLength(3);
    // Positions in the concurrent answers are snapshots; once settled they are a strict order.
    const waitlisted = learners.filter((_, i) => results[i]!.body.status === 'waitlisted');
    const settled = await Promise.all(waitlisted.map((l) => api.call('GET', `/seminars/${s.id}/registration`, { token: l.token })));
    expect(settled.map((r) => r.body.waitlistPosition).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await api.call('GET', `/seminars/${s.id}`)).body.registeredCount).toBe(3);

    // And under concurrent unregistrations, every freed seat goes to the waitlist exactly once.
    const registered = learners.filter((_, i) => results[i]!.body.status === 'registered');
    await Promise.all(registered.map((l) => api.call('DELETE', `/seminars/${s.id}/registration`, { token: l.token })));
    expect(await app.db.connection.collection('registrations').countDocuments({ seminarId: s.id, status: 'registered' })).toBe(3);
    expect((await api.call('GET', `/seminars/${s.id}`)).body.registeredCount).toBe(3);
  });

  it('refuses registration for drafts, ended and cancelled seminars', async () => {
    const s = await scheduled();
    await api.call('POST', `/seminars/${s.id}/transitions`, { token: people.lecturer.token, body: { to: 'cancelled' } });
    const res = await api.call('PUT', `/seminars/${s.id}/registration`, { token: people.learner.token });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('registration_closed');
  });

  it('lists my registrations with their seminars', async () => {
    const me = await registerUser(api);
    const s1 = await scheduled();
    const s2 = await scheduled();
    await api.call('PUT', `/seminars/${s1.id}/registration`, { token: me.token });
    await api.call('PUT', `/seminars/${s2.id}/registration`, { token: me.token });
    const page1 = await api.call('GET', '/me/registrations?limit=1', { token: me.token });
    const page2 = await api.call('GET', `/me/registrations?limit=1&cursor=${page1.body.nextCursor}`, { token: me.token });
    expect([page1.body.items[0].seminar.id, page2.body.items[0].seminar.id]).toEqual([s2.id, s1.id]);
  });

  it('reconciles seats left inconsistent by a crash', async () => {
    const s = await scheduled({ capacity: 2 });
    const [a, b] = [await registerUser(api), await registerUser(api)];
    await api.call('PUT', `/seminars/${s.id}/registration`, { token: a.token });
    // As if a node died between inserting a registration and claiming its seat.
    await app.db.connection
      .collection('registrations')
      .insertOne({ seminarId: s.id, userId: b.id, status: 'pending', createdAt: new Date(Date.now() - 120_000) });
    await app.domain.reconcile();
    expect((await api.call('GET', `/seminars/${s.id}/registration`, { token: b.token })).body.status).toBe('registered');
    expect((await api.call('GET', `/seminars/${s.id}`)).body.registeredCount).toBe(2);
  });
});
