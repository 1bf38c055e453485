import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, waitForHooks } from '../support/browser';
import { hook, PageSession, scheduledSeminar } from '../support/page-session';

// The browser end to end: Debian's Chromium through playwright-core, with fake
// camera, microphone and screen. One lecturer and two viewers, each in a
// browser context of their own, against the whole app in-process.

/** What window.lectern.stats() returns per stream (see web/src/media.ts). */
interface Stream {
  source: 'camera' | 'mic' | 'screen';
  kind: 'audio' | 'video';
  paused: boolean;
  codec: string | null;
  packets: number;
  bytes: number;
  frames: number;
  frameWidth: number;
  frameHeight: number;
  layers?: Array<{ rid: string | null; frameWidth: number; frames: number }>;
}

async function stream(page: Page, source: Stream['source']): Promise<Stream | undefined> {
  return (await hook<Stream[]>(page, 'stats')).find((s) => s.source === source);
}

const poll = { timeout: 60_000, interval: 250 };

/** Frames decoded on a source keep growing: first some, then clearly more. */
async function expectDecoding(page: Page, source: 'camera' | 'screen'): Promise<Stream> {
  await expect.poll(async () => (await stream(page, source))?.frames ?? 0, poll).toBeGreaterThan(0);
  const first = (await stream(page, source))!.frames;
  await expect.poll(async () => (await stream(page, source))?.frames ?? 0, poll).toBeGreaterThan(first + 15);
  return (await stream(page, source))!;
}

async function expectAudio(page: Page): Promise<void> {
  await expect.poll(async () => (await stream(page, 'mic'))?.packets ?? 0, poll).toBeGreaterThan(0);
  const first = (await stream(page, 'mic'))!.packets;
  await expect.poll(async () => (await stream(page, 'mic'))?.packets ?? 0, poll).toBeGreaterThan(first + 25);
}

