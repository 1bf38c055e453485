import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/accounts/grants';
import type { Lectern } from '../../server/main';
import { courseStructureBody, createSeminarBody } from '../../server/protocol';
import type { Recording } from '../../server/recordings/model';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage, waitForHooks } from '../support/browser';
import { pageProblems } from '../support/page-checks';
import { ffprobeJson } from '../support/probe';
import { readyRecording, recordingDir } from '../support/recordings';

// The workspace's recordings page in Chromium (issue 13): a lecturer renames a recording,
// cuts its start and end (the replay then plays the cut: its video's duration is checked in
// the replay page), downloads it as an MP4 (probed with ffprobe) and deletes one after
// confirming; then the page at 360 and 1280 px, in Russian and English.

const shots = path.join(artifacts, 'workspace');
const poll = { timeout: 30_000, interval: 200 };

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let seminarId: string;
let main: Recording;
let inCourse: Recording;

const actorOf = (user: TestUser): Extract<Actor, { kind: 'user' }> => app.domain.tokens.verifyAccess(user.token);

async function seminarOf(lecturer: TestUser, title: string): Promise<string> {
  const actor = actorOf(lecturer);
  const body = createSeminarBody.parse({ title, track: 'recordings', startsAt: '2031-05-14T18:30', durationMinutes: 60, capacity: 50 });
  const seminar = await app.domain.seminars.create(actor, body);
  await app.domain.seminars.transition(actor, seminar.id, 'scheduled');
  return seminar.id;
}

async function openAs(token: string, url: string, width = 1280): Promise<Page & { problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = (await context.newPage()) as Page & { problems: string[] };
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(err.message));
  await reportCspViolations(page, url, page.problems);
  await signInPage(page, token);
  await page.goto(`${app.url}${url}`);
  return page;
}

