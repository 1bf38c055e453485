import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage, waitForHooks } from '../support/browser';
import { waitFor } from '../support/media';
import { pageProblems } from '../support/page-checks';
import { readyRecording } from '../support/recordings';

// The centre's portal frames Lectern's embed pages. Lectern runs on 127.0.0.1; two
// "portals" on localhost (another site: the frame is third-party, with partitioned
// storage and no first-party session) serve whatever <iframe> code the lecturer copied
// from the seminar page. Only the one in EMBED_ORIGINS gets a rendered frame.

const shots = path.join(artifacts, 'embed');
const poll = { timeout: 30_000, interval: 250 };
const PASSWORD = 'correct horse battery';

/** A tiny portal site: one page that shows the code it was given, as a portal's editor would. */
class Portal {
  code = '';
  private constructor(private readonly server: Server) {}
  static async start(): Promise<Portal> {
    const portal: Portal = new Portal(
      createServer((req, res) => {
        if (req.url !== '/') return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Портал центра</title></head>` +
            `<body style="margin:0;font-family:sans-serif"><h1 style="font-size:1.2rem;padding:0 8px">Портал центра: семинары</h1>${portal.code}</body></html>`,
        );
      }),
    );
    await new Promise<void>((resolve) => portal.server.listen(0, '127.0.0.1', resolve));
    return portal;
  }
  /** The portal's address by name, not by IP: a site other than Lectern's 127.0.0.1. */
  get origin(): string {
    return `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('embedding the watch and replay pages in the portal', () => {
  let app: Lectern;
  let browser: Browser;
  /** The lecturer's, with fake camera and microphone; the viewers' plays without a gesture. */
  let studioBrowser: Browser;
  let allowed: Portal;
  let other: Portal;
  let people: Awaited<ReturnType<typeof cast>>;
  let api: Api;
  const problems: string[] = [];
  const consoleLog: string[] = [];
  const pages = new Map<string, Page>();

  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    [allowed, other] = await Promise.all([Portal.start(), Portal.start()]);
    [app, browser, studioBrowser] = await Promise.all([
      startTestApp('e2e_embed', { MEDIASOUP_WORKERS: '1', EMBED_ORIGINS: allowed.origin }),
      launchChromium('playback'),
      launchChromium('media'),
    ]);
    api = Api.of(app);
    people = await cast(api);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await studioBrowser?.close();
    await app?.stop();
    await allowed?.stop();
    await other?.stop();
  });

  /** On failure: every open page as it was, and what the pages logged. */
  function captureOnFailure(): void {
    onTestFailed(async () => {
      for (const [name, page] of pages)
        if (!page.isClosed()) await page.screenshot({ path: path.join(shots, `failed-${name}.png`) }).catch(() => undefined);
      console.error(['page errors:', ...problems, 'console:', ...consoleLog.slice(-60)].join('\n'));
    });
  }

  async function newPage(name: string, width = 1280, height = 900, from = browser): Promise<Page> {
    const context = await from.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    pages.set(name, page);
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
    page.on('console', (m) => consoleLog.push(`${name} ${m.type()}: ${m.text()}`));
    return page;
  }

  async function scheduledSeminar(title: string): Promise<string> {
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title, track: 'marketing', startsAt: '2030-06-01T18:00', durationMinutes: 60, capacity: 20 },
    });
    expect(seminar.status).toBe(201);
    const id: string = seminar.body.id;
    expect(
      (await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
    ).toBe(200);
    expect((await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token })).status).toBeLessThan(300);
    return id;
  }

