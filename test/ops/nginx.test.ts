import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, signInPage, waitForHooks } from '../support/browser';
import { waitFor } from '../support/media';
import { httpsCall, SITE_NAME, startNginx, type Nginx } from '../support/nginx';
import { hook } from '../support/page-session';

// The shipped nginx site (deploy/nginx/lectern.conf) in front of Lectern, TLS with a
// self-signed certificate: a lecturer and two viewers in Chromium reach everything
// through it — pages, sign-in, the API, Socket.IO over WebSocket, WebRTC media (whose
// packets go to mediasoup directly), live HLS and the replay — and Lectern sees the
// client address nginx forwards, not one a client makes up.

interface Stream {
  source: string;
  frames: number;
  packets: number;
}

const poll = { timeout: 60_000, interval: 250 };

describe('Lectern behind nginx over HTTPS', () => {
  let app: Lectern;
  let nginx: Nginx;
  let media: Browser;
  let playback: Browser;
  const problems: string[] = [];
  const consoleLog: string[] = [];
  const requested: string[] = [];
  const sockets: string[] = [];
  const pages = new Map<string, Page>();
  let origin: string;

  beforeAll(async () => {
    app = await startTestApp('nginx', { MEDIASOUP_WORKERS: '1', TRUST_PROXY: 'loopback', PUBLIC_BASE_URL: `https://${SITE_NAME}` });
    [nginx, media, playback] = await Promise.all([startNginx(app.port), launchChromium('media'), launchChromium('playback')]);
    origin = `https://127.0.0.1:${nginx.httpsPort}`;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([media?.close(), playback?.close()]);
    await nginx?.stop();
    await app?.stop();
  });

  /** A page in a context of its own that accepts the self-signed certificate. */
  async function open(browser: Browser, name: string, url: string, token?: string): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    pages.set(name, page);
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
    page.on('console', (m) => consoleLog.push(`${name} ${m.type()}: ${m.text()}`));
    page.on('request', (r) => requested.push(r.url()));
    page.on('websocket', (ws) => sockets.push(ws.url()));
    if (token) await signInPage(page, token);
    await page.goto(`${origin}${url}`);
    return page;
  }

  const ready = (page: Page) => waitForHooks(page);
  const stream = async (page: Page, source: string) => (await hook<Stream[]>(page, 'stats')).find((s) => s.source === source);
  const through = (p: string, headers: Record<string, string> = {}) =>
    httpsCall({ port: nginx.httpsPort, path: p, ca: nginx.cert, headers });

  it('a lecturer broadcasts and viewers watch live, on live HLS and in the replay, all through nginx', async () => {
    onTestFailed(async () => {
      for (const [name, page] of pages)
        if (!page.isClosed()) await page.screenshot({ path: path.join(artifacts, `nginx-failed-${name}.png`) }).catch(() => undefined);
      console.error(['page errors:', ...problems, 'console:', ...consoleLog.slice(-60)].join('\n'));
    });
    const api = Api.of(app);
    const people = await cast(api);
    const course = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Курс за прокси', track: 'ops' } });
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: {
        title: 'Эфир через HTTPS',
        track: 'ops',
        startsAt: '2030-05-01T18:00',
        durationMinutes: 60,
        capacity: 20,
        courseId: course.body.id,
      },
    });
    const seminarId: string = created.body.id;
    expect(
      (await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
    ).toBe(200);
    for (const learner of [people.learner, people.otherLearner])
      expect((await api.call('PUT', `/seminars/${seminarId}/registration`, { token: learner.token })).status).toBe(200);

    // The API through nginx: the same answer as from Lectern itself.
    const listed = await through('/api/v1/seminars?limit=50', { authorization: `Bearer ${people.learner.token}` });
    expect(listed.status).toBe(200);
    expect(listed.headers['content-type']).toContain('application/json');
    expect(JSON.parse(listed.body.toString()).items.map((s: { id: string }) => s.id)).toContain(seminarId);

    // The lecturer signs in on the home page, then opens the studio and goes live.
    const studio = await open(media, 'studio', '/');
    await studio.fill('input[name=email]', people.lecturer.email);
    await studio.fill('input[name=password]', 'correct horse battery');
    await studio.click('#sign-in button[type=submit]');
    await expect.poll(() => studio.locator(`a[href="/studio/${seminarId}"]`).count(), poll).toBe(1);
    await studio.goto(`${origin}/studio/${seminarId}`);
    await ready(studio);
    await expect.poll(() => hook(studio, 'state'), poll).toBe('joined');
    await studio.click('[data-testid=go-live]');
    await expect.poll(async () => (await hook<Stream[]>(studio, 'stats')).map((s) => s.source).sort(), poll).toEqual(['camera', 'mic']);

    // A viewer over WebRTC: frames decoded, sound arriving.
    const viewer = await open(media, 'watch', `/watch/${seminarId}`, people.learner.token);
    await ready(viewer);
    await expect.poll(() => hook(viewer, 'status'), poll).toBe('live');
    await expect.poll(async () => (await stream(viewer, 'camera'))?.frames ?? 0, poll).toBeGreaterThan(0);
    const firstFrames = (await stream(viewer, 'camera'))!.frames;
    await expect.poll(async () => (await stream(viewer, 'camera'))?.frames ?? 0, poll).toBeGreaterThan(firstFrames + 15);
    await expect.poll(async () => (await stream(viewer, 'mic'))?.packets ?? 0, poll).toBeGreaterThan(25);

    // Another viewer on the live HLS: hls.js decoding frames that keep coming. It opens once a
    // few seconds are recorded, as the replay test's does: what this test checks is the path
    // through nginx (a viewer who comes before the first segment: test/e2e/replay.test.ts).
    await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.otherLearner.token });
        if (res.status !== 200) return undefined;
        const text = await (await fetch(`${app.url}${res.body.playlistUrl}`)).text();
        return (text.match(/^#EXTINF/gm)?.length ?? 0) >= 3 ? true : undefined;
      },
      30_000,
      'three recorded segments',
    );
    const live = await open(playback, 'live-hls', `/replay/${seminarId}`, people.otherLearner.token);
    await ready(live);
    await expect.poll(() => hook(live, 'live'), poll).toBe(true);
    await expect.poll(() => hook<number>(live, 'frames'), poll).toBeGreaterThan(0);
    const hlsFrames = await hook<number>(live, 'frames');
    await expect.poll(() => hook<number>(live, 'frames'), poll).toBeGreaterThan(hlsFrames + 30);
    await live.screenshot({ path: path.join(artifacts, 'nginx-live-hls.png') });

    // The signed media through nginx: the bytes and the caching headers Lectern sends.
    const answer = await through(`/api/v1/seminars/${seminarId}/playback`, { authorization: `Bearer ${people.learner.token}` });
    expect(answer.status).toBe(200);
    const { playlistUrl } = JSON.parse(answer.body.toString()) as { playlistUrl: string };
    const playlist = await through(playlistUrl);
    expect(playlist.status).toBe(200);
    expect(playlist.headers['cache-control']).toBe('no-cache');
    const segment = /^seg_\d+\.ts$/m.exec(playlist.body.toString())![0];
    const segmentUrl = playlistUrl.replace(/index\.m3u8$/, segment);
    const [proxied, direct] = await Promise.all([through(segmentUrl), fetch(`${app.url}${segmentUrl}`)]);
    expect(proxied.status).toBe(200);
    expect(proxied.headers['cache-control']).toBe(direct.headers.get('cache-control'));
    expect(proxied.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(proxied.headers['content-type']).toBe('video/mp2t');
    expect(proxied.body.equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    expect((await through(playlistUrl.replace(/\/[^/]+\/index\.m3u8$/, '/forged/index.m3u8'))).status).toBe(403);

    // The end; the recording plays in the replay.
    // The answer's error, when there is one, is the only trace of why ending failed (it failed once
    // in the fresh-clone run on f332532, under load, and not in three runs beside busy loops).
    const ended = await hook(studio, 'request', 'seminar:end', {});
    expect(ended, JSON.stringify(ended)).toMatchObject({ ok: true });
    await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live ? true : undefined;
      },
      15_000,
      'the recording to be ready',
    );
    const replay = await open(playback, 'replay', `/replay/${seminarId}`, people.learner.token);
    await ready(replay);
    await expect.poll(() => hook(replay, 'state'), poll).toBe('playing');
    expect(await hook(replay, 'live')).toBe(false);
    await expect.poll(() => hook<number>(replay, 'frames'), poll).toBeGreaterThan(30);
    await replay.screenshot({ path: path.join(artifacts, 'nginx-replay.png') });

    // Everything the pages asked for went to nginx, and Socket.IO upgraded to a WebSocket there.
    expect(requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    for (const url of sockets)
      expect(url).toMatch(new RegExp(`^wss://127\\.0\\.0\\.1:${nginx.httpsPort}/socket\\.io/\\?.*transport=websocket`));
    expect(await nginx.accessLog()).toMatch(/"GET \/socket\.io\/\?EIO=4&transport=websocket[^"]* HTTP\/1\.1" 101 /);
    expect(problems).toEqual([]);
  }, 300_000);

  it("keys the sign-in throttle on the address nginx saw, which a client's own X-Forwarded-For cannot change", async () => {
    // Each client is a loopback address of its own, so Lectern cannot tell them apart by the socket alone.
    const attempt = (localAddress: string, headers: Record<string, string> = {}) =>
      httpsCall({
        port: nginx.httpsPort,
        path: '/api/v1/auth/login',
        method: 'POST',
        ca: nginx.cert,
        localAddress,
        headers,
        body: JSON.stringify({ email: `nobody-${randomBytes(4).toString('hex')}@test.lectern`, password: 'wrong password!' }),
      });
    let refusedAfter = 0;
    for (let i = 1; i <= 100 && refusedAfter === 0; i++) {
      const res = await attempt('127.0.0.9');
      if (res.status === 429) refusedAfter = i - 1;
      else expect(res.status).toBe(401);
    }
    expect(refusedAfter).toBeGreaterThan(0);
    const refused = await attempt('127.0.0.9');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body.toString()).error.code).toBe('too_many_attempts');
    // Another client is not throttled, even claiming to be the throttled one.
    expect((await attempt('127.0.0.10', { 'x-forwarded-for': '127.0.0.9' })).status).toBe(401);
    // Nor is Lectern's own loopback, reached without nginx.
    const direct = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@test.lectern', password: 'wrong password!' }),
    });
    expect(direct.status).toBe(401);
  }, 120_000);

  it('sends plain HTTP to HTTPS', async () => {
    const res = await httpsCall({ port: nginx.httpPort, path: '/watch.html?seminar=1', plain: true, headers: { host: SITE_NAME } });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://${SITE_NAME}/watch.html?seminar=1`);
  });
});
