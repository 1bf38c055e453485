import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { seedCourse, seedSeminar, type SeededCourse, type SeededSeminar } from '../support/analytics-seed';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// The analytics pages in Chromium (issue 13): a lecturer reaches a seminar's analytics from
// My seminars by keyboard and a course's from the course list, and every figure, table cell
// and CSV cell is the one test/support/analytics-seed.ts works out from the seeded data. Then
// each page at 360 and 1280 px, in Russian and English, with screenshots.

const shots = path.join(artifacts, 'workspace');
const poll = { timeout: 30_000, interval: 200 };

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let seminar: SeededSeminar;
let course: SeededCourse;

type Tracked = Page & { problems: string[] };

async function openAs(token: string, url: string, width = 1280): Promise<Tracked> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = (await context.newPage()) as Tracked;
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(err.message));
  await reportCspViolations(page, url, page.problems);
  await signInPage(page, token);
  await page.goto(`${app.url}${url}`);
  return page;
}

async function downloaded(page: Page, testId: string): Promise<string[][]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const bytes = await readFile(await download.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return parse(bytes, { bom: true });
}

/** The rows of a table's body, cell texts. */
const cells = (page: Page, testId: string) =>
  page
    .getByTestId(testId)
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent?.trim() ?? '')));

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_analytics'), launchChromium('playback')]);
  api = Api.of(app);
  people = await cast(api);
  seminar = await seedSeminar(app, api, people.lecturer);
  course = await seedCourse(app, api, people.lecturer);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('seminar analytics in the browser', () => {
  it('is reached from My seminars by keyboard, shows the seeded figures, and downloads the attendance CSV', async () => {
    const page = await openAs(people.lecturer.token, '/workspace?lang=ru');
    try {
      const link = page.locator(`[data-testid=my-seminar][data-id="${seminar.id}"]`).getByTestId('analytics');
      await link.waitFor(poll);
      await link.focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('figure-peakViewers').waitFor(poll);
      expect(new URL(page.url()).pathname).toBe(`/workspace/seminars/${seminar.id}/analytics`);
      const ru = new Intl.NumberFormat('ru', { maximumFractionDigits: 2 });
      const { seconds: _s, stepSeconds: _step, timeline, engagement, ...figures } = seminar.expected;
      for (const [name, value] of Object.entries(figures)) {
        expect(await page.getByTestId(`figure-${name}`).textContent(), name).toBe(ru.format(value));
      }
      // The chart drawn by uPlot, and the same figures in the table beside it.
      await expect.poll(() => page.getByTestId('timeline-chart').getAttribute('data-ready'), poll).toBe('true');
      expect(await page.getByTestId('timeline-chart').locator('canvas').count()).toBe(1);
      const rows = await cells(page, 'timeline');
      expect(rows.map((r) => Number(r[1]))).toEqual(timeline);
      // The engagement line's figures: reactions per step.
      expect(rows.map((r) => Number(r[2]))).toEqual(engagement);
      // Times in the seminar's zone: the first step is the session's start.
      expect(rows[0]![0]).toMatch(/^\d\d:\d\d:\d\d$/);
      expect(await downloaded(page, 'attendance-csv')).toEqual(seminar.csv);
      expect(page.problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 120_000);

  it('tells another lecturer the seminar is not theirs', async () => {
    const page = await openAs(people.otherLecturer.token, `/workspace/seminars/${seminar.id}/analytics?lang=en`);
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor(poll);
      expect(await alert.textContent()).not.toBe('');
      expect(await page.getByTestId('figure-peakViewers').count()).toBe(0);
    } finally {
      await page.context().close();
    }
  }, 60_000);
});

describe('course analytics in the browser', () => {
  it('is reached from the course list, shows the funnel, completion and heatmaps, and downloads the completion CSV', async () => {
    const page = await openAs(people.lecturer.token, '/workspace?lang=en');
    try {
      await page.getByTestId('course-analytics').click();
      await page.getByTestId('analytics-course').getByText(course.title).click();
      await page.getByTestId('funnel').waitFor(poll);
      const funnel = await cells(page, 'funnel');
      expect(funnel.map((r) => Number(r[1]))).toEqual([course.expected.enrolled, course.expected.started, course.expected.completed]);
      const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 0 });
      expect(funnel.map((r) => r[2])).toEqual(
        [course.expected.enrolled, course.expected.started, course.expected.completed].map((n) =>
          percent.format(n / course.expected.enrolled),
        ),
      );
      expect(await cells(page, 'lessons')).toEqual(
        course.expected.lessons.map((l) => [
          l.title,
          String(l.started),
          String(l.completed),
          percent.format(l.completed / course.expected.enrolled),
        ]),
      );
      const sections = page.getByTestId('lesson-heatmap');
      expect(await sections.count()).toBe(course.expected.lessons.length);
      for (const [i, lesson] of course.expected.lessons.entries()) {
        const section = sections.nth(i);
        await expect.poll(() => section.getByTestId('heatmap-chart').getAttribute('data-ready'), poll).toBe('true');
        const rows = await section
          .getByTestId('heatmap')
          .locator('tbody tr')
          .evaluateAll((trs) => trs.map((r) => Number(r.querySelectorAll('td')[1]!.textContent)));
        expect(rows).toEqual(lesson.heatmap);
      }
      expect(await downloaded(page, 'completion-csv')).toEqual(course.csv('en'));
      expect(page.problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 120_000);
});

describe('the analytics pages at 360 and 1280 px, in Russian and English', () => {
  const pages = [
    { name: 'seminar-analytics', path: () => `/workspace/seminars/${seminar.id}/analytics`, ready: 'timeline-chart' },
    { name: 'course-analytics', path: () => `/workspace/courses/${course.id}/analytics`, ready: 'heatmap-chart' },
    { name: 'analytics', path: () => '/workspace/analytics', ready: 'analytics-course' },
  ];
  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const p of pages) {
        it(`${p.name}, ${lang}, ${width} px`, async () => {
          const page = await openAs(people.lecturer.token, `${p.path()}?lang=${lang}`, width);
          try {
            await page.getByTestId(p.ready).first().waitFor(poll);
            if (p.ready.endsWith('chart')) {
              await expect.poll(() => page.getByTestId(p.ready).first().getAttribute('data-ready'), poll).toBe('true');
            }
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            await page.screenshot({ path: path.join(shots, `${p.name}-${lang}-${width}.png`), fullPage: true });
            expect(await pageProblems(page)).toEqual([]);
            expect(page.problems).toEqual([]);
          } finally {
            await page.context().close();
          }
        }, 90_000);
      }
    }
  }
});
