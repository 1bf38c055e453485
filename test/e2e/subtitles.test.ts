import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Actor } from '../../server/accounts/grants';
import type { Lectern } from '../../server/main';
import { createSeminarBody } from '../../server/protocol';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage, waitForHooks } from '../support/browser';
import { pageProblems } from '../support/page-checks';
import { readyRecording } from '../support/recordings';
import { hook } from '../support/page-session';

// Subtitles in Chromium: the lecturer uploads a broken SRT file on the recordings page (refused,
// naming its line), then a good one; a learner opens the replay, turns the Russian track on (hls.js
// loads it through the master playlist) and sees the cue of the moment as the video's active cue;
// a search narrows the transcript, and a click on a line seeks the video to that cue.

const shots = path.join(artifacts, 'subtitles');
const poll = { timeout: 30_000, interval: 200 };

const SRT = `1
00:00:01,000 --> 00:00:02,500
Добрый день, коллеги!

2
00:00:03,000 --> 00:00:04,500
Сегодня — налоги и отчётность

3
00:00:05,500 --> 00:00:07,000
Начнём с упрощённой системы
`;
// The second cue's end time is broken, on line 6.
const BROKEN = SRT.replace('00:00:04,500', '00:00:0x,500');

let app: Lectern;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let seminarId: string;
let recordingId: string;
const problems: string[] = [];
const consoleLog: string[] = [];
const pages: Page[] = [];

const actorOf = (user: TestUser): Extract<Actor, { kind: 'user' }> => app.domain.tokens.verifyAccess(user.token);

