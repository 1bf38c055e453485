// The account flows in Chromium, end to end: sign-up with consent, the confirmation link
// read from the mail file, seminar registration allowed only once confirmed, password reset,
// the profile (language, time zone, password), the data download parsed back, and account
// deletion with the database read afterwards. Each page at 360 and 1280 px, in Russian and
// English, with no horizontal scrolling and no serious axe violation; screenshots in
// test-artifacts/accounts/.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_NAME } from '../../server/accounts/personal-data';
import type { Lectern } from '../../server/main';
import { mailedLink, startAppAtKnownAddress } from '../support/accounts';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { LiveClient } from '../support/live-client';
import { pageProblems } from '../support/page-checks';

const shots = path.join(artifacts, 'accounts');
const PASSWORD = 'correct horse battery';
const slow = { timeout: 30_000 };

let app: Lectern;
let api: Api;
let browser: Browser;
let lecturer: TestUser;
let seminarId: string;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startAppAtKnownAddress('e2e_accounts'), launchChromium('playback')]);
  api = Api.of(app);
  lecturer = (await cast(api)).lecturer;
  const seminar = await api.call('POST', '/seminars', {
    token: lecturer.token,
    body: { title: 'Налоги для самозанятых', track: 'finance', startsAt: '2031-02-01T18:00', durationMinutes: 60, capacity: 10 },
  });
  seminarId = seminar.body.id;
  expect((await api.call('POST', `/seminars/${seminarId}/transitions`, { token: lecturer.token, body: { to: 'scheduled' } })).status).toBe(
    200,
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const users = () => app.db.connection.collection('users');
const count = (collection: string, userId: string) => app.db.connection.collection(collection).countDocuments({ userId });

/** A fresh tab at a width and language; page errors and CSP violations fail the test. */
async function open(
  route: string,
  opts: { width?: number; lang?: 'ru' | 'en'; token?: string } = {},
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, route, problems);
  if (opts.token) await signInPage(page, opts.token);
  const query = opts.lang === 'en' ? `${route.includes('?') ? '&' : '?'}lang=en` : '';
  await page.goto(`${app.url}${route}${query}`);
  return { page, problems };
}

