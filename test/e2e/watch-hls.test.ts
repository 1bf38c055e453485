import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { artifacts, launchChromium, reportCspViolations, signInPage, waitForHooks } from '../support/browser';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { hook, scheduledSeminar } from '../support/page-session';

// The watch page when every WebRTC seat is taken (here: none at all): it plays the
// seminar's live HLS through hls.js, loaded only then, says it runs a few seconds
// behind, and shows the end when the playlist ends.

const poll = { timeout: 30_000, interval: 200 };

describe('watch page over capacity', () => {
  let app: Lectern;
  let browser: Browser;
  const sources: ChildProcess[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startTestApp('e2e_watch_hls', { MEDIASOUP_WORKERS: '1', LIVE_MAX_WEBRTC_VIEWERS: '0' }),
      launchChromium('playback'),
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const s of sources) s.kill('SIGKILL');
    await browser?.close();
    await app?.stop();
  });

  it('falls back to the live HLS with hls.js, then shows the end', async () => {
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Маркетплейсы', track: 'sales', startsAt: '2030-05-01T18:00', durationMinutes: 60, capacity: 20 },
      [people.learner.token],
    );

    const lecturer = await LiveClient.connect(app.url, people.lecturer.token);
    await lecturer.ok('room:join', { seminarId });
    await lecturer.ok('seminar:go-live', {});
    const room = (await app.rooms.peek(seminarId))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    sources.push(ffmpeg);
    const record = (await app.repos.seminars.get(seminarId))!;
    app.recorder.producerAdded(room, record, { producer: video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, record, { producer: audio, source: 'mic', role: 'lecturer' });
    // A playlist with a few segments (the page does not retry a playlist that is not written yet).
    await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
        if (res.status !== 200) return undefined;
        const text = await (await fetch(`${app.url}${res.body.playlistUrl}`)).text();
        return (text.match(/^#EXTINF/gm)?.length ?? 0) >= 3 ? true : undefined;
      },
      30_000,
      'a live playlist with three segments',
    );

    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    const scripts: string[] = [];
    page.on('request', (req) => {
      if (req.resourceType() === 'script') scripts.push(req.url());
    });
    onTestFailed(async () => {
      await page.screenshot({ path: path.join(artifacts, 'e2e-watch-hls-failed.png') }).catch(() => undefined);
    });
    await reportCspViolations(page, 'watch', problems);
    await signInPage(page, people.learner.token);
    await page.goto(`${app.url}/watch/${seminarId}`);
    await waitForHooks(page);

    await expect.poll(() => hook(page, 'hls'), poll).toBe('hls.js');
    expect(scripts.some((s) => /\/assets\/hls\.js-[\w-]+\.js$/.test(s))).toBe(true);
    await expect
      .poll(
        () =>
          page.evaluate(
            () => (globalThis as any).document.getElementById('main-video').getVideoPlaybackQuality().totalVideoFrames as number,
          ),
        poll,
      )
      .toBeGreaterThan(20);
    expect(await hook(page, 'state')).toBe('failed');
    expect(await page.getByTestId('state').isHidden()).toBe(true);
    expect(await page.locator('#main-label').textContent()).toMatch(/задержкой в несколько секунд/);
    expect(await page.getByTestId('unmute').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(artifacts, 'e2e-watch-hls.png') });

    await lecturer.ok('seminar:end', {});
    lecturer.close();
    await expect.poll(() => hook(page, 'state'), { timeout: 60_000, interval: 250 }).toBe('ended');
    expect(await page.getByTestId('state').textContent()).toMatch(/Семинар завершён/);
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
});
