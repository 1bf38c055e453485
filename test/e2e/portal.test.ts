import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ICAL from 'ical.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { pageProblems } from '../support/page-checks';

// The portal in Chromium, as its learners use it: the catalogue filtered down to one
// seminar, registration from the keyboard, the .ics downloaded and parsed back, the
// personal feed's address copied; a waitlisted learner who sees their place, gets the
// freed seat and then the notification, with the header's unread count following; the
// "watch live" and "watch the recording" links. Then every portal page at 360 and
// 1280 px in Russian and English: no horizontal scrolling, no serious axe violation,
// a screenshot of each in test-artifacts/portal/.

const shots = path.join(artifacts, 'portal');
const poll = { timeout: 30_000, interval: 200 };
const TRACK = 'Маркетинг для малого бизнеса';
// The browser's zone differs from the seminars' (Moscow): cards show both times.
const READER_ZONE = 'Asia/Yekaterinburg';

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
const sources: ChildProcess[] = [];
const clients: LiveClient[] = [];
const ids = { wanted: '', laterSameTrack: '', sameDayOtherTrack: '', live: '', recorded: '' };

async function seminar(title: string, body: Record<string, unknown>, to: Array<'scheduled' | 'live'> = ['scheduled']) {
  const token = people.lecturer.token;
  const created = await api.call('POST', '/seminars', {
    token,
    body: { title, track: TRACK, durationMinutes: 90, capacity: 30, description: 'Как найти первых клиентов.', ...body },
  });
  expect(created.status, created.text).toBe(201);
  for (const step of to) {
    expect((await api.call('POST', `/seminars/${created.body.id}/transitions`, { token, body: { to: step } })).status).toBe(200);
  }
  return created.body.id as string;
}

/** A seminar that went live with real media for a few seconds, was recorded, and ended. */
async function recordedSeminar(): Promise<string> {
  const id = await seminar('Запись: продажи без бюджета', { startsAt: '2030-04-01T18:00' });
  expect((await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token })).status).toBe(200);
  const host = await LiveClient.connect(app.url, people.lecturer.token);
  clients.push(host);
  await host.ok('room:join', { seminarId: id });
  await host.ok('seminar:go-live', {});
  const room = (await app.rooms.peek(id))!;
  const { video, audio, ffmpeg } = await avProducers(room.origin);
  sources.push(ffmpeg);
  const record = (await app.repos.seminars.get(id))!;
  app.recorder.producerAdded(room, record, { producer: video, source: 'camera', role: 'lecturer' });
  app.recorder.producerAdded(room, record, { producer: audio, source: 'mic', role: 'lecturer' });
  await new Promise((r) => setTimeout(r, 5000));
  await host.ok('seminar:end', {});
  await waitFor(
    async () => {
      const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
      return res.status === 200 && !res.body.live ? true : undefined;
    },
    30_000,
    'the finished recording',
  );
  host.close();
  return id;
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_portal', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  api = Api.of(app);
  people = await cast(api);
  // One seat: the second learner waits for it.
  ids.wanted = await seminar('Первые клиенты без рекламного бюджета', { startsAt: '2030-05-20T18:30', capacity: 1 });
  ids.laterSameTrack = await seminar('Сарафанное радио', { startsAt: '2030-06-20T18:30' });
  ids.sameDayOtherTrack = await seminar('Налоги для самозанятых', { startsAt: '2030-05-20T12:00', track: 'Налоги' });
  ids.live = await seminar('Эфир: упаковка продукта', { startsAt: '2030-03-01T10:00' }, ['scheduled', 'live']);
  ids.recorded = await recordedSeminar();
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of sources) s.kill('SIGKILL');
  await browser?.close();
  await app?.stop();
});

async function openAs(
  user: TestUser | null,
  route: string,
  opts: { width?: number; lang?: 'ru' | 'en'; clipboard?: boolean } = {},
): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: 900 },
    timezoneId: READER_ZONE,
    acceptDownloads: true,
  });
  if (opts.clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, route, problems);
  if (user) await signInPage(page, user.token);
  const lang = opts.lang === 'en' ? `${route.includes('?') ? '&' : '?'}lang=en` : '';
  await page.goto(`${app.url}${route}${lang}`);
  return { page, context, problems };
}

function parseEvents(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const tz of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  return calendar.getAllSubcomponents('vevent').map((c) => {
    const event = new ICAL.Event(c);
    return {
      uid: event.uid,
      summary: event.summary,
      tzid: c.getFirstProperty('dtstart')!.getParameter('tzid'),
      localStart: event.startDate.toString(),
      start: event.startDate.toJSDate().toISOString(),
    };
  });
}

