import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium } from '../support/browser';
import { failedIn, hook, PageSession, scheduledSeminar } from '../support/page-session';
import { pageProblems, shownSlide } from '../support/page-checks';
import { makePdf } from '../support/pdf';
import { readyRecording } from '../support/recordings';

// An encore ("autowebinar", «Повтор») in Debian's Chromium: an ended seminar's recording is
// scheduled to play again; two registered viewers wait on the watch page, the encore goes on
// air by itself at its start, both play the recording at the live point (no media room), the
// original chat and answered question appear at their offsets, and the original slides where
// they changed, a new chat message reaches the other viewer live, the original poll reopens for
// new votes, and the encore ends by itself.

interface EncoreHook {
  playing: boolean;
  position: number;
  replayed: string[];
}

const poll = { timeout: 60_000, interval: 200 };
const shots = path.join(artifacts, 'encore');
/** The test recording's length: the encore lasts this long. */
const RECORDING_SECONDS = 30;

describe('encore broadcast in the browser', () => {
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
    [app, browser] = await Promise.all([startTestApp('e2e_encore', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const open = (name: string, token: string, url: string, ready?: string) => session.open(name, token, url, { ready });

  it('starts on schedule, plays in step for two viewers, replays the original chat at its offsets, carries new chat live, and ends by itself', async () => {
    session.dumpOnFailure();
    const api = Api.of(app);
    const people = await cast(api);
    const lecturerId = app.domain.tokens.verifyAccess(people.lecturer.token);
    if (lecturerId.kind !== 'user') throw new Error('the lecturer is a user');

    // The original: a seminar that ran and ended, with a ready recording, two chat messages, an
    // answered question, a poll and two slides, at known offsets of its session.
    const sourceId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Маркетплейсы для начинающих', track: 'sales', startsAt: '2030-05-01T18:00', durationMinutes: 60, capacity: 20 },
      [],
    );
    const deck = await api.call('POST', `/seminars/${sourceId}/decks?name=marketplaces.pdf`, {
      token: people.lecturer.token,
      rawBody: makePdf(['Choosing a marketplace', 'Fees and logistics']),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(deck.status, deck.text).toBe(201);
    const ranAt = new Date(Date.now() - 3_600_000);
    await app.repos.seminars.transition(sourceId, ['scheduled'], 'live', ranAt);
    await app.repos.seminars.transition(sourceId, ['live'], 'ended', new Date(ranAt.getTime() + RECORDING_SECONDS * 1000));
    await readyRecording(app, sourceId, RECORDING_SECONDS);
    const say = (text: string, offsetMs: number) =>
      app.repos.live.addChat({
        seminarId: sourceId,
        userId: lecturerId.userId,
        displayName: 'Лектор',
        text,
        at: new Date(ranAt.getTime() + offsetMs),
        offsetMs,
      });
    const early = await say('Добрый вечер! Начинаем с выбора площадки', 3000);
    const later = await say('Теперь о комиссиях и логистике', 12_000);
    const question = await app.repos.live.addQuestion({
      seminarId: sourceId,
      userId: lecturerId.userId,
      displayName: 'Слушатель',
      text: 'Сколько стоит хранение на складе?',
      at: new Date(ranAt.getTime() + 6000),
      offsetMs: 6000,
    });
    await app.repos.live.setQuestionStatus(sourceId, question.id, 'answered', 8000);
    const sourcePoll = await app.repos.polls.create({
      seminarId: sourceId,
      question: 'Где вы уже продаёте?',
      options: ['Ozon', 'Wildberries', 'Нигде'],
      multiple: false,
      showResults: 'after_vote',
      createdAt: ranAt,
    });
    await app.repos.polls.markOpen(sourcePoll.id, 5000);
    await app.repos.polls.markClosed(sourcePoll.id, 20_000, { counts: [1, 0, 0], voters: 1 });
    for (const [page, offsetMs] of [
      [1, 2000],
      [2, 20_000],
    ] as const)
      await app.repos.slides.addChange({
        seminarId: sourceId,
        deckId: deck.body.id,
        page,
        offsetMs,
        at: new Date(ranAt.getTime() + offsetMs),
      });

    // The lecturer schedules the encore from the ended seminar's page (date, time, zone).
    const studio = await open('lecturer', people.lecturer.token, `/seminars/${sourceId}`, '[data-testid=encore-form]');
    const encoreForm = studio.getByTestId('encore-form');
    expect(await pageProblems(studio)).toEqual([]);
    await studio.screenshot({ path: path.join(shots, 'schedule-ru-1280.png') });
    await encoreForm.locator('input[name=startsAt]').fill('2030-06-01T19:00');
    await encoreForm.getByTestId('encore-zone').selectOption('Europe/Moscow');
    await encoreForm.locator('button[type=submit]').click();
    await studio.waitForURL((u) => /\/seminars\/[0-9a-f]{24}$/.test(u.pathname) && !u.pathname.endsWith(sourceId), { timeout: 30_000 });
    const encoreId = new URL(studio.url()).pathname.split('/').pop()!;
    expect(await studio.getByTestId('encore-badge').textContent()).toBe('Повтор');
    const encoreRecord = (await app.repos.seminars.get(encoreId))!;
    expect(encoreRecord).toMatchObject({
      status: 'scheduled',
      encoreOf: sourceId,
      title: 'Маркетплейсы для начинающих',
      timeZone: 'Europe/Moscow',
    });
    expect(encoreRecord.startsAt.toISOString()).toBe('2030-06-01T16:00:00.000Z');
    await studio.goto(`${app.url}/seminars/${encoreId}?lang=en`);
    await studio.getByTestId('encore-badge').waitFor({ timeout: 30_000 });
    expect(await studio.getByTestId('encore-badge').textContent()).toBe('Repeat');
    expect(await pageProblems(studio)).toEqual([]);
    await studio.screenshot({ path: path.join(shots, 'encore-page-en-1280.png') });
    await studio.context().close();
    for (const learner of [people.learner, people.otherLearner])
      expect((await api.call('PUT', `/seminars/${encoreId}/registration`, { token: learner.token })).status).toBe(200);

    // Two viewers wait on the watch page (Russian and English) before the start.
    const viewerA = await open('viewer-ru', people.learner.token, `/watch/${encoreId}`);
    const viewerB = await open('viewer-en', people.otherLearner.token, `/watch/${encoreId}?lang=en`);
    for (const page of [viewerA, viewerB]) {
      await expect.poll(() => hook(page, 'state'), poll).toBe('joined');
      expect(await hook(page, 'status')).toBe('scheduled');
    }
    expect(await viewerA.getByTestId('encore-badge').textContent()).toBe('Повтор');
    expect(await viewerB.getByTestId('encore-badge').textContent()).toBe('Repeat');
    expect(await viewerA.getByTestId('state').textContent()).toContain('Эфир ещё не начался');

    // The start, brought to a few seconds from now (the route takes minutes): the scheduler, not the test, moves it.
    const startsAt = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
    expect(await app.repos.seminars.update(encoreId, ['scheduled'], { startsAt })).not.toBeNull();
    let wentLiveAt = 0;
    await expect
      .poll(async () => {
        const s = await app.repos.seminars.get(encoreId);
        if (s?.status === 'live' && !wentLiveAt) wentLiveAt = Date.now();
        return s?.status;
      }, poll)
      .toBe('live');
    const live = (await app.repos.seminars.get(encoreId))!;
    expect(live.liveStartedAt?.getTime()).toBe(startsAt.getTime());
    expect(wentLiveAt - startsAt.getTime()).toBeGreaterThanOrEqual(0);
    // On schedule: within a few scheduler ticks (one a second) of the start, even on a loaded machine.
    expect(wentLiveAt - startsAt.getTime()).toBeLessThan(5000);

    // Both play the recording at the live point, with no media room and no recording of their own.
    for (const page of [viewerA, viewerB]) {
      await expect.poll(async () => (await hook<EncoreHook | null>(page, 'encore'))?.playing, poll).toBe(true);
      await expect.poll(async () => (await hook<EncoreHook>(page, 'encore')).position, poll).toBeGreaterThan(1);
      const { position } = await hook<EncoreHook>(page, 'encore');
      const livePoint = (Date.now() - startsAt.getTime()) / 1000;
      expect(Math.abs(position - livePoint)).toBeLessThan(4);
    }
    expect(await app.rooms.peek(encoreId)).toBeUndefined();
    expect(app.pool.stats().workers.reduce((n, w) => n + w.routers, 0)).toBe(0);
    expect((await app.repos.recordings.list([encoreId], 10)).items).toEqual([]);
    await expect.poll(() => hook(viewerA, 'viewers'), poll).toBe(2);

    // The original chat appears at its offsets: the first early, the second only once playback passes 12 s.
    const seen = async (page: Page, id: string) => (await hook<EncoreHook>(page, 'encore')).replayed.includes(id);
    await expect.poll(() => seen(viewerA, early.id), poll).toBe(true);
    const slidesSeen: Array<{ page: number; position: number; loaded: boolean }> = [];
    for (;;) {
      const slide = await shownSlide(viewerB, 'slide');
      const { position, replayed } = await hook<EncoreHook>(viewerB, 'encore');
      if (slide) slidesSeen.push({ page: slide.page, position, loaded: slide.loaded });
      if (replayed.includes(later.id)) {
        expect(position).toBeGreaterThanOrEqual(12);
        break;
      }
      expect(position).toBeLessThan(13);
      await new Promise((r) => setTimeout(r, 150));
    }
    await expect.poll(() => seen(viewerA, later.id), poll).toBe(true);
    const replayedLine = viewerA.locator(`[data-testid=chat-message][data-id="${later.id}"]`);
    expect(await replayedLine.getAttribute('data-replayed')).toBe('true');
    expect(await replayedLine.textContent()).toContain('Теперь о комиссиях и логистике');
    expect(await replayedLine.textContent()).toContain('из эфира');
    expect(await viewerB.locator(`[data-testid=chat-message][data-id="${later.id}"]`).textContent()).toContain('original');
    await expect.poll(() => viewerA.locator(`[data-testid=question][data-id="${question.id}"]`).count(), poll).toBe(1);

    // The original's slides, where they changed: page 1 from 2 s (page 2, at 20 s, is checked below).
    expect(slidesSeen.some((s) => s.loaded)).toBe(true);
    expect(slidesSeen.every((s) => s.page === 1 && s.position >= 2)).toBe(true);

    // A new message from one viewer reaches the other live, stored under the encore.
    await viewerA.getByTestId('chat-input').fill('Смотрю повтор — отличный разбор!');
    await viewerA.getByTestId('chat-send').click();
    const fresh = viewerB.locator('[data-testid=chat-message]:not([data-replayed])', { hasText: 'Смотрю повтор — отличный разбор!' });
    await expect.poll(() => fresh.count(), poll).toBe(1);
    const stored = await app.repos.live.recentChat(encoreId, 10);
    expect(stored.map((m) => m.text)).toEqual(['Смотрю повтор — отличный разбор!']);

    // The original poll reopened (it opened at 5 s and closes at 20 s): a new vote, stored under the encore.
    const ballot = viewerB.locator('[data-testid=poll][data-status=open]');
    await expect.poll(() => ballot.count(), poll).toBe(1);
    await ballot.getByTestId('poll-choice').nth(1).check();
    await ballot.getByTestId('poll-vote').click();
    await expect.poll(() => viewerB.getByTestId('poll-voted').count(), poll).toBe(1);
    const [encorePoll] = await app.repos.polls.list(encoreId);
    expect(encorePoll).toMatchObject({ question: 'Где вы уже продаёте?', openedOffsetMs: 5000 });
    expect(await app.repos.polls.tally(encorePoll!.id, 3)).toEqual({ counts: [0, 1, 0], voters: 1 });
    expect(await app.repos.polls.tally(sourcePoll.id, 3)).toEqual({ counts: [0, 0, 0], voters: 0 });

    for (const [page, lang] of [
      [viewerA, 'ru'],
      [viewerB, 'en'],
    ] as const) {
      expect(await pageProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(shots, `watch-${lang}-1280.png`) });
    }
    await viewerA.setViewportSize({ width: 360, height: 780 });
    expect(await pageProblems(viewerA)).toEqual([]);
    await viewerA.screenshot({ path: path.join(shots, 'watch-ru-360.png') });
    await viewerB.setViewportSize({ width: 360, height: 780 });
    expect(await pageProblems(viewerB)).toEqual([]);
    await viewerB.screenshot({ path: path.join(shots, 'watch-en-360.png') });

    // Page 2 once playback passes 20 s (the player shows a change only once the picture is past
    // it; the encore may have ended meanwhile, which keeps the last slide but resets the video).
    for (const page of [viewerA, viewerB]) {
      await expect
        .poll(() => shownSlide(page, 'slide'), poll)
        .toEqual({ page: 2, src: expect.stringMatching(/\/slide-2\.png$/), loaded: true });
      expect(Date.now() - startsAt.getTime()).toBeGreaterThanOrEqual(20_000);
    }
    expect(await viewerA.getByTestId('slide').textContent()).toContain('Fees and logistics');

    // Once the recording has played, the encore ends by itself, and attendance is the encore's.
    await expect.poll(async () => (await app.repos.seminars.get(encoreId))?.status, { ...poll, timeout: 90_000 }).toBe('ended');
    const ended = (await app.repos.seminars.get(encoreId))!;
    expect(ended.endedAt?.getTime()).toBe(startsAt.getTime() + RECORDING_SECONDS * 1000);
    for (const page of [viewerA, viewerB]) await expect.poll(() => hook(page, 'state'), poll).toBe('ended');
    expect((await app.repos.polls.list(encoreId))[0]?.status).toBe('closed');
    const attendance = await app.repos.live.attendance(encoreId);
    expect(new Set(attendance.map((a) => a.userId))).toEqual(new Set([people.learner.id, people.otherLearner.id]));
    // The time counts toward the original's lesson (its seminar's content id), not a new one.
    await app.domain.progress.flush();
    const [progress] = await app.repos.progress.listForUser(people.learner.id, [sourceId]);
    expect(Object.values(progress?.live ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    expect(await app.repos.progress.listForUser(people.learner.id, [encoreId])).toEqual([]);
    expect(problems).toEqual([]);
  }, 240_000);
});
