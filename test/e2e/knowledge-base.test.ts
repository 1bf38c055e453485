import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// The knowledge base and search in Chromium (issue 16): a lecturer writes an article in the
// workspace, in Markdown, linked to a seminar, and publishes it; a learner types another
// word form into the header's search box ("предприниматель" for the article's
// "предпринимателям", "налоги" for its "налогов"), finds the article and the seminar, and
// opens the article, whose Markdown is rendered and whose seminar link leads to the seminar,
// which lists the article back.

const shots = path.join(artifacts, 'knowledge-base');
const poll = { timeout: 30_000, interval: 250 };

let app: Lectern;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let seminarId: string;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_knowledge', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  const api = Api.of(app);
  people = await cast(api);
  const seminar = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: {
      title: 'Налоговые льготы для малого бизнеса',
      description: 'Разбираем, какие льготы положены начинающим предпринимателям в Петербурге',
      track: 'finance',
      startsAt: '2031-02-10T18:30',
      durationMinutes: 90,
      capacity: 40,
      isPublic: true,
    },
  });
  expect(seminar.status).toBe(201);
  seminarId = seminar.body.id;
  expect(
    (await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
  ).toBe(200);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function open(token: string | null, width: number, url: string, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(err.message));
  if (token) await signInPage(page, token);
  await reportCspViolations(page, url, problems);
  await page.goto(`${app.url}${url}`);
  return page;
}