/** The tab's access token, as the session keeps it. */
async function tokenOf(page: Page): Promise<string> {
  const raw = await page.evaluate(() => (globalThis as any).sessionStorage.getItem('lectern.session') as string | null);
  return (JSON.parse(raw!) as { accessToken: string }).accessToken;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

describe('sign-up', () => {
  it('signs up with consent, is refused a seminar until the mailed link confirms the address, then signs in and registers', async () => {
    const email = `signup-${Date.now()}@test.lectern`;
    const { page, problems } = await open('/sign-in');
    try {
      await page.getByRole('link', { name: 'Зарегистрироваться' }).click();
      await page.waitForURL(/\/sign-up$/);
      await page.getByLabel('Имя и фамилия').fill('Анна Петрова');
      await page.getByLabel('Эл. почта').fill(email);
      await page.getByLabel('Пароль').fill('short');
      await page.getByRole('button', { name: 'Создать учётную запись' }).click();
      // The server's refusals, beside their fields, in Russian; nothing is created.
      const consentError = page.locator('.field.check .field-error');
      await expect.poll(() => consentError.textContent(), slow).toBe('Без согласия зарегистрироваться нельзя.');
      expect(await page.locator('.field.invalid input[name=password] ~ .field-error').textContent()).toBe('Не короче 10 символов.');
      expect(await page.locator('input[name=password]').getAttribute('aria-invalid')).toBe('true');
      await shoot(page, 'sign-up-errors-ru-1280');
      expect(await users().countDocuments({ email })).toBe(0);

      await page.getByLabel('Пароль').fill(PASSWORD);
      await page.locator('input[name=consent]').check();
      await page.getByRole('button', { name: 'Создать учётную запись' }).click();
      await page.getByTestId('signed-up').waitFor(slow);
      const stored = await users().findOne({ email });
      expect(stored?.emailConfirmedAt).toBeNull();
      expect(stored?.consent?.policyVersion).toBe(app.config.privacyPolicy.version);
      expect(Date.now() - (stored?.consent?.at as Date).getTime()).toBeLessThan(60_000);

      // Signed in, but not yet allowed a seat.
      const early = await api.call('PUT', `/seminars/${seminarId}/registration`, { token: await tokenOf(page) });
      expect(early.status).toBe(403);
      expect(early.body.error.code).toBe('email_not_confirmed');
      expect(await app.db.connection.collection('registrations').countDocuments({ seminarId, userId: String(stored!._id) })).toBe(0);

      const link = await mailedLink(app, email, '/confirm-email');
      expect(link.startsWith(`${app.config.publicBaseUrl}/confirm-email?token=`)).toBe(true);
      await page.goto(link);
      await page.getByTestId('confirmed').waitFor(slow);
      expect((await users().findOne({ email }))?.emailConfirmedAt).toBeInstanceOf(Date);
      // The link works once.
      await page.goto(link);
      await expect
        .poll(() => page.getByTestId('confirm-error').textContent(), slow)
        .toBe('Ссылка недействительна: она уже использована, устарела или скопирована не полностью.');

      // Signs out and in again through the sign-in page.
      await page.getByTestId('sign-out').click();
      await page.goto(`${app.url}/sign-in`);
      await page.getByLabel('Эл. почта').fill(email);
      await page.getByLabel('Пароль').fill(PASSWORD);
      await page.getByRole('button', { name: 'Войти' }).click();
      await expect.poll(() => page.getByTestId('profile-link').textContent(), slow).toBe('Анна Петрова');
      const registered = await api.call('PUT', `/seminars/${seminarId}/registration`, { token: await tokenOf(page) });
      expect(registered.status).toBe(200);
      expect(registered.body.status).toBe('registered');
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 120_000);
});

describe('password reset', () => {
  it('mails a single-use link stored only as a hash, sets the new password and ends the old sessions', async () => {
    const user = await registerUser(api);
    const { page, problems } = await open('/sign-in', { width: 360 });
    try {
      await page.getByRole('link', { name: 'Забыли пароль?' }).click();
      // The sign-in form has an e-mail field of the same name: wait until the reset form has
      // replaced it (its page loads lazily), or the address goes into the old one.
      await page.getByRole('button', { name: 'Прислать ссылку' }).waitFor(slow);
      await page.getByLabel('Эл. почта').fill(user.email);
      await page.getByRole('button', { name: 'Прислать ссылку' }).click();
      await page.getByTestId('reset-sent').waitFor(slow);
      const link = await mailedLink(app, user.email, '/reset-password');
      const token = new URL(link).searchParams.get('token')!;
      // Only the hash is kept; it expires within the hour.
      const stored = await app.db.connection.collection('account_tokens').findOne({ userId: user.id, purpose: 'password_reset' });
      expect(stored?.hash).toBe(createHash('sha256').update(token).digest('base64url'));
      expect(JSON.stringify(await app.db.connection.collection('account_tokens').find({}).toArray())).not.toContain(token);
      expect((stored!.expiresAt as Date).getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
      expect((stored!.expiresAt as Date).getTime() - Date.now()).toBeGreaterThan(3_000_000);

      await page.goto(link);
      await page.locator('#reset input[name=password]').fill('short');
      await page.getByRole('button', { name: 'Сохранить пароль' }).click();
      await expect.poll(() => page.locator('.field-error').first().textContent(), slow).toBe('Не короче 10 символов.');
      await page.locator('#reset input[name=password]').fill('a brand new passphrase');
      await page.getByRole('button', { name: 'Сохранить пароль' }).click();
      await page.getByTestId('reset-done').waitFor(slow);

      expect((await api.call('POST', '/auth/login', { body: { email: user.email, password: 'a brand new passphrase' } })).status).toBe(200);
      expect((await api.call('POST', '/auth/login', { body: { email: user.email, password: PASSWORD } })).status).toBe(401);
      expect((await api.call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(401);

      // The same link a second time changes nothing.
      await page.goto(link);
      await page.locator('#reset input[name=password]').fill('someone else’s password');
      await page.getByRole('button', { name: 'Сохранить пароль' }).click();
      await expect
        .poll(() => page.locator('.form-error').textContent(), slow)
        .toBe('Ссылка недействительна: она уже использована, устарела или скопирована не полностью.');
      expect((await api.call('POST', '/auth/login', { body: { email: user.email, password: 'a brand new passphrase' } })).status).toBe(200);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 120_000);
});

describe('profile', () => {
  it('saves name, language and time zone; the language drives the interface; the password changes', async () => {
    const user = await registerUser(api, { displayName: 'Олег' });
    const { page, problems } = await open('/profile', { token: user.token, width: 360 });
    try {
      await page.getByLabel('Имя').fill('Олег Смирнов');
      await page.getByLabel('Язык интерфейса').selectOption('en');
      await page.getByLabel('Часовой пояс').selectOption('Asia/Yekaterinburg');
      await page.getByRole('button', { name: 'Сохранить' }).click();
      await expect.poll(() => page.locator('h1').textContent(), slow).toBe('Profile');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      const stored = await users().findOne({ email: user.email });
      expect(stored).toMatchObject({ displayName: 'Олег Смирнов', locale: 'en', timeZone: 'Asia/Yekaterinburg' });
      expect(await page.getByTestId('profile-link').textContent()).toBe('Олег Смирнов');

      // Refusals in the language now chosen.
      await page.getByLabel('Current password').fill('not my password');
      await page.getByLabel('New password').fill('another long passphrase');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect.poll(() => page.locator('#password .form-error').textContent(), slow).toBe('The password is wrong.');
      const oldHash = (await users().findOne({ email: user.email }))!.passwordHash as string;
      await page.getByLabel('Current password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Change password' }).click();
      // Waits on the database, not on sign-ins: polling the login would spend the address's
      // sign-in budget (30 a quarter hour) and leave later tests a 429.
      await expect.poll(async () => (await users().findOne({ email: user.email }))!.passwordHash, slow).not.toBe(oldHash);
      expect((await api.call('POST', '/auth/login', { body: { email: user.email, password: 'another long passphrase' } })).status).toBe(
        200,
      );
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 120_000);
});

describe('personal data', () => {
  it('downloads everything held about the user, then deletes the account: chat and questions stay anonymous, the rest is gone', async () => {
    const user = await registerUser(api, { displayName: 'Мария Удаляемая' });
    const other = await registerUser(api);
    expect((await api.call('PUT', `/seminars/${seminarId}/registration`, { token: user.token })).status).toBe(200);
    const seatsBefore = (await app.repos.seminars.get(seminarId))!.registeredCount;
    const room = await LiveClient.connect(app.url, user.token);
    await room.ok('room:join', { seminarId });
    await room.ok('chat:send', { text: 'Сообщение, которое останется анонимным' });
    await room.ok('question:ask', { text: 'Вопрос, который останется в записи?' });
    room.close();
    const voter = await LiveClient.connect(app.url, other.token);
    voter.close();
    expect(
      (
        await api.call('POST', '/progress/heartbeats', {
          token: user.token,
          body: { contentId: seminarId, intervals: [[0, 30]], position: 30, durationSeconds: 600, sentAt: Date.now() },
        })
      ).status,
    ).toBeLessThan(300);
    await app.domain.progress.flush();

    const { page, problems } = await open('/profile', { token: user.token });
    try {
      await page.getByTestId('download-data').waitFor(slow);
      const [download] = await Promise.all([page.waitForEvent('download', slow), page.getByTestId('download-data').click()]);
      expect(download.suggestedFilename()).toBe('lectern-personal-data.json');
      const data = JSON.parse(await readFile(await download.path(), 'utf8'));
      expect(data.user).toMatchObject({ id: user.id, email: user.email, displayName: 'Мария Удаляемая', timeZone: 'Europe/Moscow' });
      expect(data.user.consent.policyVersion).toBe(app.config.privacyPolicy.version);
      expect(data.registrations).toHaveLength(1);
      expect(data.registrations[0].seminarId).toBe(seminarId);
      expect(data.chat.map((c: { text: string }) => c.text)).toEqual(['Сообщение, которое останется анонимным']);
      expect(data.questions.map((q: { text: string }) => q.text)).toEqual(['Вопрос, который останется в записи?']);
      expect(data.progress).toHaveLength(1);
      expect(data.sessions.length).toBeGreaterThan(0);
      const text = JSON.stringify(data);
      expect(text).not.toContain('scrypt$');
      expect(text).not.toContain(user.refreshToken);

      // A wrong password deletes nothing.
      await page.getByLabel('Пароль для подтверждения').fill('not my password');
      await page.locator('input[name=understood]').check();
      await page.getByRole('button', { name: 'Удалить учётную запись' }).click();
      await expect.poll(() => page.locator('#delete-account .form-error').textContent(), slow).toBe('Неверный пароль.');
      expect(await users().countDocuments({ email: user.email })).toBe(1);

      await page.getByLabel('Пароль для подтверждения').fill(PASSWORD);
      await page.getByRole('button', { name: 'Удалить учётную запись' }).click();
      await page.waitForURL(`${app.url}/`, slow);
      await shoot(page, 'after-deletion-ru-1280');
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }

    expect(await users().countDocuments({ email: user.email })).toBe(0);
    for (const collection of [
      'registrations',
      'progress',
      'refresh_tokens',
      'enrolments',
      'notifications',
      'live_attendance',
      'account_tokens',
    ])
      expect(await count(collection, user.id), collection).toBe(0);
    const chat = await app.db.connection.collection('live_chat').findOne({ text: 'Сообщение, которое останется анонимным' });
    expect(chat).toMatchObject({ displayName: ANONYMOUS_NAME });
    expect(chat!.userId).not.toBe(user.id);
    const question = await app.db.connection.collection('live_questions').findOne({ text: 'Вопрос, который останется в записи?' });
    expect(question).toMatchObject({ displayName: ANONYMOUS_NAME });
    expect(question!.userId).not.toBe(user.id);
    // The seat went back.
    expect((await app.repos.seminars.get(seminarId))!.registeredCount).toBe(seatsBefore - 1);
    expect((await api.call('POST', '/auth/login', { body: { email: user.email, password: PASSWORD } })).status).toBe(401);
    // The access token the deleted account still held writes nothing back.
    const late = await api.call('POST', '/progress/heartbeats', {
      token: user.token,
      body: { contentId: seminarId, intervals: [[30, 60]], position: 60, durationSeconds: 600, sentAt: Date.now() },
    });
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('token_revoked');
    expect((await api.call('PUT', `/seminars/${seminarId}/registration`, { token: user.token })).status).toBe(401);
    await app.domain.progress.flush();
    expect(await count('progress', user.id)).toBe(0);
    expect(await count('registrations', user.id)).toBe(0);
  }, 120_000);
});

describe('every account page at 360 and 1280 px, in Russian and English', () => {
  let unconfirmed: TestUser;
  beforeAll(async () => {
    unconfirmed = await registerUser(api, { displayName: 'Константин Константинопольский-Длиннофамильный', confirmed: false });
  });

  const pages: Array<{ name: string; route: string; signedIn?: boolean; ready: (p: Page) => Promise<unknown> }> = [
    { name: 'sign-in', route: '/sign-in', ready: (p) => p.locator('#sign-in').waitFor(slow) },
    { name: 'sign-up', route: '/sign-up', ready: (p) => p.locator('#sign-up a[href="/privacy"]').waitFor(slow) },
    { name: 'forgot-password', route: '/forgot-password', ready: (p) => p.locator('#forgot').waitFor(slow) },
    {
      name: 'reset-password',
      route: '/reset-password?token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      ready: (p) => p.locator('#reset').waitFor(slow),
    },
    {
      name: 'confirm-email',
      route: '/confirm-email?token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      ready: (p) => p.getByTestId('confirm-error').waitFor(slow),
    },
    { name: 'privacy', route: '/privacy', ready: (p) => p.getByTestId('policy').waitFor(slow) },
    { name: 'profile', route: '/profile', signedIn: true, ready: (p) => p.getByTestId('email-unconfirmed').waitFor(slow) },
    { name: 'oidc-callback', route: '/sign-in/oidc', ready: (p) => p.getByTestId('oidc-error').waitFor(slow) },
  ];

  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const p of pages) {
        it(`${p.name}, ${lang}, ${width} px`, async () => {
          const { page, problems } = await open(p.route, { width, lang, ...(p.signedIn ? { token: unconfirmed.token } : {}) });
          try {
            await p.ready(page);
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            await shoot(page, `${p.name}-${lang}-${width}`);
            expect(await pageProblems(page)).toEqual([]);
            expect(problems).toEqual([]);
          } finally {
            await page.context().close();
          }
        }, 60_000);
      }
    }
  }
});