async function openAs(token: string, url: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  pages.push(page);
  page.on('pageerror', (err) => problems.push(`${url}: ${err.message}`));
  page.on('console', (m) => consoleLog.push(`${url} ${m.type()}: ${m.text()}`));
  await reportCspViolations(page, url, problems);
  await signInPage(page, token);
  await page.goto(`${app.url}${url}`);
  return page;
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_subtitles', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  people = await cast(Api.of(app));
  const actor = actorOf(people.lecturer);
  const body = createSeminarBody.parse({
    title: 'Налоги для ИП',
    track: 'finance',
    startsAt: '2031-05-14T18:30',
    durationMinutes: 60,
    capacity: 50,
    isPublic: true,
  });
  const seminar = await app.domain.seminars.create(actor, body);
  await app.domain.seminars.transition(actor, seminar.id, 'scheduled');
  seminarId = seminar.id;
  recordingId = (await readyRecording(app, seminarId, 10)).id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('subtitles in the browser', () => {
  it('are uploaded on the recordings page, shown by the replay, and the transcript seeks', async () => {
    onTestFailed(async () => {
      for (const [i, page] of pages.entries())
        if (!page.isClosed()) await page.screenshot({ path: path.join(shots, `failed-${i}.png`) }).catch(() => undefined);
      console.error(['page errors:', ...problems, 'console:', ...consoleLog.slice(-60)].join('\n'));
    });

    // The lecturer: a broken file is refused with its line, and nothing is stored.
    const workspace = await openAs(people.lecturer.token, '/workspace/recordings');
    const card = workspace.locator(`[data-testid=recording][data-id="${recordingId}"]`);
    await card.waitFor(poll);
    await card.getByTestId('subtitles').click();
    const file = (text: string) => ({ name: 'lecture.srt', mimeType: 'application/x-subrip', buffer: Buffer.from(text) });
    await card.getByTestId('subtitles-file-ru').setInputFiles(file(BROKEN));
    await expect.poll(() => card.getByTestId('subtitles-error-ru').textContent(), poll).toContain('строке 6');
    expect((await app.repos.recordings.get(recordingId))!.subtitles).toEqual([]);
    // The good one is stored, and the page says how many cues it has.
    await card.getByTestId('subtitles-file-ru').setInputFiles(file(SRT));
    await expect.poll(() => card.getByTestId('subtitles-state-ru').textContent(), poll).toContain('3 реплики');
    expect((await app.repos.recordings.get(recordingId))!.subtitles.map((t) => [t.language, t.cueCount])).toEqual([['ru', 3]]);
    await workspace.screenshot({ path: path.join(shots, 'recordings-subtitles.png'), fullPage: true });
    await workspace.context().close();

    // The learner's replay: the track is off until chosen.
    const replay = await openAs(people.learner.token, `/replay/${seminarId}`);
    await waitForHooks(replay);
    await expect.poll(() => hook<string>(replay, 'engine'), poll).toBe('hls.js');
    // Paused once the page has started it (it plays on loadedmetadata), so that seeks land where asked.
    await expect.poll(() => hook<string>(replay, 'state'), poll).toMatch(/^(ready|playing)$/);
    await hook(replay, 'pause');
    await expect.poll(() => hook<boolean>(replay, 'paused'), poll).toBe(true);
    await replay.getByTestId('subtitles').selectOption('ru');
    // The WebVTT loaded: a paused video updates its active cues when its time next changes, so seek after.
    await expect.poll(() => hook<number>(replay, 'subtitleCues'), poll).toBe(3);
    await hook(replay, 'seek', 3.5);
    // hls.js put the cue at 3.0–4.5 s of what plays (the X-TIMESTAMP-MAP lines it up with the video).
    await expect.poll(() => hook<string[]>(replay, 'activeSubtitles'), poll).toEqual(['Сегодня — налоги и отчётность']);

    // The transcript lists every cue; the one playing is marked.
    const transcript = replay.getByTestId('transcript');
    const lines = transcript.locator('[data-testid=transcript-cues] button');
    await expect.poll(() => lines.count(), poll).toBe(3);
    await expect.poll(() => transcript.locator('[aria-current=true]').textContent(), poll).toContain('Сегодня');

    // A search narrows it, marking what matched (ё found by е).
    await transcript.getByTestId('transcript-search').fill('упрощенн');
    await expect.poll(() => lines.count(), poll).toBe(1);
    expect(await transcript.locator('mark').textContent()).toBe('упрощённ');

    // Enter on a line seeks there: the video's time and the subtitle shown follow.
    await lines.first().focus();
    await replay.keyboard.press('Enter');
    await expect.poll(() => hook<number>(replay, 'currentTime'), poll).toBeCloseTo(5.5, 1);
    await expect.poll(() => hook<string[]>(replay, 'activeSubtitles'), poll).toEqual(['Начнём с упрощённой системы']);

    // A click on another line (search cleared) seeks back.
    await transcript.getByTestId('transcript-search').fill('');
    await expect.poll(() => lines.count(), poll).toBe(3);
    await lines.first().click();
    await expect.poll(() => hook<number>(replay, 'currentTime'), poll).toBeCloseTo(1, 1);
    await expect.poll(() => hook<string[]>(replay, 'activeSubtitles'), poll).toEqual(['Добрый день, коллеги!']);

    // Off: nothing shown.
    await replay.getByTestId('subtitles').selectOption('');
    await expect.poll(() => hook<string[]>(replay, 'activeSubtitles'), poll).toEqual([]);
    await replay.context().close();
    expect(problems).toEqual([]);
  }, 180_000);

  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      it(`the replay with its transcript, ${lang}, ${width} px`, async () => {
        const page = await openAs(people.learner.token, `/replay/${seminarId}?lang=${lang}`, width);
        try {
          await waitForHooks(page);
          await page.getByTestId('transcript-cues').locator('button').first().waitFor(poll);
          await page.screenshot({ path: path.join(shots, `replay-${lang}-${width}.png`), fullPage: true });
          expect(await pageProblems(page)).toEqual([]);
          expect(problems).toEqual([]);
        } finally {
          await page.context().close();
        }
      }, 90_000);
    }
  }
});