describe('the knowledge base', () => {
  it('a lecturer writes an article; a learner finds it in another word form, with the seminar, and opens it', async () => {
    const problems: string[] = [];
    const staff = await open(people.lecturer.token, 1280, '/workspace/articles', problems);
    await staff.getByTestId('article-new').waitFor(poll);
    expect(await staff.getByTestId('nav-articles').getAttribute('aria-current')).toBe('page');
    await staff.getByTestId('article-new').click();
    const form = staff.getByTestId('article-form');
    await form.waitFor(poll);
    // A link that leads nowhere Lectern knows is refused beside its field.
    await form.getByLabel('Заголовок', { exact: true }).fill('Как снизить налоги: памятка');
    await form.getByLabel('Направление').fill('финансы');
    await form.getByLabel('Текст (Markdown)').fill('Текст');
    await form.getByLabel('Ссылки на семинары').fill('https://example.org/not-a-seminar');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.field-error').first().textContent(), poll).toBe('Не похоже на адрес страницы Лектерна.');
    expect(await app.db.connection.collection('articles').countDocuments()).toBe(0);

    await form.getByLabel('Заголовок', { exact: true }).fill('Как снизить налоги: памятка');
    await form.getByLabel('Кратко (показывается в списке и в поиске)').fill('Пять законных способов платить меньше налогов');
    await form.getByLabel('Теги через запятую').fill('Налоги, льготы');
    await form
      .getByLabel('Текст (Markdown)')
      .fill('## Льготы\n\nГород помогает **предпринимателям**: субсидии, сниженные ставки.\n\n- патент\n- упрощённая система');
    await form.getByLabel('Ссылки на семинары').fill(`${app.url}/seminars/${seminarId}`);
    await form.getByTestId('article-published').check();
    await form.locator('button[type=submit]').click();

    // Saved, it opens on its public page, rendered.
    await staff.getByTestId('article-page').waitFor(poll);
    const articleId = (await staff.getByTestId('article-page').getAttribute('data-id'))!;
    expect(await staff.getByTestId('article-body').locator('strong').textContent()).toBe('предпринимателям');
    const stored = await app.repos.articles.get(articleId);
    expect(stored).toMatchObject({
      status: 'published',
      tags: ['налоги', 'льготы'],
      seminarIds: [seminarId],
      authorId: people.lecturer.id,
    });
    await staff.screenshot({ path: path.join(shots, 'article-staff-ru-1280.png'), fullPage: true });
    await staff.context().close();

    // A learner on a phone: the header's search button opens the results page, its box takes the words.
    const learner = await open(people.learner.token, 360, '/', problems);
    await learner.getByTestId('header-search-submit').click();
    await learner.getByTestId('search-page').waitFor(poll);
    await learner.getByTestId('search-input').fill('предприниматель налоги');
    await learner.getByTestId('search-input').press('Enter');
    const results = learner.getByTestId('search-result');
    await expect.poll(() => results.count(), poll).toBe(2);
    const found = await results.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-id')}`));
    expect(found.sort()).toEqual([`article:${articleId}`, `seminar:${seminarId}`].sort());
    expect(new URL(learner.url()).searchParams.get('q')).toBe('предприниматель налоги');
    await learner.screenshot({ path: path.join(shots, 'search-ru-360.png'), fullPage: true });
    expect(await pageProblems(learner)).toEqual([]);

    await learner.locator(`[data-testid=search-result][data-id="${articleId}"] h2 a`).click();
    await learner.getByTestId('article-page').waitFor(poll);
    expect(await learner.locator('h1').textContent()).toBe('Как снизить налоги: памятка');
    // Its headings sit one level under the page's title.
    expect(await learner.getByTestId('article-body').locator('h3').textContent()).toBe('Льготы');
    expect(await learner.getByTestId('article-edit').count()).toBe(0);
    await learner.screenshot({ path: path.join(shots, 'article-ru-360.png'), fullPage: true });
    expect(await pageProblems(learner)).toEqual([]);
    // The seminar it links to, and back: the seminar's page lists the article.
    await learner.getByTestId('article-seminars').locator('a').click();
    await learner.getByTestId('seminar-page').waitFor(poll);
    await learner.getByTestId('related-articles').waitFor(poll);
    expect(await learner.getByTestId('related-articles').locator('a').textContent()).toBe('Как снизить налоги: памятка');
    expect(problems).toEqual([]);
    await learner.context().close();
  }, 180_000);

  it('the list, the article and search work in Russian and English, at 360 and 1280 px, from the keyboard', async () => {
    for (const lang of ['ru', 'en'] as const) {
      for (const width of [360, 1280]) {
        const problems: string[] = [];
        const suffix = lang === 'en' ? 'lang=en' : '';
        const page = await open(null, width, `/knowledge?tag=${encodeURIComponent('льготы')}${suffix ? `&${suffix}` : ''}`, problems);
        await page.getByTestId('article-card').first().waitFor(poll);
        expect(await page.locator('h1').textContent()).toBe(lang === 'ru' ? 'База знаний' : 'Knowledge base');
        await page.screenshot({ path: path.join(shots, `knowledge-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(page)).toEqual([]);
        // From the keyboard: Tab reaches the article's link, and Enter opens it.
        await page.locator('body').focus();
        let onArticle = false;
        for (let i = 0; i < 40 && !onArticle; i++) {
          await page.keyboard.press('Tab');
          onArticle = await page.evaluate(() => (globalThis as any).document.activeElement?.closest('[data-testid=article-card]') !== null);
        }
        expect(onArticle).toBe(true);
        await page.keyboard.press('Enter');
        await page.getByTestId('article-page').waitFor(poll);
        await page.screenshot({ path: path.join(shots, `article-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(page)).toEqual([]);
        // Anonymous search in English finds the Russian article by a Russian word form.
        await page.goto(`${app.url}/search?q=${encodeURIComponent('льгот')}${suffix ? `&${suffix}` : ''}`);
        await page.getByTestId('search-result').first().waitFor(poll);
        expect(await page.getByTestId('search-summary').textContent()).toMatch(lang === 'ru' ? /^Нашл/ : /results?$/);
        await page.screenshot({ path: path.join(shots, `search-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(page)).toEqual([]);
        expect(problems).toEqual([]);
        await page.context().close();
      }
    }
  }, 240_000);
});
