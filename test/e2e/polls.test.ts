import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium } from '../support/browser';
import { pageProblems } from '../support/page-checks';
import { failedIn, hook, PageSession, scheduledSeminar } from '../support/page-session';

// Polls in Debian's Chromium (issue 15): the lecturer prepares a poll in the studio before the
// broadcast and makes another on the spot, opens and closes them; two viewers vote on the watch
// page (a second vote refused), and see the bars after voting or at close as chosen; the votes
// are in the database, and the polls on the replay's timeline with their results after the end.

const poll = { timeout: 45_000, interval: 250 };
const shots = path.join(artifacts, 'polls');

describe('polls in the browser', () => {
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
    [app, browser] = await Promise.all([startTestApp('e2e_polls', { MEDIASOUP_WORKERS: '1' }), launchChromium('media')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const open = (name: string, token: string, url: string, width = 1280, ready?: string) => session.open(name, token, url, { width, ready });

  /** The counts a page shows for a poll, from its bars. */
  async function bars(page: Page, pollId: string): Promise<number[]> {
    const items = page.locator(`[data-testid=poll-results][data-poll="${pollId}"] [data-testid=poll-result]`);
    return items.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
  }

  it('a lecturer prepares and opens polls, two viewers vote once each, results live, stored and on the replay', async () => {
    session.dumpOnFailure(60);
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Налоги для ИП', track: 'finance', startsAt: '2030-05-12T18:30', durationMinutes: 60, capacity: 20 },
      [people.learner.token, people.otherLearner.token],
    );

    // Before the broadcast: the lecturer prepares a single-choice poll in the studio, from the keyboard.
    const studio = await open('studio', people.lecturer.token, `/studio/${seminarId}`);
    await expect.poll(() => hook(studio, 'state'), poll).toBe('joined');
    const composer = studio.getByTestId('poll-composer');
    await composer.getByTestId('poll-question').fill('Какой налоговый режим у вас?');
    await composer.getByTestId('poll-add-option').click();
    const options = composer.getByTestId('poll-option');
    await options.nth(0).fill('УСН');
    await options.nth(1).fill('Патент');
    await options.nth(2).fill('НПД');
    await options.nth(2).press('Enter');
    const prepared = studio.locator('[data-testid=poll]', { hasText: 'Какой налоговый режим у вас?' });
    await expect.poll(() => prepared.getAttribute('data-status'), poll).toBe('draft');
    // Not live yet: it cannot be opened.
    expect(await prepared.getByTestId('poll-open').isDisabled()).toBe(true);
    const taxPoll = (await prepared.getAttribute('data-poll'))!;

    const viewerA = await open('watch-a', people.learner.token, `/watch/${seminarId}`);
    const viewerB = await open('watch-b', people.otherLearner.token, `/watch/${seminarId}?lang=en`, 360);
    const viewers = [viewerA, viewerB];
    for (const page of viewers) await expect.poll(() => hook(page, 'state'), poll).toBe('joined');
    // Viewers never see a draft.
    for (const page of viewers) expect(await page.getByTestId('poll').count()).toBe(0);

    await studio.click('[data-testid=go-live]');
    for (const page of viewers) await expect.poll(() => hook(page, 'status'), poll).toBe('live');
    await expect.poll(() => prepared.getByTestId('poll-open').isDisabled(), poll).toBe(false);
    await prepared.getByTestId('poll-open').click();
    await expect.poll(() => prepared.getAttribute('data-status'), poll).toBe('open');

    // Both vote; each sees the bars after voting (this poll shows them then).
    const ballotOn = (page: Page) => page.locator(`[data-testid=poll][data-poll="${taxPoll}"]`);
    await expect.poll(() => ballotOn(viewerA).getByTestId('poll-ballot').count(), poll).toBe(1);
    await ballotOn(viewerA).getByTestId('poll-choice').nth(1).check();
    await ballotOn(viewerA).getByTestId('poll-vote').click();
    await expect.poll(() => bars(viewerA, taxPoll), poll).toEqual([0, 1, 0]);
    await expect.poll(() => ballotOn(viewerB).getByTestId('poll-ballot').count(), poll).toBe(1);
    // B from the keyboard: Space chooses the focused option, Enter on the button votes.
    await ballotOn(viewerB).getByTestId('poll-choice').nth(0).focus();
    await viewerB.keyboard.press('Space');
    await ballotOn(viewerB).getByTestId('poll-vote').focus();
    await viewerB.keyboard.press('Enter');
    await expect.poll(() => bars(viewerB, taxPoll), poll).toEqual([1, 1, 0]);
    // Results right live: the studio and A (who voted first) follow.
    await expect.poll(() => bars(studio, taxPoll), poll).toEqual([1, 1, 0]);
    await expect.poll(() => bars(viewerA, taxPoll), poll).toEqual([1, 1, 0]);

    // A second vote is refused, whatever the page sends; the ballot is gone from both pages.
    for (const page of viewers) {
      expect(await hook(page, 'request', 'poll:vote', { pollId: taxPoll, choices: [2] })).toMatchObject({
        ok: false,
        error: { code: 'poll_already_voted' },
      });
      expect(await ballotOn(page).getByTestId('poll-ballot').count()).toBe(0);
    }

    // On the spot: a multiple-choice poll whose results the viewers see only at close.
    await studio.getByTestId('poll-new').click();
    await composer.getByTestId('poll-question').fill('Какие темы разобрать подробнее?');
    await options.nth(0).fill('Отчётность');
    await options.nth(1).fill('Взносы');
    await composer.getByTestId('poll-multiple').check();
    await composer.getByTestId('poll-show-results').selectOption('at_close');
    await composer.getByTestId('poll-save').click();
    const topics = studio.locator('[data-testid=poll]', { hasText: 'Какие темы разобрать подробнее?' });
    await expect.poll(() => topics.getAttribute('data-status'), poll).toBe('draft');
    const topicsPoll = (await topics.getAttribute('data-poll'))!;
    await topics.getByTestId('poll-open').click();
    const topicsOn = (page: Page) => page.locator(`[data-testid=poll][data-poll="${topicsPoll}"]`);
    await expect.poll(() => topicsOn(viewerA).getByTestId('poll-ballot').count(), poll).toBe(1);
    await topicsOn(viewerA).getByTestId('poll-choice').nth(0).check();
    await topicsOn(viewerA).getByTestId('poll-choice').nth(1).check();
    await topicsOn(viewerA).getByTestId('poll-vote').click();
    await expect.poll(() => topicsOn(viewerB).getByTestId('poll-ballot').count(), poll).toBe(1);
    await topicsOn(viewerB).getByTestId('poll-choice').nth(1).check();
    await topicsOn(viewerB).getByTestId('poll-vote').click();
    // The lecturer sees the counts; the viewers only that their vote counts.
    await expect.poll(() => bars(studio, topicsPoll), poll).toEqual([1, 2]);
    for (const page of viewers) {
      await expect.poll(() => topicsOn(page).getByTestId('poll-voted').count(), poll).toBe(1);
      expect(await topicsOn(page).getByTestId('poll-results').count()).toBe(0);
    }
    await viewerA.screenshot({ path: path.join(shots, 'watch-voted-ru.png') });
    await viewerB.screenshot({ path: path.join(shots, 'watch-voted-en-360.png'), fullPage: true });
    await studio.screenshot({ path: path.join(shots, 'studio-ru.png') });
    expect(await pageProblems(viewerA)).toEqual([]);
    expect(await pageProblems(viewerB)).toEqual([]);
    expect(await pageProblems(studio)).toEqual([]);

    await topics.getByTestId('poll-close').click();
    for (const page of viewers) await expect.poll(() => bars(page, topicsPoll), poll).toEqual([1, 2]);
    expect(await viewerB.getByTestId('polls').textContent()).toContain('2 people voted');
    expect(await viewerA.getByTestId('polls').textContent()).toContain('Проголосовали 2 человека');

    // In the database: one vote per viewer per poll, as cast.
    const db = app.db.connection;
    const votes = await db.collection('live_poll_votes').find({ seminarId }).toArray();
    expect(votes.map((v) => `${v.pollId === taxPoll ? 'tax' : 'topics'}/${v.userId}/${JSON.stringify(v.choices)}`).sort()).toEqual(
      [
        `tax/${people.learner.id}/[1]`,
        `tax/${people.otherLearner.id}/[0]`,
        `topics/${people.learner.id}/[0,1]`,
        `topics/${people.otherLearner.id}/[1]`,
      ].sort(),
    );

    // The end closes the poll still open; the recording becomes the replay.
    studio.once('dialog', (d) => void d.accept());
    await studio.click('[data-testid=end]');
    for (const page of [studio, ...viewers]) await expect.poll(() => hook(page, 'state'), poll).toBe('ended');
    const stored = await db.collection('live_polls').find({ seminarId }).sort({ openedOffsetMs: 1 }).toArray();
    expect(stored.map((p) => [p.question, p.status, p.counts, p.voters])).toEqual([
      ['Какой налоговый режим у вас?', 'closed', [1, 1, 0], 2],
      ['Какие темы разобрать подробнее?', 'closed', [1, 2], 2],
    ]);
    expect(stored[0]!.closedOffsetMs).toBeGreaterThan(stored[1]!.closedOffsetMs);
    await expect
      .poll(async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live;
      }, poll)
      .toBe(true);

    // The replay: both polls are chapters at their offsets, and their results show from then on.
    for (const [lang, page] of [
      ['ru', await open('replay-ru', people.learner.token, `/replay/${seminarId}`)],
      ['en', await open('replay-en', people.otherLearner.token, `/replay/${seminarId}?lang=en`, 360)],
    ] as const) {
      const chapters = page.locator('#chapters li.poll');
      await expect.poll(() => chapters.count(), poll).toBe(2);
      expect(await chapters.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-offset'))))).toEqual(
        stored.map((p) => p.openedOffsetMs),
      );
      await chapters.nth(1).locator('button').click();
      await expect.poll(() => page.getByTestId('replay-poll').count(), poll).toBe(2);
      expect(await bars(page, taxPoll)).toEqual([1, 1, 0]);
      expect(await bars(page, topicsPoll)).toEqual([1, 2]);
      await page.screenshot({ path: path.join(shots, `replay-${lang}.png`), fullPage: lang === 'en' });
      expect(await pageProblems(page)).toEqual([]);
    }

    // The analytics page: the polls with their bars, in the lecturer's language.
    const analytics = await open('analytics', people.lecturer.token, `/workspace/seminars/${seminarId}/analytics`, 1280, 'h1');
    await expect.poll(() => analytics.getByTestId('analytics-poll').count(), poll).toBe(2);
    expect(await bars(analytics, topicsPoll)).toEqual([1, 2]);
    await analytics.screenshot({ path: path.join(shots, 'analytics-ru.png'), fullPage: true });
    expect(await pageProblems(analytics)).toEqual([]);

    expect(problems).toEqual([]);
  }, 240_000);
});
