import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { seedDemo } from '../../server/ops/demo';
import { courseStructureBody } from '../../server/protocol';
import { grantsFor } from '../../server/accounts/grants';
import { Api, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage, waitForHooks } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// A learner in the browser: the course catalogue → the course → enrol (from the keyboard)
// → a text lesson whose Markdown tries a <script> and an onerror (neither runs) → "next",
// which is the course's recorded lesson, watched in part → "My learning", reached at once
// within the app, with both figures right and no stale position → "Continue", which
// lands on the recording where the learner left it. Then every page of the area at 360
// and 1280 px in Russian and English, with screenshots in test-artifacts/learning/.

const shots = path.join(artifacts, 'learning');
const poll = { timeout: 45_000, interval: 200 };
const hooks = (page: Page) => page.evaluate(() => (globalThis as any).lectern?.state?.());

let app: Lectern;
let browser: Browser;
let learner: TestUser;
let course: { id: string; intro: string; recording: string; last: string; seminarId: string };

const HOSTILE = [
  '# Первые шаги',
  '',
  'Прочитайте урок **до конца**, затем переходите к записи.',
  '',
  '<script>window.pwned = "script"</script>',
  '',
  '<img src="x" onerror="window.pwned = \'onerror\'">',
  '',
  '[ссылка](javascript:window.pwned="link")',
].join('\n');

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_learning', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  const api = Api.of(app);
  // The demo's lecturer and its real recording (ten seconds through the recorder).
  const demo = await seedDemo(app, { recordingSeconds: 10 });
  const lecturerUser = (await app.repos.users.findByEmail('lecturer@demo.lectern'))!;
  const lecturer = { kind: 'user' as const, userId: lecturerUser.id, roles: lecturerUser.roles, grants: grantsFor(lecturerUser.roles) };
  const c = await app.domain.courses.create(lecturer, {
    title: 'Маркетинг для малого бизнеса',
    description: 'Текстовые уроки и запись семинара.',
    track: 'marketing',
    completionThreshold: 0.9,
  });
  const structured = await app.domain.courses.setStructure(
    lecturer,
    c.id,
    courseStructureBody.parse({
      modules: [
        {
          title: 'Основы',
          lessons: [
            { kind: 'text', title: 'Первые шаги', body: HOSTILE, durationSeconds: 60 },
            { kind: 'recording', title: 'Запись семинара', seminarId: demo.recordedSeminarId },
          ],
        },
        { title: 'Итоги', lessons: [{ kind: 'text', title: 'Что дальше', body: 'Готово.', durationSeconds: 30 }] },
      ],
    }),
  );
  await app.domain.courses.setPublished(lecturer, c.id, true);
  const [intro, recording] = structured.modules[0]!.lessons;
  course = {
    id: c.id,
    intro: intro!.id,
    recording: recording!.id,
    last: structured.modules[1]!.lessons[0]!.id,
    seminarId: demo.recordedSeminarId,
  };
  learner = await registerUser(api, { displayName: 'Ольга Учащаяся' });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function open(width: number, lang: 'ru' | 'en', route: string, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, route, problems);
  await signInPage(page, learner.token);
  await page.goto(`${app.url}${route}${lang === 'en' ? '?lang=en' : ''}`);
  return page;
}

