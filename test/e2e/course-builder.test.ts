import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mongo } from 'mongoose';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import ruWorkspace from '../../web/src/locales/ru/workspace';
import ruCommon from '../../web/src/locales/ru/common';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// The course builder in Chromium (issue 13): a lecturer creates an empty course (publishing
// it is refused before the click, with the reason shown), adds modules, text lessons written
// in Markdown with the server's preview, and a recording from the unattached list; arranges
// them by dragging (SortableJS) and by the keyboard's "up"/"down" buttons (focus kept, the
// new place announced); saves and publishes. The order is then read back from the API and
// the database, and the learner's course page lists the lessons in it. A refusal that comes
// anyway (the course emptied elsewhere) shows its text. Then the pages at 360 and 1280 px,
// in Russian and English.

const shots = path.join(artifacts, 'workspace');
const poll = { timeout: 30_000, interval: 200 };
const ru = ruWorkspace.builder;

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let recorded: string;

async function open(token: string, url: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, url, problems);
  await signInPage(page, token);
  await page.goto(`${app.url}${url}`);
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}
const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

/** Drags an item by its handle onto the upper or lower edge of another, with the mouse, in small steps as a person would. */
async function drag(page: Page, handle: Locator, target: Locator, where: 'above' | 'below'): Promise<void> {
  const from = (await handle.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 4, from.y + from.height / 2 + 6, { steps: 4 });
  const to = (await target.boundingBox())!;
  const y = where === 'above' ? to.y + Math.min(8, to.height / 4) : to.y + to.height - Math.min(8, to.height / 4);
  await page.mouse.move(to.x + to.width / 2, y, { steps: 25 });
  await page.waitForTimeout(200);
  await page.mouse.move(to.x + to.width / 2, y + (where === 'above' ? -1 : 1), { steps: 2 });
  await page.mouse.up();
}

/** The builder's order as it shows: module titles, and each module's lesson titles. */
async function shownOrder(page: Page): Promise<Array<[string, string[]]>> {
  const modules = page.getByTestId('module');
  const out: Array<[string, string[]]> = [];
  for (let i = 0; i < (await modules.count()); i++) {
    const m = modules.nth(i);
    const lessons = await m.getByTestId('lesson').evaluateAll((els) => els.map((el) => el.getAttribute('data-title') ?? ''));
    out.push([await m.getByTestId('module-title').inputValue(), lessons]);
  }
  return out;
}

const lesson = (page: Page, title: string) => page.locator(`[data-testid=lesson][data-title="${title}"]`);

