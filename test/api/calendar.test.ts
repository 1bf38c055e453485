import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('calendar');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

/** Parses an iCalendar text with ical.js, registering its VTIMEZONEs, and returns its events. */
function parseEvents(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const tz of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  return calendar.getAllSubcomponents('vevent').map((c) => {
    const event = new ICAL.Event(c);
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      status: c.getFirstPropertyValue('status'),
      tzid: c.getFirstProperty('dtstart')!.getParameter('tzid'),
      localStart: event.startDate.toString(),
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
    };
  });
}

async function scheduledSeminar(body: Record<string, unknown>) {
  const created = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: { title: 'Мода и бренд', track: 'Fashion industry', durationMinutes: 120, capacity: 50, ...body },
  });
  await api.call('POST', `/seminars/${created.body.id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
  return created.body.id as string;
}

describe('seminar ICS', () => {
  it('puts the event at its wall-clock time in the seminar’s zone, with a VTIMEZONE', async () => {
    const id = await scheduledSeminar({ startsAt: '2027-03-15T19:00', timeZone: 'Europe/Moscow' });
    const res = await api.call('GET', `/seminars/${id}/calendar.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/calendar/);
    const [event] = parseEvents(res.text);
    expect(event).toMatchObject({
      uid: `seminar-${id}@lectern`,
      summary: 'Мода и бренд',
      tzid: 'Europe/Moscow',
      localStart: '2027-03-15T19:00:00',
      start: '2027-03-15T16:00:00.000Z',
      end: '2027-03-15T18:00:00.000Z',
      status: 'CONFIRMED',
    });
  });

  it('handles a zone with daylight saving on both sides of the change', async () => {
    const winter = await scheduledSeminar({ startsAt: '2027-03-27T10:00', timeZone: 'Europe/Berlin' });
    const summer = await scheduledSeminar({ startsAt: '2027-03-29T10:00', timeZone: 'Europe/Berlin' });
    const [w] = parseEvents((await api.call('GET', `/seminars/${winter}/calendar.ics`)).text);
    const [s] = parseEvents((await api.call('GET', `/seminars/${summer}/calendar.ics`)).text);
    expect([w!.localStart, w!.start]).toEqual(['2027-03-27T10:00:00', '2027-03-27T09:00:00.000Z']);
    expect([s!.localStart, s!.start]).toEqual(['2027-03-29T10:00:00', '2027-03-29T08:00:00.000Z']);
  });

  it('keeps the UID and raises SEQUENCE when a seminar is moved, then cancelled', async () => {
    const id = await scheduledSeminar({ startsAt: '2027-04-01T18:00' });
    const [before] = parseEvents((await api.call('GET', `/seminars/${id}/calendar.ics`)).text);
    await api.call('PATCH', `/seminars/${id}`, { token: people.lecturer.token, body: { startsAt: '2027-04-02T18:00' } });
    const [moved] = parseEvents((await api.call('GET', `/seminars/${id}/calendar.ics`)).text);
    expect(moved!.uid).toBe(before!.uid);
    expect(moved!.sequence).toBeGreaterThan(before!.sequence);
    expect(moved!.localStart).toBe('2027-04-02T18:00:00');
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'cancelled' } });
    const [cancelled] = parseEvents((await api.call('GET', `/seminars/${id}/calendar.ics`)).text);
    expect(cancelled!.uid).toBe(before!.uid);
    expect(cancelled!.sequence).toBeGreaterThan(moved!.sequence);
    expect(cancelled!.status).toBe('CANCELLED');
  });
});

describe('personal calendar feed', () => {
  it('lists my seminars behind an unguessable token, follows changes, and is revocable', async () => {
    const a = await scheduledSeminar({ title: 'Налоговый вычет', startsAt: '2027-05-10T18:00' });
    const b = await scheduledSeminar({ title: 'Продвижение в соцсетях', startsAt: '2027-05-12T18:00', timeZone: 'Asia/Novosibirsk' });
    await scheduledSeminar({ title: 'Не мой семинар', startsAt: '2027-05-14T18:00' });
    for (const id of [a, b]) await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token });

    const issued = await api.call('POST', '/me/calendar-feed', { token: people.learner.token });
    expect(issued.status).toBe(201);
    const path = new URL(issued.body.url).pathname;
    expect(path).toMatch(/^\/api\/v1\/calendar\/[\w-]{43}\.ics$/);
    const feed = parseEvents((await api.call('GET', path)).text);
    expect(feed.map((e) => e.summary).sort()).toEqual(['Налоговый вычет', 'Продвижение в соцсетях']);
    expect(feed.find((e) => e.summary === 'Продвижение в соцсетях')).toMatchObject({
      tzid: 'Asia/Novosibirsk',
      localStart: '2027-05-12T18:00:00',
      start: '2027-05-12T11:00:00.000Z',
    });

    await api.call('POST', `/seminars/${a}/transitions`, { token: people.lecturer.token, body: { to: 'cancelled' } });
    const afterCancel = parseEvents((await api.call('GET', path)).text);
    const cancelled = afterCancel.find((e) => e.uid === `seminar-${a}@lectern`)!;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.sequence).toBeGreaterThan(feed.find((e) => e.uid === cancelled.uid)!.sequence);

    const rotated = await api.call('POST', '/me/calendar-feed', { token: people.learner.token });
    expect((await api.call('GET', path)).status).toBe(404);
    expect((await api.call('GET', new URL(rotated.body.url).pathname)).status).toBe(200);
    // The token is the credential: only its hash is stored.
    const token = path.split('/').pop()!.replace('.ics', '');
    expect(await app.db.connection.collection('users').countDocuments({ calendarTokenHash: token })).toBe(0);
  });
});
