import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { axe, pageWidths } from '../support/page-checks';

// Every route of the front end, at a phone's 360 px and a desktop's 1280 px, in
// Russian and English: no horizontal scrolling, no serious or critical axe-core
// violation, the page in the language asked for, and a screenshot of each in
// test-artifacts/pages/. Real content: a seminar with chat and a question, and a
// recorded one with a chapter, played back.

const shots = path.join(artifacts, 'pages');
const poll = { timeout: 30_000, interval: 200 };

type Who = 'guest' | 'learner' | 'lecturer';

describe('every page at 360 and 1280 px, in Russian and English', () => {
  let app: Lectern;
  let browser: Browser;
  let tokens: Record<Exclude<Who, 'guest'>, string>;
  const sources: ChildProcess[] = [];
  const clients: LiveClient[] = [];
  let live: string;
  let recorded: string;
  let courseId: string;
  let certificateCode: string;
  let lecturerId: string;
  let articleId: string;

  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    [app, browser] = await Promise.all([startTestApp('e2e_pages', { MEDIASOUP_WORKERS: '1' }), launchChromium('media')]);
    const api = Api.of(app);
    const people = await cast(api);
    tokens = { learner: people.learner.token, lecturer: people.lecturer.token };
    lecturerId = people.lecturer.id;
    const lecturer = { token: people.lecturer.token };

    // A course whose lesson is a recorded seminar, for "My learning" and the replay.
    const course = await api.call('POST', '/courses', {
      ...lecturer,
      body: { title: 'Финансы для начинающих предпринимателей', track: 'finance' },
    });
    courseId = course.body.id;
    const make = async (title: string, courseId?: string) => {
      const res = await api.call('POST', '/seminars', {
        ...lecturer,
        body: {
          title,
          track: 'finance',
          startsAt: '2030-04-01T18:00',
          durationMinutes: 90,
          capacity: 30,
          ...(courseId ? { courseId } : {}),
        },
      });
      expect(res.status).toBe(201);
      expect((await api.call('POST', `/seminars/${res.body.id}/transitions`, { ...lecturer, body: { to: 'scheduled' } })).status).toBe(200);
      expect((await api.call('PUT', `/seminars/${res.body.id}/registration`, { token: people.learner.token })).status).toBeLessThan(300);
      return res.body.id as string;
    };
    live = await make('Налоговая отчётность индивидуального предпринимателя: упрощённая система, патент и самозанятость');
    recorded = await make('Бизнес-план для банка', course.body.id);

    // The scheduled seminar's room, with a long chat line and a question.
    const host = await LiveClient.connect(app.url, people.lecturer.token);
    const learner = await LiveClient.connect(app.url, people.learner.token);
    clients.push(host, learner);
    await host.ok('room:join', { seminarId: live });
    await learner.ok('room:join', { seminarId: live });
    await learner.ok('chat:send', {
      text: 'Ссылка на шаблон: https://example.ru/очень-длинная-ссылка-без-пробелов-которая-не-должна-раздвигать-страницу',
    });
    await learner.ok('question:ask', { text: 'Можно ли совмещать патент и упрощённую систему налогообложения?' });
    learner.close();

    // The other one on air for a few seconds, recorded, with a chapter, then ended.
    const recorder = await LiveClient.connect(app.url, people.lecturer.token);
    clients.push(recorder);
    await recorder.ok('room:join', { seminarId: recorded });
    await recorder.ok('seminar:go-live', {});
    const room = (await app.rooms.peek(recorded))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    sources.push(ffmpeg);
    const record = (await app.repos.seminars.get(recorded))!;
    app.recorder.producerAdded(room, record, { producer: video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, record, { producer: audio, source: 'mic', role: 'lecturer' });
    await new Promise((r) => setTimeout(r, 2500));
    await recorder.ok('chat:send', { text: 'Начнём с целей бизнес-плана' });
    await recorder.ok('marker:add', { label: 'Цели' });
    await new Promise((r) => setTimeout(r, 3500));
    await recorder.ok('seminar:end', {});
    await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${recorded}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live ? true : undefined;
      },
      15_000,
      'the recording',
    );
    recorder.close();
    expect((await api.call('PUT', `/courses/${course.body.id}/publication`, { ...lecturer, body: { published: true } })).status).toBe(200);
    expect((await api.call('PUT', `/courses/${course.body.id}/enrolment`, { token: people.learner.token })).status).toBe(204);
    // The learner's certificate of the course, for "My learning", its verification page and the course's list.
    const issued = await app.domain.certificates.issue((await app.repos.courses.get(courseId))!, people.learner.id, new Date());
    certificateCode = issued!.code;

    // A knowledge-base article with a long word, tags and links to both seminars and the course.
    const article = await api.call('POST', '/articles', {
      ...lecturer,
      body: {
        title: 'Как индивидуальному предпринимателю перейти с патента на упрощённую систему налогообложения',
        summary: 'Сроки, заявления и подводные камни',
        body: '## Сроки\n\nЗаявление подают до **31 декабря**.\n\n- патент\n- УСН\n\nhttps://example.ru/очень-длинная-ссылка-без-пробелов-которая-не-должна-раздвигать-страницу',
        track: 'finance',
        tags: ['налоги', 'патент', 'усн'],
        status: 'published',
        seminarIds: [live, recorded],
        courseIds: [course.body.id],
      },
    });
    expect(article.status).toBe(201);
    articleId = article.body.id;
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of sources) s.kill('SIGKILL');
    await browser?.close();
    await app?.stop();
  });

  /** The routes, as who opens them, and what shows that each has rendered its content. */
  const routes: Array<{ name: string; who: Who; path: () => string; ready: (page: Page) => Promise<unknown> }> = [
    { name: 'home-guest', who: 'guest', path: () => '/', ready: (p) => p.locator('[data-testid=seminar]').first().waitFor() },
    { name: 'home', who: 'learner', path: () => '/', ready: (p) => p.getByTestId('lesson').first().waitFor() },
    {
      name: 'catalogue',
      who: 'guest',
      path: () => '/seminars',
      ready: (p) => p.getByTestId('part-upcoming').locator('[data-testid=seminar]').first().waitFor(),
    },
    { name: 'seminar', who: 'learner', path: () => `/seminars/${live}`, ready: (p) => p.getByTestId('registration').waitFor() },
    {
      name: 'notifications',
      who: 'learner',
      path: () => '/notifications',
      ready: (p) => p.getByTestId('inbox').locator('.empty, [data-testid=notification]').first().waitFor(),
    },
    {
      name: 'watch',
      who: 'learner',
      path: () => `/watch/${live}`,
      ready: (p) => expect.poll(() => p.locator('[data-testid=question]').count(), poll).toBe(1),
    },
    {
      name: 'studio',
      who: 'lecturer',
      path: () => `/studio/${live}`,
      ready: async (p) => {
        await expect.poll(() => p.evaluate(() => (globalThis as any).lectern?.state()), poll).toBe('joined');
        await expect.poll(() => p.getByTestId('go-live').isEnabled(), poll).toBe(true);
      },
    },
    {
      name: 'replay',
      who: 'learner',
      path: () => `/replay/${recorded}`,
      ready: async (p) => {
        await expect.poll(() => p.evaluate(() => (globalThis as any).lectern?.state()), poll).toBe('playing');
        await p.evaluate(() => (globalThis as any).lectern.pause());
        await p.evaluate(() => (globalThis as any).lectern.seek(5));
        await expect.poll(() => p.evaluate(() => (globalThis as any).lectern.visibleChat()), poll).toBe(1);
      },
    },
    {
      name: 'my-courses',
      who: 'lecturer',
      path: () => '/workspace/courses',
      ready: (p) => p.locator('[data-testid=my-course]').first().waitFor(),
    },
    {
      name: 'course-builder',
      who: 'lecturer',
      path: () => `/workspace/courses/${courseId}`,
      ready: (p) => p.locator('[data-testid=lesson]').first().waitFor(),
    },
    { name: 'learning', who: 'learner', path: () => '/learning', ready: (p) => p.getByTestId('certificate').first().waitFor() },
    {
      name: 'course-certificates',
      who: 'lecturer',
      path: () => `/workspace/courses/${courseId}/certificates`,
      ready: (p) => p.locator('[data-testid=staff-certificate]').first().waitFor(),
    },
    { name: 'verify', who: 'guest', path: () => `/verify/${certificateCode}`, ready: (p) => p.getByTestId('verify-verdict').waitFor() },
    { name: 'knowledge', who: 'guest', path: () => '/knowledge', ready: (p) => p.getByTestId('article-card').first().waitFor() },
    { name: 'article', who: 'learner', path: () => `/knowledge/${articleId}`, ready: (p) => p.getByTestId('article-courses').waitFor() },
    {
      name: 'search',
      who: 'guest',
      path: () => `/search?q=${encodeURIComponent('предприниматель')}`,
      ready: (p) => p.getByTestId('search-result').nth(2).waitFor(),
    },
    {
      name: 'workspace-articles',
      who: 'lecturer',
      path: () => '/workspace/articles',
      ready: (p) => p.getByTestId('workspace-article').first().waitFor(),
    },
    {
      name: 'article-editor',
      who: 'lecturer',
      path: () => `/workspace/articles/${articleId}`,
      ready: (p) => p.getByTestId('article-form').waitFor(),
    },
    { name: 'uploads', who: 'lecturer', path: () => '/workspace/uploads', ready: (p) => p.locator('#uploads-list').waitFor() },
    // The embed pages the portal frames (test/e2e/embed.test.ts frames them), opened on their own here.
    {
      name: 'embed-watch',
      who: 'learner',
      path: () => `/embed/watch/${live}`,
      ready: (p) => expect.poll(() => p.locator('[data-testid=question]').count(), poll).toBe(1),
    },
    {
      name: 'embed-replay',
      who: 'learner',
      path: () => `/embed/replay/${recorded}`,
      ready: (p) => expect.poll(() => p.evaluate(() => (globalThis as any).lectern?.state()), poll).toBe('playing'),
    },
    { name: 'embed-sign-in', who: 'guest', path: () => '/embed/sign-in', ready: (p) => p.locator('#sign-in').waitFor() },
    { name: 'sign-in', who: 'guest', path: () => '/sign-in', ready: (p) => p.locator('#sign-in').waitFor() },
    { name: 'sign-up', who: 'guest', path: () => '/sign-up', ready: (p) => p.locator('#sign-up a[href="/privacy"]').waitFor() },
    { name: 'privacy', who: 'guest', path: () => '/privacy', ready: (p) => p.getByTestId('policy').waitFor() },
    { name: 'profile', who: 'learner', path: () => '/profile', ready: (p) => p.locator('#profile').waitFor() },
    { name: 'person', who: 'guest', path: () => `/people/${lecturerId}`, ready: (p) => p.getByTestId('person-page').waitFor() },
    { name: 'profile-editor', who: 'lecturer', path: () => '/workspace/profile', ready: (p) => p.getByTestId('profile-form').waitFor() },
    { name: 'not-found', who: 'guest', path: () => '/no-such-page', ready: (p) => p.locator('h1').waitFor() },
  ];

  async function open(who: Who, lang: 'ru' | 'en', width: number, route: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await reportCspViolations(page, `${route} ${who}`, problems);
    const query = lang === 'en' ? `${route.includes('?') ? '&' : '?'}lang=en` : '';
    if (who !== 'guest') await signInPage(page, tokens[who]);
    await page.goto(`${app.url}${route}${query}`);
    expect(problems).toEqual([]);
    return page;
  }

  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const r of routes) {
        it(`${r.name}, ${lang}, ${width} px`, async () => {
          const page = await open(r.who, lang, width, r.path());
          try {
            await r.ready(page);
            // The page speaks the language asked for, down to the shell.
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            expect(await page.locator('.skip-link').textContent()).toBe(lang === 'ru' ? 'Перейти к содержимому' : 'Skip to content');
            await page.screenshot({ path: path.join(shots, `${r.name}-${lang}-${width}.png`), fullPage: true });
            const overflow = await pageWidths(page);
            expect(overflow.scroll, 'no horizontal scrolling').toBeLessThanOrEqual(overflow.inner);
            const { serious, passed } = await axe(page);
            expect(serious).toEqual([]);
            // axe really looked at the page: it checks dozens of rules on any of them.
            expect(passed).toBeGreaterThan(15);
          } finally {
            await page.context().close();
          }
        }, 90_000);
      }
    }
  }

  it('the keyboard reaches the content first through a visible skip link', async () => {
    const page = await open('learner', 'ru', 360, `/watch/${live}`);
    try {
      await page.getByTestId('chat-input').waitFor();
      await page.keyboard.press('Tab');
      const skip = page.locator('.skip-link');
      expect(await skip.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
      const box = (await skip.boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(360);
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('main');
      // From there on, Tab reaches the page's own controls, each with a visible focus ring.
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => {
        const w = globalThis as any;
        const el = w.document.activeElement;
        return {
          inMain: w.document.getElementById('main').contains(el) as boolean,
          outline: w.getComputedStyle(el).outlineStyle as string,
        };
      });
      expect(outline).toEqual({ inMain: true, outline: 'solid' });
    } finally {
      await page.context().close();
    }
  });

  it("a lecturer's header fits two lines at 360 px, and the workspace's sections are under it", async () => {
    const page = await open('lecturer', 'ru', 360, '/workspace/courses');
    try {
      await page.locator('[data-testid=my-course]').first().waitFor();
      const rows = await headerRows(page);
      expect(rows).toBeLessThanOrEqual(2);
      expect(await page.getByTestId('nav-workspace').getAttribute('aria-current')).toBe('page');
      const sections = page.getByTestId('workspace-nav').locator('a');
      expect(await sections.allTextContents()).toEqual([
        'Мои семинары',
        'Мои курсы',
        'Записи',
        'Видео для уроков',
        'Публичный профиль',
        'Статьи',
        'Аналитика',
      ]);
      expect(await page.getByTestId('nav-courses').getAttribute('aria-current')).toBe('page');
      await page.getByTestId('nav-analytics').click();
      await expect.poll(() => page.evaluate(() => (globalThis as any).location.pathname), poll).toBe('/workspace/analytics');
      expect(await page.getByTestId('nav-analytics').getAttribute('aria-current')).toBe('page');
      // The sections scroll sideways on a phone; the current one is scrolled into view.
      const box = (await page.getByTestId('nav-analytics').boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(360);
    } finally {
      await page.context().close();
    }
  });

  it("a learner's header with an unread notice fits two lines at 360 px in English too", async () => {
    const page = await open('learner', 'en', 360, '/learning');
    try {
      await page.getByTestId('certificate').first().waitFor();
      expect(await headerRows(page)).toBeLessThanOrEqual(2);
      await expect.poll(() => page.getByTestId('header-search-submit').isVisible()).toBe(true);
    } finally {
      await page.context().close();
    }
  });

  it('the language toggle switches every text in place and is remembered', async () => {
    const page = await open('learner', 'ru', 1280, `/watch/${live}`);
    try {
      await expect.poll(() => page.getByTestId('chat-send').textContent(), poll).toBe('Отправить');
      // In the room before the switch (the controls render before the join's answer arrives).
      await expect.poll(() => page.evaluate(() => (globalThis as any).lectern.joins()), poll).toBe(1);
      await page.getByTestId('lang').click();
      await expect.poll(() => page.getByTestId('chat-send').textContent(), poll).toBe('Send');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      // Still in the room: switching language rebuilt nothing.
      expect(await page.evaluate(() => (globalThis as any).lectern.joins())).toBe(1);
      await page.reload();
      await expect.poll(() => page.getByTestId('lang').textContent(), poll).toBe('Русский');
    } finally {
      await page.context().close();
    }
  });

  it('an old page address opens its route', async () => {
    const page = await open('learner', 'en', 1280, `/watch.html?seminar=${live}`);
    try {
      await page.getByTestId('chat-input').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/watch/${live}`);
      expect(await page.getAttribute('html', 'lang')).toBe('en');
    } finally {
      await page.context().close();
    }
  });
});

/** Rows of the header's items (brand, links, search, inbox, account, language). */
function headerRows(page: Page): Promise<number> {
  return page.evaluate(() => {
    const header = (globalThis as any).document.querySelector('.app-header');
    const items = [...header.querySelectorAll('a, button')].filter(
      (el: any) => el.offsetParent !== null && !el.classList.contains('skip-link'),
    );
    // A row is a band of items whose boxes overlap vertically (a button is taller than a link beside it).
    const boxes = items.map((el: any) => el.getBoundingClientRect()).sort((a: any, b: any) => a.top - b.top);
    let rows = 0;
    let bottom = -Infinity;
    for (const b of boxes) {
      if (b.top >= bottom - 1) {
        rows++;
        bottom = b.bottom;
      } else bottom = Math.max(bottom, b.bottom);
    }
    return rows;
  });
}