  /** The lecturer's seminar page with the "Embed" disclosure opened from the keyboard; the copied code of one kind. */
  async function copiedCode(seminarId: string, kind: 'watch' | 'replay', lang: 'ru' | 'en', width: number): Promise<string> {
    const name = `seminar-${kind}-${lang}-${width}`;
    const page = await newPage(name, width);
    await reportCspViolations(page, name, problems);
    await signInPage(page, people.lecturer.token);
    await page.goto(`${app.url}/seminars/${seminarId}?lang=${lang}`);
    const summary = page.locator('[data-testid=embed] summary');
    await summary.waitFor({ timeout: 30_000 });
    await summary.focus();
    await page.keyboard.press('Enter');
    const area = page.getByTestId(`embed-${kind}-code`);
    await area.waitFor({ state: 'visible' });
    await page.getByTestId(`embed-${kind}-copy`).click();
    await expect.poll(() => page.getByTestId(`embed-${kind}-outcome`).textContent(), poll).not.toBe('');
    expect(await pageProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, `seminar-embed-${lang}-${width}.png`), fullPage: true });
    const code = await area.inputValue();
    await page.context().close();
    return code;
  }

  /** The Lectern frame inside a portal page, once it has navigated to an embed page. */
  async function lecternFrame(page: Page, pathPrefix: string): Promise<Frame> {
    return waitFor(() => page.frames().find((f) => f.url().startsWith(`${app.url}${pathPrefix}`)), 30_000, `a frame at ${pathPrefix}`);
  }

  function hook<T>(frame: Frame, name: string, ...args: unknown[]): Promise<T> {
    return frame.evaluate(([n, a]) => (globalThis as any).lectern?.[n]?.(...a), [name, args] as const) as Promise<T>;
  }

  /** Signs in with the form inside the frame, as the learner; the frame comes back to the embed page. */
  async function signInInFrame(page: Page, embedPath: string): Promise<Frame> {
    const frame = await lecternFrame(page, embedPath);
    // The header's link: the player's overlay offers one too once its playback call was refused.
    await frame
      .getByRole('banner')
      .getByRole('link', { name: /^(Войти|Sign in)$/ })
      .click();
    const form = await lecternFrame(page, '/embed/sign-in');
    await form.locator('input[name=email]').fill(people.learner.email);
    await form.locator('input[name=password]').fill(PASSWORD);
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.getByTestId('embed-user').isVisible(), poll).toBe(true);
    return lecternFrame(page, embedPath);
  }

  it('offers the watch code to the lecturer; the live player plays inside the allowed portal and is refused in another', async () => {
    captureOnFailure();
    const seminarId = await scheduledSeminar('Маркетинг в соцсетях');
    const code = await copiedCode(seminarId, 'watch', 'ru', 1280);
    expect(code).toBe(
      `<iframe src="${app.url}/embed/watch/${seminarId}" title="Маркетинг в соцсетях — Лектерн" width="100%" height="640" style="border:0" allow="autoplay; fullscreen" loading="lazy"></iframe>`,
    );
    allowed.code = code;
    other.code = code;

    // On air from the studio: Chromium's fake camera and microphone.
    const studio = await newPage('studio', 1280, 720, studioBrowser);
    await reportCspViolations(studio, 'studio', problems);
    await signInPage(studio, people.lecturer.token);
    await studio.goto(`${app.url}/studio/${seminarId}`);
    await waitForHooks(studio);
    await expect.poll(() => studio.evaluate(() => (globalThis as any).lectern.state()), poll).toBe('joined');
    await studio.click('[data-testid=go-live]');

    const portal = await newPage('portal-watch');
    const parentViolations: string[] = [];
    await reportCspViolations(portal, 'portal-watch', parentViolations);
    await portal.goto(`${allowed.origin}/`);
    const frame = await signInInFrame(portal, `/embed/watch/${seminarId}`);
    await expect.poll(() => hook(frame, 'state'), poll).toBe('joined');
    const decoded = async () => (await hook<Array<{ frames: number }>>(frame, 'stats')).reduce((sum, e) => sum + e.frames, 0);
    await expect.poll(decoded, poll).toBeGreaterThan(30);
    const first = await decoded();
    await expect.poll(decoded, poll).toBeGreaterThan(first + 30);
    // Compact: no portal navigation inside the frame, and the way to the full page in a new tab.
    expect(await frame.locator('nav.app-nav').count()).toBe(0);
    const open = frame.getByTestId('open-on-lectern');
    expect(await open.getAttribute('href')).toBe(`/watch/${seminarId}`);
    expect(await open.getAttribute('target')).toBe('_blank');
    await portal.screenshot({ path: path.join(shots, 'portal-watch-ru.png') });
    expect(parentViolations).toEqual([]);

    // The same code on a site not in EMBED_ORIGINS: the browser refuses to render the frame.
    const stranger = await newPage('portal-other');
    const refusals: string[] = [];
    stranger.on('console', (m) => {
      if (/frame-ancestors/.test(m.text())) refusals.push(m.text());
    });
    await stranger.goto(`${other.origin}/`);
    await expect.poll(() => refusals.length, poll).toBeGreaterThan(0);
    expect(refusals[0]).toContain(`frame-ancestors 'self' ${allowed.origin}`);
    const child = stranger.frames().find((f) => f !== stranger.mainFrame())!;
    expect(child.url()).not.toContain('/embed/watch/');
    expect(await child.evaluate(() => 'lectern' in globalThis).catch(() => false)).toBe(false);
    await stranger.screenshot({ path: path.join(shots, 'portal-refused.png') });
    await studio.context().close();
    expect(problems).toEqual([]);
  }, 240_000);

  it('plays the recording inside the portal after signing in there, and stores the progress', async () => {
    captureOnFailure();
    const seminarId = await scheduledSeminar('Бухгалтерия для ИП');
    await readyRecording(app, seminarId, 12);
    // The portal's English page asks for the English interface; the learner's profile says Russian.
    const code = await copiedCode(seminarId, 'replay', 'en', 360);
    allowed.code = code.replace(`/embed/replay/${seminarId}"`, `/embed/replay/${seminarId}?lang=en"`);
    expect(allowed.code).not.toBe(code);

    const portal = await newPage('portal-replay', 1280, 800);
    await portal.goto(`${allowed.origin}/`);
    const frame = await signInInFrame(portal, `/embed/replay/${seminarId}`);
    // Where the session went: Debian's Chromium refuses a cross-site frame its storage (third-party
    // storage blocked), so it lives in the page's memory; a browser that partitions storage instead
    // keeps it there. Either way the frame is signed in; stored nowhere would be a fault.
    const kept = await frame.evaluate(() => {
      try {
        return (globalThis as any).sessionStorage.getItem('lectern.session') === null ? 'nowhere' : 'in storage';
      } catch {
        return 'in memory';
      }
    });
    expect(['in memory', 'in storage']).toContain(kept);
    await expect.poll(() => hook(frame, 'state'), poll).toBe('playing');
    await expect.poll(() => hook<number>(frame, 'frames'), poll).toBeGreaterThan(30);
    await expect.poll(() => hook<number>(frame, 'currentTime'), poll).toBeGreaterThan(4);
    await expect.poll(() => hook<number>(frame, 'heartbeats'), poll).toBeGreaterThan(0);
    expect(await frame.getByTestId('play').textContent()).toBe('Pause');
    await portal.screenshot({ path: path.join(shots, 'portal-replay-en.png') });

    // The heartbeats the full page sends, from inside the frame: the watched seconds are in the database.
    const saved = await waitFor(
      async () => {
        await app.domain.progress.flush();
        const doc = await app.db.connection.collection('progress').findOne({ _id: `${people.learner.id}:${seminarId}` as any });
        return doc && doc.coveredSeconds >= 3 ? doc : undefined;
      },
      30_000,
      'progress from the embedded player',
    );
    expect(saved.coveredSeconds).toBeLessThanOrEqual(13);
    const progress = await api.call('GET', `/progress/${seminarId}`, { token: people.learner.token });
    expect(progress.status).toBe(200);
    expect(progress.body.coveredSeconds).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  }, 240_000);
});
