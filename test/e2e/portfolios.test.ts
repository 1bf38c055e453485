import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { phoneJpeg } from '../support/images';
import { pageProblems } from '../support/page-checks';

// Portfolios in Chromium (issue 16): a lecturer fills in their profile, uploads a photo and
// two portfolio images through the file inputs, puts them in another order from the keyboard;
// the public page then shows them in that order as the resized WebP renditions, and the
// lecturer's seminar page links to it. Then both pages in Russian and English, at 360 and 1280 px.

const shots = path.join(artifacts, 'portfolios');
const poll = { timeout: 30_000, interval: 250 };

let app: Lectern;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let seminarId: string;
let courseId: string;

/** A JPEG of one colour, width × height as a browser shows it. */
const solid = (width: number, height: number, background: { r: number; g: number; b: number }) =>
  sharp({ create: { width, height, channels: 3, background } })
    .jpeg()
    .toBuffer();

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_portfolios', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  const api = Api.of(app);
  people = await cast(api);
  const seminar = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: {
      title: 'Как продавать одежду своего бренда',
      description: 'Открытый семинар',
      track: 'fashion',
      language: 'ru',
      startsAt: '2031-04-01T18:00',
      timeZone: 'Europe/Moscow',
      durationMinutes: 60,
      capacity: 50,
      isPublic: true,
    },
  });
  seminarId = seminar.body.id as string;
  expect(
    (await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
  ).toBe(200);
  // A published course of the lecturer's with one text lesson, straight through the repository.
  const course = await app.repos.courses.create({
    title: 'Свой бренд одежды',
    description: 'Курс',
    track: 'fashion',
    completionThreshold: 0.9,
    ownerIds: [people.lecturer.id],
  });
  const lesson = {
    id: '0123456789abcdef01234567',
    kind: 'text' as const,
    title: 'Введение',
    seminarId: null,
    playlistPath: null,
    body: 'Текст',
    durationSeconds: null,
  };
  await app.repos.courses.update(course.id, {
    published: true,
    modules: [{ id: '0123456789abcdef01234568', title: 'Начало', lessons: [lesson] }],
  });
  courseId = course.id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function open(url: string, opts: { width: number; token?: string; problems: string[] }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: opts.width, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => opts.problems.push(err.message));
  if (opts.token) await signInPage(page, opts.token);
  await reportCspViolations(page, url, opts.problems);
  await page.goto(`${app.url}${url}`);
  return page;
}

/**
 * What each <img> shows: the URL it chose from its srcset, and that file's own size in pixels.
 * An <img srcset>'s naturalWidth is divided by the candidate's density (480w in a 420 px slot
 * reads 419), so the chosen file is decoded again in a plain Image, whose naturalWidth is the file's.
 */
const shown = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll(async (imgs) =>
    Promise.all(
      imgs.map(async (el) => {
        const img = el as unknown as { currentSrc: string; alt: string; complete: boolean; naturalWidth: number };
        const Plain = (globalThis as any).Image as new () => {
          src: string;
          naturalWidth: number;
          naturalHeight: number;
          decode(): Promise<void>;
        };
        const file = new Plain();
        file.src = img.currentSrc;
        if (img.currentSrc) await file.decode();
        return {
          width: file.naturalWidth,
          height: file.naturalHeight,
          src: img.currentSrc,
          alt: img.alt,
          complete: img.complete && img.naturalWidth > 0,
        };
      }),
    ),
  );