describe('a learner takes a course in the browser', () => {
  it('enrols, reads a sanitized text lesson, goes on to the recording, and My learning and Continue are right', async () => {
    const problems: string[] = [];
    const page = await open(1280, 'ru', '/courses', problems);
    try {
      await page.getByRole('link', { name: 'Маркетинг для малого бизнеса' }).click();
      await page.getByTestId('course-page').waitFor();
      expect(await page.getByTestId('course-page').getAttribute('data-enrolled')).toBe('false');
      // Enrol from the keyboard.
      await page.getByTestId('enrol').focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('course-page').getAttribute('data-enrolled'), poll).toBe('true');
      expect(await app.db.connection.collection('enrolments').countDocuments({ courseId: course.id, userId: learner.id })).toBe(1);

      await page.getByRole('link', { name: 'Первые шаги' }).click();
      const body = page.getByTestId('lesson-body');
      await body.waitFor();
      // One <h1>, the page's: the Markdown's heading that repeats the title is left out.
      expect(await page.locator('h1').allTextContents()).toEqual(['Первые шаги']);
      expect(await body.locator('strong').textContent()).toBe('до конца');
      // The hostile parts are text now: no script, no image with a handler, no javascript: link, nothing ran.
      expect(await body.locator('script, img, [onerror], a[href^="javascript"]').count()).toBe(0);
      expect(await body.textContent()).toContain('<script>');
      expect(await page.evaluate(() => (globalThis as any).pwned ?? null)).toBeNull();
      expect(await page.getByTestId('previous').count()).toBe(0);

      // Next: the recorded lesson, in the replay page; watched for a few seconds, then left while playing.
      await page.getByTestId('next').click();
      await expect.poll(() => page.evaluate(() => (globalThis as any).location.pathname), poll).toBe(`/replay/${course.seminarId}`);
      await waitForHooks(page);
      await expect.poll(() => hooks(page), poll).toBe('playing');
      await expect.poll(() => page.evaluate(() => (globalThis as any).lectern.currentTime()), poll).toBeGreaterThan(4);
      // The player goes on playing until the page leaves it: by at most the wall time from this read
      // to the next page being there (several seconds on a busy machine).
      const readAt = Date.now();
      const { leftAt, covered } = await page.evaluate(() => ({
        leftAt: (globalThis as any).lectern.currentTime() as number,
        covered: (globalThis as any).lectern.covered() as number,
      }));
      // Straight to "My learning" within the app: the last position goes on the way out.
      await page.getByRole('link', { name: 'Моё обучение' }).click();
      const card = page.locator(`[data-testid=learning-course][data-course="${course.id}"]`);
      await card.waitFor();
      const playedOn = (Date.now() - readAt) / 1000;

      // Lessons 1 of 3 (the text read to its end); the share watched counts the recording's seconds too.
      const recording = (await app.repos.recordings.latestReady(course.seminarId))!;
      const total = 60 + recording.durationSeconds! + 30;
      expect(await card.getAttribute('data-done')).toBe('1');
      expect(await card.getAttribute('data-total')).toBe('3');
      const watched = Number(await card.getAttribute('data-watched'));
      // What the player counted by the time it left: at least `covered`, at most `leftAt` plus what it
      // played on and a time update.
      expect(watched).toBeGreaterThanOrEqual((100 * (60 + covered)) / total - 0.2);
      expect(watched).toBeLessThanOrEqual((100 * (60 + leftAt + playedOn + 1)) / total + 0.2);
      expect(await card.getByTestId('lessons-figure').textContent()).toBe('Пройдено уроков: 1 из 3');
      expect(await card.getByTestId('watched-figure').textContent()).toBe(`Просмотрено: ${Math.round(watched)}% курса`);

      // Continue: the recording, from where the learner left it (not from a stale or zero position).
      const resume = await app.domain.progress.get(
        { kind: 'user', userId: learner.id, roles: ['learner'], grants: grantsFor(['learner']) },
        course.seminarId,
      );
      expect(resume.resumePosition).toBeGreaterThanOrEqual(leftAt - 0.01);
      expect(resume.resumePosition).toBeLessThan(leftAt + playedOn + 0.5);
      const mmss = `0:${String(Math.floor(resume.resumePosition)).padStart(2, '0')}`;
      expect(await card.getByTestId('continue').textContent()).toBe(`Продолжить: «Запись семинара» с ${mmss}`);
      await card.getByTestId('continue').click();
      await expect.poll(() => page.evaluate(() => (globalThis as any).location.pathname), poll).toBe(`/replay/${course.seminarId}`);
      await waitForHooks(page);
      await expect.poll(() => page.evaluate(() => (globalThis as any).lectern.resumedFrom()), poll).toBeCloseTo(resume.resumePosition, 1);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 180_000);
});

describe('the learning pages at 360 and 1280 px, in Russian and English', () => {
  const pages = [
    { name: 'courses', route: () => '/courses', ready: (p: Page) => p.getByTestId('course-card').first().waitFor() },
    { name: 'course', route: () => `/courses/${course.id}`, ready: (p: Page) => p.getByTestId('course-lesson').first().waitFor() },
    {
      name: 'lesson',
      route: () => `/courses/${course.id}/lessons/${course.intro}`,
      ready: (p: Page) => p.getByTestId('lesson-body').waitFor(),
    },
    { name: 'learning', route: () => '/learning', ready: (p: Page) => p.getByTestId('learning-course').first().waitFor() },
  ];
  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const p of pages) {
        it(`${p.name}, ${lang}, ${width} px`, async () => {
          const problems: string[] = [];
          // The first test enrolled the learner; this one must not depend on its order.
          await app.domain.courses.enrol(
            { kind: 'user', userId: learner.id, roles: ['learner'], grants: grantsFor(['learner']) },
            course.id,
          );
          const page = await open(width, lang, p.route(), problems);
          try {
            await p.ready(page);
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            expect(await page.locator('h1').first().textContent()).not.toBe('');
            await page.screenshot({ path: path.join(shots, `${p.name}-${lang}-${width}.png`), fullPage: true });
            expect(await pageProblems(page)).toEqual([]);
            expect(problems).toEqual([]);
          } finally {
            await page.context().close();
          }
        }, 90_000);
      }
    }
  }
});