describe('live seminar in the browser', () => {
  let app: Lectern;
  let browser: Browser;
  const session = new PageSession(
    () => browser,
    () => app.url,
    (name) => path.join(artifacts, `e2e-failed-${name}.png`),
    { width: 1280, height: 720 },
  );
  const { problems } = session;

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    for (const f of await readdir(artifacts)) if (f.startsWith('e2e-failed-')) await rm(path.join(artifacts, f));
    [app, browser] = await Promise.all([startTestApp('e2e_live'), launchChromium('media')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const newPage = (name: string) => session.blank(name);
  const open = (name: string, token: string, path: string) => session.open(name, token, path);

  it('a lecturer broadcasts to two viewers: camera, mic and screen, chat, Q&A, a worker restart, the end', async () => {
    // On failure: every page as it was, and what the pages logged.
    session.dumpOnFailure();
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      {
        title: 'Финансы для начинающих предпринимателей',
        track: 'finance',
        startsAt: '2030-03-01T18:30',
        durationMinutes: 90,
        capacity: 50,
      },
      [people.learner.token, people.otherLearner.token],
    );

    // The lecturer signs in on the home page and follows the seminar's studio link.
    const studio = await newPage('studio');
    await studio.goto(`${app.url}/`);
    await studio.fill('input[name=email]', people.lecturer.email);
    await studio.fill('input[name=password]', 'correct horse battery');
    await studio.click('#sign-in button[type=submit]');
    const listed = studio.locator('[data-testid=seminar]', { hasText: 'Финансы для начинающих предпринимателей' });
    await expect.poll(() => listed.locator('a[href^="/studio/"]').count(), poll).toBe(1);
    await studio.screenshot({ path: path.join(artifacts, 'e2e-home.png') });
    await listed.locator('a[href^="/studio/"]').click();
    await waitForHooks(studio);
    expect(new URL(studio.url()).pathname).toBe(`/studio/${seminarId}`);

    const viewerA = await open('watch-a', people.learner.token, `/watch/${seminarId}`);
    const viewerB = await open('watch-b', people.otherLearner.token, `/watch/${seminarId}?lang=en`);
    const viewers = [viewerA, viewerB];

    // Everyone is in the room; the viewers wait for the start, the studio counts them.
    for (const page of [studio, ...viewers]) await expect.poll(() => hook(page, 'state'), poll).toBe('joined');
    for (const page of viewers) expect(await page.getAttribute('[data-testid=state]', 'data-state')).toBe('joined');
    await expect.poll(() => hook(studio, 'viewers'), poll).toBe(2);
    await expect.poll(() => studio.textContent('[data-testid=viewers]'), poll).toBe('2 зрителя');

    // Go live: camera (three simulcast layers) and microphone.
    await studio.click('[data-testid=go-live]');
    await expect.poll(async () => (await hook<Stream[]>(studio, 'stats')).map((s) => s.source).sort(), poll).toEqual(['camera', 'mic']);
    const sent = (await stream(studio, 'camera'))!;
    expect(sent.layers).toHaveLength(3);
    const offered = await hook<string[]>(studio, 'sendCodecs');
    const expectedCodec = offered.some((c) => c.toLowerCase() === 'video/h264') ? 'video/H264' : 'video/VP8';
    expect(await hook(studio, 'codec')).toBe(expectedCodec);
    for (const page of viewers) await expect.poll(() => hook(page, 'status'), poll).toBe('live');

    for (const page of viewers) {
      const camera = await expectDecoding(page, 'camera');
      expect(camera.codec?.toLowerCase()).toBe(expectedCodec.toLowerCase());
      await expectAudio(page);
    }
    // The encoder sends all three layers.
    await expect.poll(async () => (await stream(studio, 'camera'))?.layers?.filter((l) => l.frames > 0).length, poll).toBe(3);

    // Share the screen: its own producer, decoded by both viewers.
    await studio.click('[data-testid=share-screen]');
    await expect
      .poll(async () => (await hook<Stream[]>(studio, 'stats')).map((s) => s.source).sort(), poll)
      .toEqual(['camera', 'mic', 'screen']);
    for (const page of viewers) {
      const screen = await expectDecoding(page, 'screen');
      expect(screen.frameWidth).toBeGreaterThan(0);
      await expectDecoding(page, 'camera'); // still, now in the corner
    }

    // Pause and resume the camera: the viewers see it paused, then decoding again.
    const cameraPaused = async (page: Page) => (await stream(page, 'camera'))?.paused;
    await studio.click('[data-testid=toggle-camera]');
    for (const page of viewers) await expect.poll(() => cameraPaused(page), poll).toBe(true);
    await studio.click('[data-testid=toggle-camera]');
    for (const page of viewers) {
      await expect.poll(() => cameraPaused(page), poll).toBe(false);
      await expectDecoding(page, 'camera');
    }

    // A chat message reaches both viewers and the studio.
    const hello = 'Здравствуйте! Всё видно и слышно.';
    await viewerA.fill('[data-testid=chat-input]', hello);
    await viewerA.click('[data-testid=chat-send]');
    for (const page of [studio, ...viewers]) {
      await expect.poll(() => page.locator('[data-testid=chat-message]', { hasText: hello }).count(), poll).toBe(1);
    }

    // A question: asked by B, upvoted by A, answered by the lecturer.
    const ask = 'Как рассчитать точку безубыточности?';
    await viewerB.fill('[data-testid=question-input]', ask);
    await viewerB.click('[data-testid=question-ask]');
    const questionOn = (page: Page) => page.locator('[data-testid=question]', { hasText: ask });
    await expect.poll(() => questionOn(viewerA).count(), poll).toBe(1);
    await questionOn(viewerA).locator('[data-testid=upvote]').click();
    for (const page of [studio, ...viewers]) await expect.poll(() => questionOn(page).getAttribute('data-votes'), poll).toBe('1');
    expect(await questionOn(viewerA).locator('[data-testid=upvote]').isDisabled()).toBe(true);
    await questionOn(studio).locator('[data-testid=mark-answered]').click();
    for (const page of [studio, ...viewers]) await expect.poll(() => questionOn(page).getAttribute('data-status'), poll).toBe('answered');

    // A raised hand shows in the studio.
    await viewerA.click('[data-testid=raise-hand]');
    await expect.poll(() => hook<string[]>(studio, 'hands'), poll).toHaveLength(1);

    // A viewer may not send media: the server refuses, whatever the page tries.
    const refusedTransport = await hook<any>(viewerA, 'request', 'transport:create', { direction: 'send' });
    expect(refusedTransport).toMatchObject({ ok: false, error: { code: 'not_allowed_to_produce' } });
    const refusedProduce = await hook<any>(viewerB, 'request', 'produce', {
      transportId: 'any',
      kind: 'video',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 1111 }] },
      source: 'camera',
    });
    expect(refusedProduce).toMatchObject({ ok: false, error: { code: 'not_allowed_to_produce' } });

    await studio.screenshot({ path: path.join(artifacts, 'e2e-studio-live.png') });
    await viewerA.screenshot({ path: path.join(artifacts, 'e2e-watch-live-ru.png') });
    await viewerB.screenshot({ path: path.join(artifacts, 'e2e-watch-live-en.png') });

    // The media worker under the room dies: every page rejoins by itself, the studio publishes
    // its camera, microphone and screen again, and the viewers decode them again.
    const room = await app.rooms.peek(seminarId);
    process.kill(room!.routers()[0]!.workerPid, 'SIGKILL');
    for (const page of [studio, ...viewers]) await expect.poll(() => hook(page, 'joins'), poll).toBe(2);
    await expect
      .poll(async () => (await hook<Stream[]>(studio, 'stats')).map((s) => s.source).sort(), poll)
      .toEqual(['camera', 'mic', 'screen']);
    for (const page of viewers) {
      await expectDecoding(page, 'screen');
      await expectDecoding(page, 'camera');
      await expectAudio(page);
      await expect.poll(() => questionOn(page).getAttribute('data-status'), poll).toBe('answered');
    }

    // The end: the lecturer confirms, every page shows it.
    studio.once('dialog', (d) => void d.accept());
    await studio.click('[data-testid=end]');
    for (const page of [studio, ...viewers]) await expect.poll(() => hook(page, 'state'), poll).toBe('ended');
    await viewerB.screenshot({ path: path.join(artifacts, 'e2e-watch-ended-en.png') });

    expect(problems).toEqual([]);
  }, 300_000);
});