describe('a lecturer’s portfolio', () => {
  it('is filled in the browser, reordered from the keyboard, and shown in that order, resized', async () => {
    const problems: string[] = [];
    const page = await open('/workspace/profile', { width: 1280, token: people.lecturer.token, problems });
    const form = page.getByTestId('profile-form');
    await form.waitFor(poll);
    await form.getByLabel('Адрес страницы').fill('olga-design');
    await form.getByLabel('Кратко (должность, специализация)').fill('Дизайнер верхней одежды');
    await form.getByLabel('Рассказ о себе').fill('Шью **пальто** из локальной шерсти.');
    await form.getByLabel('Формат рассказа').selectOption('markdown');
    await form.getByLabel(/^Ссылки/).fill('Мастерская | https://example.com/olga');
    await form.locator('button[type=submit]').click();
    await expect.poll(async () => (await app.repos.profiles.get(people.lecturer.id))?.slug, poll).toBe('olga-design');

    await page.getByTestId('photo-file').setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: await phoneJpeg(1200, 900) });
    await page.getByTestId('editor-photo').waitFor(poll);

    const add = page.getByTestId('add-item');
    const items = page.getByTestId('portfolio-item');
    const uploads = [
      { caption: 'Пальто «Ладога»', file: await solid(2400, 1600, { r: 180, g: 40, b: 40 }) },
      { caption: 'Жакет «Охта»', file: await solid(2000, 2000, { r: 40, g: 120, b: 60 }) },
    ];
    for (const [i, u] of uploads.entries()) {
      await add.getByTestId('new-caption').fill(u.caption);
      await add.getByTestId('item-file').setInputFiles({ name: `work-${i}.jpg`, mimeType: 'image/jpeg', buffer: u.file });
      await add.locator('button[type=submit]').click();
      await expect.poll(() => items.count(), poll).toBe(i + 1);
    }

    // From the keyboard: the first image's "down" button, pressed with Enter, puts it last;
    // the focus stays on the moved image (its "up" button, "down" being disabled at the end).
    await items.first().locator('[data-move=down]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => items.first().getByTestId('item-caption').inputValue(), poll).toBe('Жакет «Охта»');
    await expect
      .poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('aria-label') as string), poll)
      .toBe('Выше: Пальто «Ладога»');
    await expect
      .poll(async () => (await app.repos.profiles.get(people.lecturer.id))?.items.map((i) => i.caption), poll)
      .toEqual(['Жакет «Охта»', 'Пальто «Ладога»']);
    await page.screenshot({ path: path.join(shots, 'editor-ru-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();

    // The public page, to a visitor: the order, and the renditions the server made.
    const visitor: string[] = [];
    const pub = await open('/people/olga-design', { width: 1280, problems: visitor });
    await pub.getByTestId('person-page').waitFor(poll);
    expect(await pub.locator('h1').textContent()).toBe('Тестовый Пользователь');
    expect(await pub.locator('.person-bio strong').textContent()).toBe('пальто');
    expect(await pub.getByRole('link', { name: 'Мастерская' }).getAttribute('href')).toBe('https://example.com/olga');
    const images = pub.getByTestId('portfolio-image');
    await expect.poll(async () => (await shown(pub, '[data-testid=portfolio-image]')).every((i) => i.complete), poll).toBe(true);
    const works = await shown(pub, '[data-testid=portfolio-image]');
    expect(works.map((w) => w.alt)).toEqual(['Жакет «Охта»', 'Пальто «Ладога»']);
    // A 420 px slot at DPR 1 picks the 480 px rendition of each, at the proportions of its original.
    expect(works.map((w) => [w.width, w.height])).toEqual([
      [480, 480],
      [480, 320],
    ]);
    for (const w of works) expect(w.src).toMatch(/\/media\/profiles\/[0-9a-f]{24}\/[0-9a-f]{24}-w480\.webp$/);
    expect(await images.first().getAttribute('srcset')).toMatch(/-w480\.webp 480w, .*-w1600\.webp 1600w$/);
    const [photo] = await shown(pub, '[data-testid=person-photo]');
    // A 200 px photo slot picks the 400 px square (the phone's sideways JPEG cropped upright).
    expect([photo!.width, photo!.height]).toEqual([400, 400]);
    expect(await pub.getByTestId('person-seminars').textContent()).toContain('Как продавать одежду своего бренда');
    expect(visitor).toEqual([]);
    await pub.context().close();

    // The seminar page links to the lecturer's profile.
    const seminar = await open(`/seminars/${seminarId}`, { width: 1280, problems: visitor });
    const link = seminar.getByTestId('lecturer-link');
    await link.waitFor(poll);
    expect(await link.getAttribute('href')).toBe(`/people/${people.lecturer.id}`);
    await link.click();
    await seminar.getByTestId('person-page').waitFor(poll);
    expect(await seminar.getByTestId('portfolio-image').count()).toBe(2);
    expect(visitor).toEqual([]);
    await seminar.context().close();

    // So does the course page, by the profile's address; and the profile lists the course.
    const coursePage = await open(`/courses/${courseId}`, { width: 1280, problems: visitor });
    const byCourse = coursePage.getByTestId('course-lecturers').getByTestId('lecturer-link');
    await byCourse.waitFor(poll);
    expect(await byCourse.getAttribute('href')).toBe('/people/olga-design');
    await byCourse.click();
    await coursePage.getByTestId('person-courses').waitFor(poll);
    expect(await coursePage.getByTestId('person-courses').textContent()).toContain('Свой бренд одежды');
    expect(visitor).toEqual([]);
    await coursePage.context().close();
  }, 180_000);

  it('the public page and the editor work in Russian and English, at 360 and 1280 px', async () => {
    for (const lang of ['ru', 'en'] as const) {
      for (const width of [360, 1280]) {
        const q = lang === 'en' ? '?lang=en' : '';
        const problems: string[] = [];
        const pub = await open(`/people/olga-design${q}`, { width, problems });
        await pub.getByTestId('person-page').waitFor(poll);
        await expect.poll(async () => (await shown(pub, '[data-testid=portfolio-image]')).every((i) => i.complete), poll).toBe(true);
        expect(await pub.locator('#portfolio-title').textContent()).toBe(lang === 'ru' ? 'Портфолио' : 'Portfolio');
        await pub.screenshot({ path: path.join(shots, `person-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(pub)).toEqual([]);
        await pub.context().close();

        const editor = await open(`/workspace/profile${q}`, { width, token: people.lecturer.token, problems });
        await editor.getByTestId('portfolio-item').first().waitFor(poll);
        expect(await editor.locator('h1').textContent()).toBe(lang === 'ru' ? 'Публичный профиль' : 'Public profile');
        await editor.screenshot({ path: path.join(shots, `editor-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(editor)).toEqual([]);
        await editor.context().close();
        expect(problems).toEqual([]);
      }
    }
  }, 240_000);
});
