import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium } from '../support/browser';
import { failedIn, hook, PageSession, scheduledSeminar } from '../support/page-session';
import { pageProblems, shownSlide as shown } from '../support/page-checks';
import { makePdf } from '../support/pdf';

// Slides in Debian's Chromium (issue 15): the lecturer uploads a 3-page PDF in the studio, goes
// live and flips to page 2 (a button) then 3 (the arrow key); two viewers (ru at desktop width,
// en at 360 px) see each slide as a loaded image; after the end the replay shows the slide that
// was up at the moment it is seeked to, and lists the slides' titles as chapters.

const poll = { timeout: 45_000, interval: 250 };
const shots = path.join(artifacts, 'slides');
const TITLES = ['Market size', 'Unit economics', 'Next steps'];

describe('slides in the browser', () => {
  let app: Lectern;
  let browser: Browser;
  const session = new PageSession(
    () => browser,
    () => app.url,
    failedIn(shots),
  );
  const { problems } = session;

  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    [app, browser] = await Promise.all([startTestApp('e2e_slides', { MEDIASOUP_WORKERS: '1' }), launchChromium('media')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const open = (name: string, token: string, url: string, width = 1280) => session.open(name, token, url, { width });

  it('a PDF deck flipped live is seen by two viewers, and on the replay at the right times with its titles as chapters', async () => {
    session.dumpOnFailure(60);
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Финансовая модель', track: 'finance', startsAt: '2030-05-12T18:30', durationMinutes: 60, capacity: 20 },
      [people.learner.token, people.otherLearner.token],
    );

    // Before the broadcast: the lecturer uploads the deck in the studio; its thumbnails appear.
    const studio = await open('studio', people.lecturer.token, `/studio/${seminarId}`);
    await expect.poll(() => hook(studio, 'state'), poll).toBe('joined');
    await studio.getByTestId('slide-upload').setInputFiles({ name: 'Модель.pdf', mimeType: 'application/pdf', buffer: makePdf(TITLES) });
    await expect.poll(() => studio.getByTestId('slide-thumb').count(), poll).toBe(3);
    expect(await studio.getByTestId('slide-next').isDisabled()).toBe(true);
    const deckId = (await app.db.connection.collection('slide_decks').findOne({ seminarId }))!._id.toString();

    // A deck uploaded by mistake goes with its button, after a confirmation; the first one is chosen again.
    await studio
      .getByTestId('slide-upload')
      .setInputFiles({ name: 'Черновик.pdf', mimeType: 'application/pdf', buffer: makePdf(['Draft']) });
    await expect.poll(() => studio.getByTestId('slide-thumb').count(), poll).toBe(1);
    studio.once('dialog', (d) => void d.accept());
    await studio.getByRole('button', { name: 'Удалить презентацию «Черновик.pdf»' }).click();
    await expect.poll(() => studio.getByTestId('slide-thumb').count(), poll).toBe(3);
    expect(await app.db.connection.collection('slide_decks').countDocuments({ seminarId })).toBe(1);
    expect(await studio.getByTestId('slide-delete').textContent()).toBe('Удалить презентацию «Модель.pdf»');

    const viewerA = await open('watch-a', people.learner.token, `/watch/${seminarId}`);
    const viewerB = await open('watch-b', people.otherLearner.token, `/watch/${seminarId}?lang=en`, 360);
    const viewers = [viewerA, viewerB];
    for (const page of viewers) await expect.poll(() => hook(page, 'state'), poll).toBe('joined');
    for (const page of viewers) expect(await shown(page, 'slide')).toBeNull();

    await studio.click('[data-testid=go-live]');
    for (const page of viewers) await expect.poll(() => hook(page, 'status'), poll).toBe('live');
    await expect.poll(() => studio.getByTestId('slide-next').isDisabled(), poll).toBe(false);

    // Page 2 from its thumbnail, then page 3 with the arrow key.
    await studio.getByTestId('slide-thumb').nth(1).click();
    for (const page of viewers) {
      await expect.poll(() => shown(page, 'slide'), poll).toEqual({ page: 2, src: expect.stringContaining(`/${deckId}/`), loaded: true });
      expect((await shown(page, 'slide'))!.src).toMatch(/\/slide-2\.png$/);
    }
    expect(await viewerA.getByTestId('slide').textContent()).toContain('Unit economics');
    await viewerA.screenshot({ path: path.join(shots, 'watch-ru.png') });
    await viewerB.screenshot({ path: path.join(shots, 'watch-en-360.png'), fullPage: true });
    expect(await pageProblems(viewerA)).toEqual([]);
    expect(await pageProblems(viewerB)).toEqual([]);

    // Some seconds between the flips, so the replay can be seeked to either side of them.
    await new Promise((r) => setTimeout(r, 4000));
    await studio.locator('body').click({ position: { x: 5, y: 5 } });
    await studio.keyboard.press('ArrowRight');
    for (const page of viewers) {
      await expect.poll(() => shown(page, 'slide'), poll).toEqual({ page: 3, src: expect.stringMatching(/\/slide-3\.png$/), loaded: true });
    }
    await expect.poll(() => studio.getByTestId('slide-position').textContent(), poll).toBe('Слайд 3 из 3');
    await studio.screenshot({ path: path.join(shots, 'studio-ru.png'), fullPage: true });
    expect(await pageProblems(studio)).toEqual([]);

    const changes = await app.db.connection.collection('slide_changes').find({ seminarId }).sort({ at: 1 }).toArray();
    expect(changes.map((c) => c.page)).toEqual([2, 3]);
    const [flip2, flip3] = changes.map((c) => c.offsetMs as number);
    expect(flip3! - flip2!).toBeGreaterThan(3000);

    // Recorded well past the last flip, however late under load the recording caught up.
    await new Promise((r) => setTimeout(r, 8000));
    studio.once('dialog', (d) => void d.accept());
    await studio.click('[data-testid=end]');
    for (const page of [studio, ...viewers]) await expect.poll(() => hook(page, 'state'), poll).toBe('ended');
    await expect
      .poll(async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live;
      }, poll)
      .toBe(true);

    // The flips where the recording has them: its time 0 is the live start (the recorder fills
    // with black whatever came before its first picture, however late it started under load),
    // so a stored offset is a time of the replay.
    const [at2, at3] = [flip2!, flip3!];

    // The replay: the slide follows seeks, and the titles are chapters at the flips' offsets.
    for (const [lang, page] of [
      ['ru', await open('replay-ru', people.learner.token, `/replay/${seminarId}`)],
      ['en', await open('replay-en', people.otherLearner.token, `/replay/${seminarId}?lang=en`, 360)],
    ] as const) {
      await expect.poll(() => hook(page, 'state'), poll).not.toBe('loading');
      const chapters = page.locator('#chapters li.slide');
      await expect.poll(() => chapters.count(), poll).toBe(2);
      expect(await chapters.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-offset')), e.textContent]))).toEqual([
        [at2, expect.stringContaining('Unit economics')],
        [at3, expect.stringContaining('Next steps')],
      ]);
      await hook(page, 'seek', (at2 + at3) / 2000);
      await expect
        .poll(() => shown(page, 'replay-slide'), poll)
        .toEqual({ page: 2, src: expect.stringMatching(/\/slide-2\.png$/), loaded: true });
      // Between the last flip and the end of what was recorded.
      await expect.poll(() => hook<number>(page, 'duration'), poll).toBeGreaterThan(at3 / 1000 + 2);
      await hook(page, 'seek', (at3 / 1000 + (await hook<number>(page, 'duration'))) / 2);
      await expect
        .poll(() => shown(page, 'replay-slide'), poll)
        .toEqual({ page: 3, src: expect.stringMatching(/\/slide-3\.png$/), loaded: true });
      if (at2 > 1000) {
        await hook(page, 'seek', at2 / 2000);
        await expect.poll(() => shown(page, 'replay-slide'), poll).toBeNull();
      }
      // A chapter seeks there, and its slide shows.
      await chapters.nth(0).locator('button').click();
      await expect.poll(() => shown(page, 'replay-slide').then((s) => s?.page), poll).toBe(2);
      await page.screenshot({ path: path.join(shots, `replay-${lang}.png`), fullPage: lang === 'en' });
      expect(await pageProblems(page)).toEqual([]);
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