const cards = (page: Page, part: string) =>
  page
    .getByTestId(`part-${part}`)
    .locator('[data-testid=seminar]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));

describe('the portal in the browser', () => {
  it('finds a seminar by track and date, registers from the keyboard, and takes the .ics and the feed', async () => {
    const { page, context, problems } = await openAs(people.learner, '/seminars', { clipboard: true });
    try {
      await page.getByTestId('part-upcoming').locator('[data-testid=seminar]').first().waitFor();
      // Unfiltered, the catalogue shows the live one, the upcoming ones and the recorded one.
      expect(await cards(page, 'live')).toEqual([ids.live]);
      expect(await cards(page, 'past')).toEqual([ids.recorded]);

      // Filter from the keyboard: one day, the track, Enter.
      await page.getByTestId('filter-from').fill('2030-05-20');
      await page.getByTestId('filter-to').fill('2030-05-20');
      await page.getByTestId('filter-track').fill(TRACK);
      await page.getByTestId('filter-track').press('Enter');
      await expect.poll(() => new URL(page.url()).search, poll).toContain('track=');
      await expect.poll(() => cards(page, 'upcoming'), poll).toEqual([ids.wanted]);
      const card = page.locator(`[data-testid=seminar][data-id="${ids.wanted}"]`);
      // 18:30 in Moscow, 20:30 in the reader's Yekaterinburg.
      expect(await card.getByTestId('starts').textContent()).toMatch(/18:30/);
      expect(await card.getByTestId('your-time').textContent()).toMatch(/20:30/);
      expect(await card.textContent()).toContain('осталось 1 место');

      // To its page from the keyboard.
      await card.locator('a.seminar-title').focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('seminar-page').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/seminars/${ids.wanted}`);
      const lecturer = (await api.call('GET', '/me', { token: people.lecturer.token })).body.displayName as string;
      expect(await page.getByTestId('lecturers').textContent()).toContain(lecturer);
      expect(await page.getByTestId('seats').textContent()).toBe('Осталось 1 место из 1');

      await page.getByTestId('register').focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('registration-state').textContent(), poll).toBe('Вы записаны на этот семинар.');
      await expect.poll(() => page.getByTestId('seats').textContent(), poll).toMatch(/Мест нет/);
      const saved = await app.db.connection.collection('registrations').findOne({ seminarId: ids.wanted, userId: people.learner.id });
      expect(saved?.status).toBe('registered');

      // The .ics, downloaded and parsed back.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ics').click()]);
      const ics = await readFile(await download.path(), 'utf8');
      expect(parseEvents(ics)).toEqual([
        {
          uid: `seminar-${ids.wanted}@lectern`,
          summary: 'Первые клиенты без рекламного бюджета',
          tzid: 'Europe/Moscow',
          localStart: '2030-05-20T18:30:00',
          start: '2030-05-20T15:30:00.000Z',
        },
      ]);

      // The personal feed: its address, copied, serves the seminars this learner registered for.
      await page.getByTestId('feed-issue').click();
      const url = await page.getByTestId('feed-url').inputValue();
      expect(url).toMatch(/\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
      await page.getByTestId('feed-copy').click();
      await expect.poll(() => page.evaluate(() => (globalThis as any).navigator.clipboard.readText()), poll).toBe(url);
      const feed = await fetch(`${app.url}${new URL(url).pathname}`);
      expect(feed.status).toBe(200);
      const uids = parseEvents(await feed.text()).map((e) => e.uid);
      expect(uids).toContain(`seminar-${ids.wanted}@lectern`);
      expect(uids).not.toContain(`seminar-${ids.laterSameTrack}@lectern`);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a waitlisted learner sees their place, gets the freed seat, then the notification, and the unread count follows', async () => {
    const waiting = people.otherLearner;
    const { page, context, problems } = await openAs(waiting, `/seminars/${ids.wanted}`, { width: 360 });
    try {
      await page.getByTestId('register').waitFor();
      expect(await page.getByTestId('register').textContent()).toBe('Встать в лист ожидания');
      await page.getByTestId('register').click();
      await expect.poll(() => page.getByTestId('registration').getAttribute('data-status'), poll).toBe('waitlisted');
      expect(await page.getByTestId('registration-state').textContent()).toMatch(/1-й в очереди/);
      // Nothing unread yet: the header shows no count.
      expect(await page.getByTestId('unread-count').count()).toBe(0);

      // The registered learner gives the seat up, on their own page.
      const holder = await openAs(people.learner, `/seminars/${ids.wanted}`);
      try {
        await holder.page.getByTestId('unregister').click();
        await expect.poll(() => holder.page.getByTestId('register').count(), poll).toBe(1);
      } finally {
        await holder.context.close();
      }

      // The waiting page notices by itself (it asks again while waitlisted).
      await expect
        .poll(() => page.getByTestId('registration').getAttribute('data-status'), { timeout: 45_000, interval: 500 })
        .toBe('registered');
      const seat = await app.db.connection.collection('registrations').findOne({ seminarId: ids.wanted, userId: waiting.id });
      expect(seat?.status).toBe('registered');

      // To the inbox through the header: the count says 1, the promotion is there, unread.
      await page.getByTestId('notifications-link').focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('inbox').waitFor();
      await expect.poll(() => page.getByTestId('unread-count').textContent(), poll).toBe('1');
      const item = page.locator('[data-testid=notification][data-kind=promoted]');
      await item.waitFor();
      expect(await item.getAttribute('data-unread')).toBe('true');
      expect(await item.textContent()).toContain('Первые клиенты без рекламного бюджета');

      await item.getByTestId('mark-read').click();
      await expect.poll(() => item.getAttribute('data-unread'), poll).toBe('false');
      await expect.poll(() => page.getByTestId('unread-count').count(), poll).toBe(0);
      const doc = await app.db.connection.collection('notifications').findOne({ userId: waiting.id, kind: 'promoted' });
      expect(doc?.readAt).toBeInstanceOf(Date);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('links a live seminar to its room, and an ended one (and its ended watch page) to the recording', async () => {
    const { page, context, problems } = await openAs(people.learner, `/seminars/${ids.live}`);
    try {
      const live = page.getByTestId('watch-live');
      await live.waitFor();
      expect(await live.getAttribute('href')).toBe(`/watch/${ids.live}`);
      expect(await page.getByTestId('watch-recording').count()).toBe(0);

      await page.goto(`${app.url}/seminars/${ids.recorded}`);
      const recording = page.getByTestId('watch-recording');
      await recording.waitFor({ timeout: 30_000 });
      expect(await recording.getAttribute('href')).toBe(`/replay/${ids.recorded}`);
      expect(await page.getByTestId('watch-live').count()).toBe(0);

      // The watch page of the ended seminar points to the recording too, and it plays.
      await page.goto(`${app.url}/watch/${ids.recorded}`);
      const link = page.getByTestId('recording-link');
      await link.waitFor({ timeout: 30_000 });
      await link.click();
      await expect.poll(() => new URL(page.url()).pathname, poll).toBe(`/replay/${ids.recorded}`);
      await expect.poll(() => page.evaluate(() => (globalThis as any).lectern?.state()), poll).toBe('playing');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  const pages: Array<{ name: string; who: 'learner' | 'otherLearner' | null; path: () => string; ready: (p: Page) => Promise<unknown> }> = [
    {
      name: 'catalogue',
      who: null,
      path: () => '/seminars',
      ready: (p) => p.getByTestId('part-past').locator('[data-testid=seminar]').first().waitFor(),
    },
    {
      name: 'catalogue-filtered',
      who: 'learner',
      path: () => `/seminars?when=upcoming&track=${encodeURIComponent(TRACK)}&from=2030-05-01`,
      ready: (p) => p.getByTestId('part-upcoming').locator('[data-testid=seminar]').first().waitFor(),
    },
    { name: 'seminar', who: 'otherLearner', path: () => `/seminars/${ids.wanted}`, ready: (p) => p.getByTestId('registration').waitFor() },
    {
      name: 'seminar-missing',
      who: null,
      path: () => '/seminars/0123456789abcdef01234567',
      // Why it is not there, and the way back to the catalogue.
      ready: (p) => Promise.all([p.getByRole('alert').waitFor(), p.locator('main a[href="/seminars"]').waitFor()]),
    },
    { name: 'seminar-live', who: 'learner', path: () => `/seminars/${ids.live}`, ready: (p) => p.getByTestId('watch-live').waitFor() },
    {
      name: 'seminar-recorded',
      who: 'learner',
      path: () => `/seminars/${ids.recorded}`,
      ready: (p) => p.getByTestId('watch-recording').waitFor({ timeout: 30_000 }),
    },
    {
      name: 'notifications',
      who: 'otherLearner',
      path: () => '/notifications',
      ready: (p) => p.getByTestId('notification').first().waitFor(),
    },
  ];
  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const r of pages) {
        it(`${r.name}, ${lang}, ${width} px: no overflow, no serious axe violation`, async () => {
          const { page, context, problems } = await openAs(r.who ? people[r.who] : null, r.path(), { width, lang });
          try {
            await r.ready(page);
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            await page.screenshot({ path: path.join(shots, `${r.name}-${lang}-${width}.png`), fullPage: true });
            expect(await pageProblems(page)).toEqual([]);
            expect(problems).toEqual([]);
          } finally {
            await context.close();
          }
        }, 90_000);
      }
    }
  }
});
