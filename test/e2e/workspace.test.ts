import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import jwt from 'jsonwebtoken';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantsFor } from '../../server/accounts/grants';
import type { Lectern } from '../../server/main';
import { Api, cast, login, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// The workspace in Chromium (issue 13): a lecturer creates and schedules a seminar with
// a co-lecturer and a registration question, a learner registers answering it, the
// lecturer moves the seminar and the learner is told (in the database and by mail), the
// registrations CSV is downloaded and parsed back; an admin finds a user, grants the
// lecturer role (the user's open page picks it up at its token refresh) and disables an
// account. Then every workspace page at 360 and 1280 px, in Russian and English.

const shots = path.join(artifacts, 'workspace');
const poll = { timeout: 30_000, interval: 200 };
const PASSWORD = 'correct horse battery';

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let coLecturer: TestUser;
let seminarId: string;

async function openAs(token: string | null, url: string, opts: { width?: number; session?: object } = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, url, problems);
  if (opts.session) {
    await page.addInitScript((s) => (globalThis as any).sessionStorage.setItem('lectern.session', s), JSON.stringify(opts.session));
  } else if (token) await signInPage(page, token);
  await page.goto(`${app.url}${url}`);
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

async function mails(): Promise<string[]> {
  const dir = path.join(app.config.dataDir, 'mail');
  const files = await readdir(dir).catch(() => []);
  return Promise.all(files.sort().map((f) => readFile(path.join(dir, f), 'utf8')));
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_workspace', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  api = Api.of(app);
  people = await cast(api);
  const maria = await registerUser(api, { displayName: 'Мария Соколова' });
  expect((await api.call('PUT', `/users/${maria.id}/roles`, { token: people.admin.token, body: { roles: ['lecturer'] } })).status).toBe(
    200,
  );
  coLecturer = await login(api, maria.email);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the lecturer’s workspace', () => {
  it('creates and schedules a seminar with a co-lecturer and a question; a learner answers it; a move reaches the learner', async () => {
    const page = await openAs(people.lecturer.token, '/workspace');
    try {
      await page.getByTestId('new-seminar').click();
      const form = page.getByTestId('seminar-form');
      await form.waitFor();
      // The zone picker starts on Moscow.
      expect(await page.getByTestId('time-zone').inputValue()).toBe('Europe/Moscow');

      await page.getByLabel('Название', { exact: true }).fill('Ну');
      await page.getByLabel('Направление', { exact: true }).fill('Маркетинг');
      await page.getByLabel('Начало (по местному времени зоны)').fill('2031-09-15T18:30');
      await page.getByLabel('Мест', { exact: true }).fill('20');
      // The co-lecturer, found by name among lecturers, chosen from the keyboard.
      await page.getByTestId('lecturer-search').fill('Мария');
      const add = page.getByRole('button', { name: 'Добавить Мария Соколова' });
      await add.waitFor(poll);
      await add.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('lecturers').locator('li').count(), poll).toBe(2);
      // A required text question and an optional choice.
      await page.getByTestId('add-question').click();
      await page.getByLabel('Текст вопроса').fill('Компания и ИНН');
      await page.getByTestId('question').getByLabel('Обязательный').check();
      await page.getByTestId('add-question').click();
      await page.getByTestId('question').nth(1).getByLabel('Текст вопроса').fill('Стадия бизнеса');
      await page.getByTestId('question').nth(1).getByLabel('Тип ответа').selectOption('choice');
      await page.getByTestId('question').nth(1).getByLabel('Варианты (по одному в строке)').fill('Идея\nПервые продажи\nРост');

      // The server refuses the two-letter title: the error shows beside the field, which takes the focus.
      await page.getByRole('button', { name: 'Создать черновик' }).click();
      const title = page.getByLabel('Название', { exact: true });
      await expect.poll(() => title.getAttribute('aria-invalid'), poll).toBe('true');
      expect(await page.locator('.field.invalid .field-error').first().textContent()).toBe('От 3 до 200 символов.');
      expect(await title.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
      expect(await app.repos.seminars.list({ statuses: ['draft'], draftsOf: 'all' }, 100)).toMatchObject({ items: [] });

      // Fixed, and sent from the keyboard.
      await title.fill('Продвижение малого бизнеса в соцсетях');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${app.url}/workspace`, poll);
      const draft = page.locator('[data-testid=my-seminar][data-status=draft]');
      await draft.waitFor(poll);
      seminarId = (await draft.getAttribute('data-id'))!;
      expect(problemsOf(page)).toEqual([]);

      await draft.getByTestId('schedule').click();
      await page.locator(`[data-testid=my-seminar][data-status=scheduled][data-id="${seminarId}"]`).waitFor(poll);
      const stored = (await app.repos.seminars.get(seminarId))!;
      expect(stored).toMatchObject({
        status: 'scheduled',
        title: 'Продвижение малого бизнеса в соцсетях',
        timeZone: 'Europe/Moscow',
        capacity: 20,
        lecturerIds: [people.lecturer.id, coLecturer.id],
      });
      expect(stored.startsAt.toISOString()).toBe('2031-09-15T15:30:00.000Z');
      expect(stored.questions).toEqual([
        { id: 'q1', label: 'Компания и ИНН', kind: 'text', required: true, options: [] },
        { id: 'q2', label: 'Стадия бизнеса', kind: 'choice', required: false, options: ['Идея', 'Первые продажи', 'Рост'] },
      ]);
    } finally {
      await page.context().close();
    }

    // The learner registers on the portal's seminar page, answering the questions.
    const learnerPage = await openAs(people.learner.token, `/seminars/${seminarId}`);
    try {
      const reg = learnerPage.getByTestId('registration-form');
      await reg.waitFor(poll);
      await reg.getByRole('button', { name: 'Записаться' }).click();
      const company = reg.getByLabel('Компания и ИНН');
      await expect.poll(() => company.getAttribute('aria-invalid'), poll).toBe('true');
      expect(await app.repos.registrations.find(seminarId, people.learner.id)).toBeNull();
      await company.fill('ООО «Ромашка», ИНН 7801234567');
      await reg.getByLabel(/Стадия бизнеса/).selectOption('Рост');
      await reg.getByRole('button', { name: 'Записаться' }).click();
      // The seminar page's registration panel takes over from the form: registered, with a cancel button.
      await learnerPage.locator('[data-testid=registration][data-status=registered]').waitFor(poll);
      expect(await app.repos.registrations.find(seminarId, people.learner.id)).toMatchObject({
        status: 'registered',
        answers: { q1: 'ООО «Ромашка», ИНН 7801234567', q2: 'Рост' },
      });
      expect(problemsOf(learnerPage)).toEqual([]);
    } finally {
      await learnerPage.context().close();
    }

    // The lecturer moves it to the next morning; the learner is told.
    const again = await openAs(people.lecturer.token, '/workspace');
    try {
      const item = again.locator(`[data-testid=my-seminar][data-id="${seminarId}"]`);
      await item.getByTestId('edit').click();
      const start = again.getByLabel('Начало (по местному времени зоны)');
      await expect.poll(() => start.inputValue(), poll).toBe('2031-09-15T18:30');
      await start.fill('2031-09-16T11:00');
      await again.getByRole('button', { name: 'Сохранить' }).click();
      await again.waitForURL(`${app.url}/workspace`, poll);
      expect((await app.repos.seminars.get(seminarId))!.startsAt.toISOString()).toBe('2031-09-16T08:00:00.000Z');
      await app.domain.notifications.tick();
      const inbox = await api.call('GET', '/me/notifications', { token: people.learner.token });
      expect(inbox.body.items).toEqual([
        expect.objectContaining({ kind: 'rescheduled', seminarId, title: 'Перенесён: «Продвижение малого бизнеса в соцсетях»' }),
      ]);
      const mail = (await mails()).find((m) => m.includes(`To: ${people.learner.email}`));
      expect(mail).toBeDefined();

      // The registrations, with the answers, and the CSV parsed back.
      await again.locator(`[data-testid=my-seminar][data-id="${seminarId}"]`).getByTestId('registrations').click();
      const row = again.getByTestId('registrant');
      await row.waitFor(poll);
      expect(await row.textContent()).toContain('ООО «Ромашка», ИНН 7801234567');
      const [download] = await Promise.all([again.waitForEvent('download'), again.getByTestId('csv').click()]);
      const bytes = await readFile(await download.path());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const rows: string[][] = parse(bytes, { bom: true });
      expect(rows[0]).toEqual(['Имя', 'E-mail', 'Статус', 'Дата записи (Europe/Moscow)', 'Компания и ИНН', 'Стадия бизнеса']);
      expect(rows.slice(1)).toEqual([
        ['Тестовый Пользователь', people.learner.email, 'registered', expect.any(String), 'ООО «Ромашка», ИНН 7801234567', 'Рост'],
      ]);
      expect(problemsOf(again)).toEqual([]);
    } finally {
      await again.context().close();
    }
  }, 240_000);
});

describe('the admin’s users', () => {
  it('finds a user and grants the lecturer role, which their open page picks up; then disables an account', async () => {
    const target = await registerUser(api, { displayName: 'Сергей Новиков' });
    // The target's page is open, signed in with an access token that expires in two minutes:
    // the page refreshes it one minute before, and the fresh token carries the new role.
    const shortToken = jwt.sign({ roles: ['learner'], scope: grantsFor(['learner']).join(' ') }, app.config.jwtSecret, {
      algorithm: 'HS256',
      subject: target.id,
      issuer: 'lectern',
      audience: 'lectern-api',
      expiresIn: 120,
    });
    const targetPage = await openAs(null, '/', {
      session: { accessToken: shortToken, refreshToken: target.refreshToken, displayName: 'Сергей Новиков' },
    });
    const adminPage = await openAs(people.admin.token, '/workspace/users');
    try {
      await targetPage.getByTestId('sign-out').waitFor(poll);
      expect(await targetPage.getByTestId('nav-workspace').count()).toBe(0);

      await adminPage.getByTestId('user-search').fill(target.email);
      await adminPage.keyboard.press('Enter');
      const found = adminPage.locator(`[data-testid=user][data-id="${target.id}"]`);
      await found.waitFor(poll);
      // The unfiltered list (newest first) shows the target too until the search's answer replaces it.
      await expect.poll(() => adminPage.getByTestId('user').count(), poll).toBe(1);
      await found.getByRole('link', { name: 'Сергей Новиков' }).click();
      await adminPage.getByTestId('user-page').waitFor(poll);
      await adminPage.getByTestId('role-lecturer').check();
      await adminPage.getByRole('button', { name: 'Сохранить роли' }).click();
      await expect.poll(async () => (await app.repos.users.findById(target.id))!.roles.sort(), poll).toEqual(['learner', 'lecturer']);

      // Without signing in again, the target's page shows the lecturer's link.
      await expect.poll(() => targetPage.getByTestId('nav-workspace').count(), { timeout: 100_000, interval: 500 }).toBe(1);
      expect(problemsOf(targetPage)).toEqual([]);

      // Disabled, after a confirmation: sign-in refused with a code, the refresh token revoked.
      adminPage.once('dialog', (d) => void d.accept());
      await adminPage.getByTestId('toggle-disabled').click();
      await expect
        .poll(() => adminPage.getByTestId('account-state').textContent(), poll)
        .toBe('Учётная запись отключена: вход невозможен.');
      expect((await app.repos.users.findById(target.id))!.disabled).toBe(true);
      const signIn = await api.call('POST', '/auth/login', { body: { email: target.email, password: PASSWORD } });
      expect(signIn.status).toBe(403);
      expect(signIn.body.error.code).toBe('account_disabled');
      expect(problemsOf(adminPage)).toEqual([]);
    } finally {
      await targetPage.context().close();
      await adminPage.context().close();
    }
  }, 240_000);
});

describe('every workspace page at 360 and 1280 px, in Russian and English', () => {
  const pages: Array<{ name: string; who: () => string; path: () => string; ready: string }> = [
    { name: 'my-seminars', who: () => people.lecturer.token, path: () => '/workspace', ready: '[data-testid=my-seminar]' },
    { name: 'new-seminar', who: () => people.lecturer.token, path: () => '/workspace/seminars/new', ready: '[data-testid=seminar-form]' },
    {
      name: 'edit-seminar',
      who: () => people.lecturer.token,
      path: () => `/workspace/seminars/${seminarId}`,
      ready: '[data-testid=question]',
    },
    {
      name: 'registrations',
      who: () => people.lecturer.token,
      path: () => `/workspace/seminars/${seminarId}/registrations`,
      ready: '[data-testid=registrant]',
    },
    { name: 'users', who: () => people.admin.token, path: () => '/workspace/users', ready: '[data-testid=user]' },
    {
      name: 'user',
      who: () => people.admin.token,
      path: () => `/workspace/users/${people.learner.id}`,
      ready: '[data-testid=user-registrations] li',
    },
    {
      name: 'registration-form',
      who: () => people.otherLearner.token,
      path: () => `/seminars/${seminarId}`,
      ready: '[data-testid=registration-form] select',
    },
  ];
  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const p of pages) {
        it(`${p.name}, ${lang}, ${width} px`, async () => {
          expect(seminarId, 'the lecturer’s test made the seminar').toBeDefined();
          const page = await openAs(p.who(), `${p.path()}?lang=${lang}`, { width });
          try {
            await page.locator(p.ready).first().waitFor(poll);
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            await page.screenshot({ path: path.join(shots, `${p.name}-${lang}-${width}.png`), fullPage: true });
            expect(await pageProblems(page)).toEqual([]);
            expect(problemsOf(page)).toEqual([]);
          } finally {
            await page.context().close();
          }
        }, 90_000);
      }
    }
  }
});