const activeLabel = (page: Page) => page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('aria-label') as string);
const spoken = (page: Page) =>
  page.evaluate(() => (globalThis as any).document.querySelector('.visually-hidden[aria-live]')?.textContent ?? '');

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_course_builder'), launchChromium('playback')]);
  api = Api.of(app);
  people = await cast(api);
  // A seminar of the lecturer's that was recorded and belongs to no course: an unattached recording.
  const res = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: {
      title: 'Разбор бизнес-плана',
      track: 'finance',
      startsAt: '2030-05-01T18:00',
      durationMinutes: 60,
      capacity: 10,
      isPublic: true,
    },
  });
  recorded = res.body.id;
  expect(
    (await api.call('POST', `/seminars/${recorded}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
  ).toBe(200);
  const recordingId = randomBytes(12).toString('hex');
  await app.repos.recordings.create({
    id: recordingId,
    seminarId: recorded,
    dir: `${recorded}/${recordingId}`,
    startedAt: new Date(),
    videoCodec: 'video/H264',
    nodeId: null,
  });
  await app.repos.recordings.update(recordingId, { status: 'ready', durationSeconds: 1800 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the course builder', () => {
  let courseId: string;

  it('builds a course by drag and drop and by keyboard, publishes it, and the learner sees that order', async () => {
    const page = await open(people.lecturer.token, '/workspace');
    try {
      // From the workspace's navigation to "my courses", and a new, empty course.
      await page.getByTestId('nav-courses').click();
      const create = page.getByTestId('new-course');
      await create.getByLabel(ruWorkspace.courses.courseTitle).fill('Финансы для начинающих');
      await create.getByLabel(ruWorkspace.courses.track).fill('finance');
      await create.locator('button[type=submit]').click();
      await page.waitForURL(/\/workspace\/courses\/[0-9a-f]{24}$/, { timeout: 30_000 });
      courseId = page.url().split('/').pop()!;

      // Publishing an empty course is refused before the click, and the page says why.
      const publish = page.getByTestId('publish');
      await publish.waitFor();
      expect(await publish.isDisabled()).toBe(true);
      expect(await page.getByTestId('publish-reason').textContent()).toBe(ru.cannotPublishEmpty);
      expect(await publish.getAttribute('aria-describedby')).toBe('cb-publish-reason');

      // Two modules, named.
      await page.getByTestId('add-module').click();
      await page.getByTestId('add-module').click();
      await page.getByTestId('module-title').nth(0).fill('Основы');
      await page.getByTestId('module-title').nth(1).fill('Практика');

      // A text lesson written in Markdown, previewed as the server renders it.
      const first = page.getByTestId('module').nth(0);
      await first.getByTestId('add-text').click();
      await lesson(page, ru.newText).getByTestId('edit-lesson').click();
      const editor = page.getByTestId('lesson-editor');
      await editor.getByTestId('lesson-title').fill('Доходы и расходы');
      await editor.getByTestId('lesson-body').fill('# Доходы и расходы\n\n## Учёт\n\n**Важно**: вести книгу учёта. <b>сырой HTML</b>');
      await editor.getByTestId('preview-tab').click();
      const preview = editor.getByTestId('lesson-preview');
      await preview.locator('h3').waitFor({ timeout: 30_000 });
      expect(await preview.locator('h3').textContent()).toBe('Учёт');
      expect(await preview.locator('strong').textContent()).toBe('Важно');
      // The repeated title is left out and raw HTML stays text, as on the lesson's page.
      expect(await preview.locator('h2, b').count()).toBe(0);
      expect(await preview.textContent()).toContain('<b>сырой HTML</b>');
      await lesson(page, 'Доходы и расходы').getByTestId('edit-lesson').click();

      await first.getByTestId('add-text').click();
      await lesson(page, ru.newText).getByTestId('edit-lesson').click();
      await page.getByTestId('lesson-editor').getByTestId('lesson-title').fill('Налоги');
      await lesson(page, 'Налоги').getByTestId('edit-lesson').click();

      // A recording from the unattached list, then one more text lesson, in the second module.
      const second = page.getByTestId('module').nth(1);
      await second.getByTestId('recording-choice').selectOption({ label: 'Разбор бизнес-плана (30 мин)' });
      await second.getByTestId('attach').click();
      await second.getByTestId('add-text').click();
      await lesson(page, ru.newText).getByTestId('edit-lesson').click();
      await page.getByTestId('lesson-editor').getByTestId('lesson-title').fill('Итоги');
      await lesson(page, 'Итоги').getByTestId('edit-lesson').click();
      // A recording taken is offered no more.
      expect(await page.getByTestId('recording-choice').count()).toBe(0);
      expect(await shownOrder(page)).toEqual([
        ['Основы', ['Доходы и расходы', 'Налоги']],
        ['Практика', ['Разбор бизнес-плана', 'Итоги']],
      ]);

      // Drag and drop: a lesson into the other module, then a whole module above the other.
      await drag(page, lesson(page, 'Итоги').getByTestId('lesson-handle'), lesson(page, 'Доходы и расходы'), 'above');
      await expect
        .poll(() => shownOrder(page), poll)
        .toEqual([
          ['Основы', ['Итоги', 'Доходы и расходы', 'Налоги']],
          ['Практика', ['Разбор бизнес-плана']],
        ]);
      await drag(page, page.getByTestId('module').nth(1).getByTestId('module-handle'), page.getByTestId('module').nth(0), 'above');
      await expect
        .poll(() => shownOrder(page), poll)
        .toEqual([
          ['Практика', ['Разбор бизнес-плана']],
          ['Основы', ['Итоги', 'Доходы и расходы', 'Налоги']],
        ]);

      // The keyboard: "up" twice on a lesson; the focus stays on its button and the place is announced.
      const up = `Урок «Налоги» выше`;
      await page.getByRole('button', { name: up }).focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => activeLabel(page), poll).toBe(up);
      await expect.poll(() => spoken(page), poll).toBe('«Налоги»: место 2 из 3 в модуле «Основы».');
      await page.keyboard.press('Enter');
      await expect.poll(() => spoken(page), poll).toBe('«Налоги»: место 1 из 3 в модуле «Основы».');
      await expect.poll(() => activeLabel(page), poll).toBe(up);
      // A module up: at the top its "up" is disabled, so the focus moves to its "down".
      await page.getByRole('button', { name: 'Модуль «Основы» выше' }).focus();
      await page.keyboard.press('Space');
      await expect.poll(() => activeLabel(page), poll).toBe('Модуль «Основы» ниже');
      await expect.poll(() => spoken(page), poll).toBe('Модуль «Основы»: место 1 из 2.');
      // A lesson down past its module's end lands at the start of the next one.
      await page.getByRole('button', { name: 'Урок «Доходы и расходы» ниже' }).focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => spoken(page), poll).toBe('«Доходы и расходы»: место 1 из 2 в модуле «Практика».');
      // Its element moved to another list: the focus follows once it has rendered there.
      await expect.poll(() => activeLabel(page), poll).toBe('Урок «Доходы и расходы» ниже');
      const expected: Array<[string, string[]]> = [
        ['Основы', ['Налоги', 'Итоги']],
        ['Практика', ['Доходы и расходы', 'Разбор бизнес-плана']],
      ];
      expect(await shownOrder(page)).toEqual(expected);

      // A module without a title: the server's refusal shows beside it, and nothing is stored.
      const title = page.getByTestId('module-title').nth(1);
      await title.fill('');
      await page.getByTestId('save-structure').click();
      await expect.poll(() => page.getByTestId('save-error').textContent(), poll).toBe(ruCommon.form.fix);
      expect(await title.getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByTestId('module').nth(1).locator('.field-error').textContent()).toBe(ru.titleHint);
      expect((await app.db.connection.collection('courses').findOne({ _id: new mongo.ObjectId(courseId) }))!.modules).toEqual([]);
      await title.fill('Практика');

      // Unsaved: publishing waits for the save, and says so.
      expect(await publish.isDisabled()).toBe(true);
      expect(await page.getByTestId('publish-reason').textContent()).toBe(ru.cannotPublishUnsaved);
      await page.getByTestId('save-structure').click();
      await page.getByTestId('unsaved').waitFor({ state: 'detached', timeout: 30_000 });
      await expect.poll(() => publish.isEnabled(), poll).toBe(true);
      await publish.click();
      await expect.poll(() => page.getByTestId('publication-state').textContent(), poll).toBe(ru.isPublished);
      expect(problemsOf(page)).toEqual([]);
    } finally {
      await page.context().close();
    }

    // The order, as the API and the database hold it.
    const course = await api.call('GET', `/courses/${courseId}`, { token: people.learner.token });
    expect(course.status).toBe(200);
    expect(course.body.published).toBe(true);
    const order = course.body.modules.map((m: any) => [m.title, m.lessons.map((l: any) => l.title)]);
    expect(order).toEqual([
      ['Основы', ['Налоги', 'Итоги']],
      ['Практика', ['Доходы и расходы', 'Разбор бизнес-плана']],
    ]);
    expect(course.body.modules[1].lessons[1]).toMatchObject({ kind: 'recording', seminarId: recorded, durationSeconds: 1800 });
    const stored = await app.db.connection.collection('courses').findOne({ _id: new mongo.ObjectId(courseId) });
    expect(stored!.published).toBe(true);
    expect(stored!.modules.map((m: any) => m.lessons.map((l: any) => l.title))).toEqual([
      ['Налоги', 'Итоги'],
      ['Доходы и расходы', 'Разбор бизнес-плана'],
    ]);
    expect(stored!.modules[1].lessons[0].body).toContain('## Учёт');
    expect(stored!.lessonIds).toEqual(course.body.modules.flatMap((m: any) => m.lessons.map((l: any) => l.id)));

    // The learner's course page lists the lessons in that order.
    expect((await api.call('PUT', `/courses/${courseId}/enrolment`, { token: people.learner.token })).status).toBe(204);
    const learner = await open(people.learner.token, `/courses/${courseId}`);
    try {
      await learner.getByTestId('course-lesson').first().waitFor({ timeout: 30_000 });
      const titles = await learner
        .getByTestId('course-lesson')
        .evaluateAll((els) => els.map((el) => el.querySelector('a, span')?.textContent));
      expect(titles).toEqual(['Налоги', 'Итоги', 'Доходы и расходы', 'Разбор бизнес-плана']);
      expect(await learner.locator('.module-block h3').allTextContents()).toEqual(['Основы', 'Практика']);
    } finally {
      await learner.context().close();
    }
  }, 240_000);

  it('shows the server’s refusal in place when the course was emptied elsewhere', async () => {
    const page = await open(people.lecturer.token, `/workspace/courses/${courseId}`);
    try {
      const publish = page.getByTestId('publish');
      await publish.waitFor({ timeout: 30_000 });
      await publish.click(); // unpublish
      await expect.poll(() => page.getByTestId('publication-state').textContent(), poll).toBe(ru.isDraft);
      // Emptied behind the page's back: the page still holds lessons, so the button is enabled.
      expect(
        (await api.call('PUT', `/courses/${courseId}/structure`, { token: people.lecturer.token, body: { modules: [] } })).status,
      ).toBe(200);
      await publish.click();
      await expect.poll(() => page.getByTestId('publish-error').textContent(), poll).toBe(ruCommon.errors.course_empty);
      expect(await page.getByTestId('publish-error').getAttribute('role')).toBe('alert');
      expect((await app.db.connection.collection('courses').findOne({ _id: new mongo.ObjectId(courseId) }))!.published).toBe(false);
    } finally {
      await page.context().close();
    }
  }, 120_000);

  it('the list and the builder at 360 and 1280 px, in Russian and English, pass the page checks', async () => {
    const made = await api.call('POST', '/courses', {
      token: people.lecturer.token,
      body: { title: 'Маркетинг малого бизнеса: от первой продажи до постоянных клиентов', track: 'marketing' },
    });
    const id = made.body.id as string;
    await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: {
        modules: [
          {
            title: 'Клиенты и каналы продаж',
            lessons: [
              { kind: 'text', title: 'Портрет клиента', body: '## Кто покупает\n\n- возраст\n- доход' },
              { kind: 'recording', title: 'Разбор бизнес-плана', seminarId: recorded },
            ],
          },
          { title: 'Пустой модуль', lessons: [] },
        ],
      },
    });
    for (const lang of ['ru', 'en'] as const) {
      for (const width of [360, 1280]) {
        const query = lang === 'en' ? '?lang=en' : '';
        const list = await open(people.lecturer.token, `/workspace/courses${query}`, width);
        try {
          await list.locator(`[data-testid=my-course][data-id="${id}"]`).waitFor({ timeout: 30_000 });
          expect(await list.getAttribute('html', 'lang')).toBe(lang);
          await list.screenshot({ path: path.join(shots, `courses-${lang}-${width}.png`), fullPage: true });
          expect(await pageProblems(list)).toEqual([]);
          expect(problemsOf(list)).toEqual([]);
        } finally {
          await list.context().close();
        }
        const builder = await open(people.lecturer.token, `/workspace/courses/${id}${query}`, width);
        try {
          await builder.getByTestId('lesson').first().waitFor({ timeout: 30_000 });
          await builder.getByTestId('edit-lesson').first().click();
          await builder.getByTestId('preview-tab').click();
          await builder.getByTestId('lesson-preview').locator('h3').waitFor({ timeout: 30_000 });
          expect(await builder.getAttribute('html', 'lang')).toBe(lang);
          await builder.screenshot({ path: path.join(shots, `course-builder-${lang}-${width}.png`), fullPage: true });
          expect(await pageProblems(builder)).toEqual([]);
          expect(problemsOf(builder)).toEqual([]);
        } finally {
          await builder.context().close();
        }
      }
    }
  }, 240_000);
});
