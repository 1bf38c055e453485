import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type ApiResponse, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';

// The portal's catalogue (GET /seminars by part, track and dates, paged), a seminar's
// page (its lecturers' names), and the inbox's unread count: what the new query
// parameters accept and refuse, and what each notification kind puts in the inbox.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let n = 0;

beforeAll(async () => {
  app = await startTestApp('catalogue');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

async function seminar(
  track: string,
  startsAt: string,
  to: Array<'scheduled' | 'live' | 'ended' | 'cancelled'> = ['scheduled'],
  capacity = 5,
) {
  const created = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: { title: `Семинар ${++n}`, track, startsAt, durationMinutes: 60, capacity },
  });
  expect(created.status, created.text).toBe(201);
  for (const step of to) {
    const moved = await api.call('POST', `/seminars/${created.body.id}/transitions`, { token: people.lecturer.token, body: { to: step } });
    expect(moved.status, moved.text).toBe(200);
  }
  return created.body.id as string;
}

async function ids(query: string, token?: string): Promise<string[]> {
  const res = await api.call('GET', `/seminars?${query}`, token ? { token } : {});
  expect(res.status, res.text).toBe(200);
  return res.body.items.map((s: { id: string }) => s.id);
}

describe('GET /seminars: the catalogue’s filters', () => {
  it('splits live, upcoming and past, the past most recent first', async () => {
    const track = 'parts';
    const soon = await seminar(track, '2030-01-10T10:00');
    const later = await seminar(track, '2030-02-10T10:00');
    const live = await seminar(track, '2030-03-10T10:00', ['scheduled', 'live']);
    const older = await seminar(track, '2030-04-10T10:00', ['scheduled', 'live', 'ended']);
    const newer = await seminar(track, '2030-05-10T10:00', ['scheduled', 'live', 'ended']);
    const cancelled = await seminar(track, '2030-06-10T10:00', ['cancelled']);
    expect(await ids(`track=${track}&when=upcoming`)).toEqual([soon, later]);
    expect(await ids(`track=${track}&when=live`)).toEqual([live]);
    expect(await ids(`track=${track}&when=past`)).toEqual([newer, older]);
    expect(await ids(`track=${track}`)).toEqual([soon, later, live, older, newer, cancelled]);
    // status narrows when: inside it, one status; outside it, nothing.
    expect(await ids(`track=${track}&when=past&status=ended`)).toEqual([newer, older]);
    expect(await ids(`track=${track}&when=past&status=scheduled`)).toEqual([]);
  });

  it('pages the past backwards in time with the cursor', async () => {
    const track = 'past-pages';
    const made = [];
    for (let month = 1; month <= 5; month++) made.push(await seminar(track, `2029-0${month}-01T09:00`, ['scheduled', 'live', 'ended']));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await api.call('GET', `/seminars?track=${track}&when=past&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s: { id: string }) => s.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
  });

  it('filters by start: from inclusive, before exclusive, with Z or an offset', async () => {
    const track = 'dates';
    const first = await seminar(track, '2031-03-01T00:00'); // 2031-02-28T21:00Z (Moscow)
    const second = await seminar(track, '2031-03-02T12:00'); // 2031-03-02T09:00Z
    const third = await seminar(track, '2031-03-05T12:00');
    expect(await ids(`track=${track}&startsFrom=2031-02-28T21:00:00Z`)).toEqual([first, second, third]);
    expect(await ids(`track=${track}&startsFrom=2031-02-28T21:00:01Z`)).toEqual([second, third]);
    expect(await ids(`track=${track}&startsBefore=2031-03-02T09:00:00Z`)).toEqual([first]);
    // The day of 2 March in Moscow, as the catalogue's date fields send it.
    const from = encodeURIComponent('2031-03-02T00:00:00+03:00');
    const before = encodeURIComponent('2031-03-03T00:00:00+03:00');
    expect(await ids(`track=${track}&startsFrom=${from}&startsBefore=${before}`)).toEqual([second]);
    // An empty range is empty, not an error.
    expect(await ids(`track=${track}&startsFrom=2031-03-05T00:00:00Z&startsBefore=2031-03-01T00:00:00Z`)).toEqual([]);
  });

  it.each([
    ['an unknown part', 'when=soon', 'when'],
    ['a date without a time', 'startsFrom=2031-03-01', 'startsFrom'],
    ['a time without a zone', 'startsBefore=2031-03-01T00:00:00', 'startsBefore'],
    ['a date that does not exist', 'startsFrom=2031-02-30T00:00:00Z', 'startsFrom'],
    ['two values for one parameter', 'when=live&when=past', 'when'],
    ['an over-long track', `track=${'x'.repeat(81)}`, 'track'],
  ])('refuses %s with 400 invalid_request naming the parameter', async (_name, query, field) => {
    const before = await app.db.connection.collection('seminars').countDocuments();
    const res = await api.call('GET', `/seminars?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    expect(await app.db.connection.collection('seminars').countDocuments()).toBe(before);
  });
});

describe('GET /seminars/:id: the page’s view', () => {
  it('names the lecturers', async () => {
    const id = await seminar('names', '2030-01-01T10:00');
    const res = await api.call('GET', `/seminars/${id}`);
    expect(res.status).toBe(200);
    const me = await api.call('GET', '/me', { token: people.lecturer.token });
    expect(res.body.lecturers).toEqual([{ id: people.lecturer.id, displayName: me.body.displayName }]);
  });
});

describe('the inbox', () => {
  const inbox = async (user: TestUser) => (await api.call('GET', '/me/notifications?limit=100', { token: user.token })).body.items;
  const unread = async (user: TestUser) => {
    const res = await api.call('GET', '/me/notifications/unread-count', { token: user.token });
    expect(res.status, res.text).toBe(200);
    return res.body.count as number;
  };

  it('gets promotion, "live now" and cancellation, and counts what is unread', async () => {
    const learner = await registerUser(api);
    const waiting = await registerUser(api);
    const full = await seminar('inbox', '2030-01-01T10:00', ['scheduled'], 1);
    expect((await api.call('PUT', `/seminars/${full}/registration`, { token: learner.token })).body.status).toBe('registered');
    expect((await api.call('PUT', `/seminars/${full}/registration`, { token: waiting.token })).body.waitlistPosition).toBe(1);
    expect(await unread(waiting)).toBe(0);

    expect((await api.call('DELETE', `/seminars/${full}/registration`, { token: learner.token })).status).toBe(204);
    await app.domain.notifications.tick();
    expect((await inbox(waiting)).map((x: { kind: string }) => x.kind)).toEqual(['promoted']);
    expect(await unread(waiting)).toBe(1);

    const onAir = await seminar('inbox', '2030-01-02T10:00');
    const dropped = await seminar('inbox', '2030-01-03T10:00');
    for (const s of [onAir, dropped]) await api.call('PUT', `/seminars/${s}/registration`, { token: waiting.token });
    await api.call('POST', `/seminars/${onAir}/transitions`, { token: people.lecturer.token, body: { to: 'live' } });
    await api.call('POST', `/seminars/${dropped}/transitions`, { token: people.lecturer.token, body: { to: 'cancelled' } });
    await app.domain.notifications.tick();
    const items = await inbox(waiting);
    expect(items.map((x: { kind: string; seminarId: string }) => [x.kind, x.seminarId]).sort()).toEqual(
      [
        ['cancelled', dropped],
        ['live_now', onAir],
        ['promoted', full],
      ].sort(),
    );
    expect(await unread(waiting)).toBe(3);

    const promoted = items.find((x: { kind: string }) => x.kind === 'promoted');
    expect((await api.call('POST', `/me/notifications/${promoted.id}/read`, { token: waiting.token })).status).toBe(204);
    expect(await unread(waiting)).toBe(2);
    expect((await api.call('POST', '/me/notifications/read-all', { token: waiting.token })).status).toBe(204);
    expect(await unread(waiting)).toBe(0);
    const docs = await app.db.connection.collection('notifications').find({ userId: waiting.id }).toArray();
    expect(docs).toHaveLength(3);
    expect(docs.every((d) => d.readAt instanceof Date)).toBe(true);
    // Someone else's inbox is untouched.
    expect(await app.db.connection.collection('notifications').countDocuments({ userId: { $ne: waiting.id }, readAt: { $ne: null } })).toBe(
      0,
    );
  });

  it('caps the count at 100', async () => {
    const user = await registerUser(api);
    for (let i = 0; i < 105; i++) {
      await app.repos.notifications.insertOnce({
        id: `cap.${user.id}.${i}`,
        userId: user.id,
        kind: 'reminder_1h',
        seminarId: people.lecturer.id.replace(/./g, 'a'),
        title: 't',
        body: 'b',
        createdAt: new Date(),
      });
    }
    expect(await unread(user)).toBe(100);
  });

  it('rate-limits the unread count per user, and read-all', async () => {
    const user = await registerUser(api);
    const other = await registerUser(api);
    const counts = await Promise.all(
      Array.from({ length: 61 }, () => api.call('GET', '/me/notifications/unread-count', { token: user.token })),
    );
    const refused = counts.filter((r) => r.status === 429);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.body.error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } });
    // Another user's budget is their own.
    expect(await unread(other)).toBe(0);

    const reads = [];
    for (let i = 0; i < 21; i++) reads.push((await api.call('POST', '/me/notifications/read-all', { token: user.token })).status);
    expect(reads.slice(0, 20).every((s) => s === 204)).toBe(true);
    expect(reads[20]).toBe(429);
  });
});