const item = (page: Page, id: string) => page.locator(`[data-testid=recording][data-id="${id}"]`);

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_recordings', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  api = Api.of(app);
  people = await cast(api);
  seminarId = await seminarOf(people.lecturer, 'Бухгалтерия для ИП');
  main = await readyRecording(app, seminarId, 12);
  // A recording that is a lesson of a published course: it cannot be deleted.
  const otherSeminar = await seminarOf(people.lecturer, 'Кредиты для малого бизнеса');
  inCourse = await readyRecording(app, otherSeminar, 3);
  const actor = actorOf(people.lecturer);
  const course = await app.domain.courses.create(actor, {
    title: 'Финансы малого бизнеса',
    description: '',
    track: 'finance',
    completionThreshold: 0.9,
  });
  await app.domain.courses.setStructure(
    actor,
    course.id,
    courseStructureBody.parse({
      modules: [{ title: 'Записи', lessons: [{ kind: 'recording', title: 'Кредиты', seminarId: otherSeminar }] }],
    }),
  );
  await app.domain.courses.setPublished(actor, course.id, true);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the recordings page', () => {
  it('renames, trims (the replay plays the cut), downloads an MP4 and deletes after a confirmation', async () => {
    const page = await openAs(people.lecturer.token, '/workspace/recordings');
    try {
      // Reached from the workspace navigation.
      await page.getByTestId('nav-recordings').waitFor(poll);
      expect(await page.getByTestId('nav-recordings').getAttribute('aria-current')).toBe('page');
      const card = item(page, main.id);
      await card.waitFor(poll);
      expect(await card.getByTestId('recording-title').textContent()).toBe('Бухгалтерия для ИП');
      expect(await card.getByTestId('recording-duration').textContent()).toBe('0:12');

      // Rename, from the keyboard.
      await card.getByTestId('rename').click();
      await card.getByTestId('rename-title').fill('Бухгалтерия: основная часть');
      await page.keyboard.press('Enter');
      await expect.poll(() => card.getByTestId('recording-title').textContent(), poll).toBe('Бухгалтерия: основная часть');
      expect((await app.repos.recordings.get(main.id))!.title).toBe('Бухгалтерия: основная часть');

      // A time that is not one: refused beside the field, nothing written.
      await card.getByTestId('trim').click();
      await card.getByTestId('trim-start').fill('две минуты');
      await card.getByRole('button', { name: 'Обрезать', exact: true }).click();
      await expect.poll(() => card.getByTestId('trim-start').getAttribute('aria-invalid'), poll).toBe('true');
      expect(await card.locator('.field-error').first().textContent()).toBe('Укажите время как 1:05 или 1:02:03.');
      // One the server refuses (past the end): its text, in place.
      await card.getByTestId('trim-start').fill('0:02');
      await card.getByTestId('trim-end').fill('0:30');
      await card.getByRole('button', { name: 'Обрезать', exact: true }).click();
      await expect.poll(() => card.locator('.form-error').textContent(), poll).toBe('Время за пределами записи.');
      expect((await app.repos.recordings.get(main.id))!.trim).toBeNull();

      // The cut: from 0:02 to 0:09 of 0:12.
      await card.getByTestId('trim-end').fill('0:09');
      await card.getByRole('button', { name: 'Обрезать', exact: true }).click();
      await expect.poll(() => card.getByTestId('recording-duration').textContent(), poll).toBe('0:07');
      expect(await card.getByTestId('recording-trim').textContent()).toBe('Обрезана: с 0:02 до 0:09 из 0:12');
      expect((await app.repos.recordings.get(main.id))!.trim).toEqual({ startSeconds: 2, endSeconds: 9, totalSeconds: 12 });

      // Download: the browser receives the MP4 of the cut, remuxed without transcoding.
      const [download] = await Promise.all([page.waitForEvent('download', poll), card.getByTestId('download').click()]);
      expect(download.suggestedFilename()).toBe('Бухгалтерия_ основная часть.mp4');
      const saved = path.join(await mkdtemp(path.join(tmpdir(), 'lectern-download-')), 'recording.mp4');
      await download.saveAs(saved);
      const probed = await ffprobeJson(saved);
      expect(Number(probed.format.duration)).toBeCloseTo(7, 0);
      expect(probed.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);

      // Delete: refused for the lesson of a published course, asked first for the other.
      const locked = item(page, inCourse.id);
      expect(await locked.getByTestId('delete').isDisabled()).toBe(true);
      const dialogs: string[] = [];
      page.once('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await card.getByTestId('delete').click();
      await expect.poll(() => dialogs.length, poll).toBe(1);
      expect(dialogs[0]).toContain('Бухгалтерия: основная часть');
      expect(await app.repos.recordings.get(main.id)).not.toBeNull();
      expect(problemsIn(page)).toEqual([]);
    } finally {
      await page.context().close();
    }

    // The replay plays the cut: its video is seven seconds long.
    const replay = await openAs(people.lecturer.token, `/replay/${seminarId}`);
    try {
      await waitForHooks(replay);
      await expect.poll(() => replay.evaluate(() => (globalThis as any).lectern.duration() as number), poll).toBeGreaterThan(0);
      const duration = await replay.evaluate(() => (globalThis as any).lectern.duration() as number);
      expect(duration).toBeGreaterThan(6.5);
      expect(duration).toBeLessThan(7.5);
      expect(await replay.locator('h1').first().textContent()).toContain('Бухгалтерия: основная часть');
    } finally {
      await replay.context().close();
    }

    // Deleted once confirmed: gone from the page, the database and the disk.
    const again = await openAs(people.lecturer.token, '/workspace/recordings');
    try {
      const card = item(again, main.id);
      await card.waitFor(poll);
      again.once('dialog', (d) => void d.accept());
      await card.getByTestId('delete').click();
      await card.waitFor({ state: 'detached', timeout: 30_000 });
      expect(await app.repos.recordings.get(main.id)).toBeNull();
      expect(existsSync(recordingDir(app, main))).toBe(false);
      expect(await app.repos.recordings.get(inCourse.id)).not.toBeNull();
      expect(problemsIn(again)).toEqual([]);
    } finally {
      await again.context().close();
    }
  }, 180_000);
});

const problemsIn = (page: Page) => (page as Page & { problems: string[] }).problems;

describe('the recordings page at 360 and 1280 px, in Russian and English', () => {
  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      it(`${lang}, ${width} px`, async () => {
        const page = await openAs(people.lecturer.token, `/workspace/recordings?lang=${lang}`, width);
        try {
          await item(page, inCourse.id).waitFor(poll);
          expect(await page.getAttribute('html', 'lang')).toBe(lang);
          // The trim form open, as a lecturer sees it while cutting.
          await item(page, inCourse.id).getByTestId('trim').click();
          await item(page, inCourse.id).getByTestId('trim-form').waitFor(poll);
          await page.screenshot({ path: path.join(shots, `recordings-${lang}-${width}.png`), fullPage: true });
          expect(await pageProblems(page)).toEqual([]);
          expect(problemsIn(page)).toEqual([]);
        } finally {
          await page.context().close();
        }
      }, 90_000);
    }
  }
});
