import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// The admin's webhooks page in Chromium (issue 16): an endpoint is added, its secret shown
// once (a receiver here verifies the test event with it), the test event is sent and its
// attempt appears in the delivery log. Then the page in Russian and English, at 360 and
// 1280 px, from the keyboard.

const shots = path.join(artifacts, 'webhooks');
const poll = { timeout: 30_000, interval: 250 };

let app: Lectern;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let receiverUrl: string;
let secret = '';
const verified: string[] = [];
const refused: string[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      const body = new Webhook(secret).verify(text, {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      }) as { type: string };
      verified.push(body.type);
      res.writeHead(204).end();
    } catch {
      refused.push(String(req.headers['webhook-id']));
      res.writeHead(401).end();
    }
  });
});

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/crm`;
  [app, browser] = await Promise.all([
    startTestApp('e2e_webhooks', { MEDIASOUP_WORKERS: '1', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TICK_SECONDS: '0.2' }),
    launchChromium('playback'),
  ]);
  people = await cast(Api.of(app));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

async function open(width: number, lang: 'ru' | 'en', problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(err.message));
  await signInPage(page, people.admin.token);
  const url = `/workspace/webhooks${lang === 'en' ? '?lang=en' : ''}`;
  await reportCspViolations(page, url, problems);
  await page.goto(`${app.url}${url}`);
  await page.getByTestId('webhook-add').waitFor(poll);
  return page;
}

describe('the webhooks page', () => {
  it('adds an endpoint, shows its secret once, sends a test event and shows it in the log', async () => {
    const problems: string[] = [];
    const page = await open(1280, 'ru', problems);
    expect(await page.getByTestId('nav-webhooks').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('webhook-add').click();
    const form = page.getByTestId('webhook-form');
    // A private target the configuration does not allow is not the question here; a URL that is no URL is.
    await form.getByLabel('Адрес (URL)').fill('ftp://example');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.field-error').first().textContent(), poll).toBeTruthy();
    await form.getByLabel('Адрес (URL)').fill(receiverUrl);
    await form.getByLabel('Описание').fill('CRM центра');
    await form.locator('button[type=submit]').click();

    const shown = page.getByTestId('webhook-secret-value');
    await shown.waitFor(poll);
    secret = (await shown.textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await page.screenshot({ path: path.join(shots, 'webhooks-secret-ru-1280.png'), fullPage: true });
    await page.getByTestId('webhook-secret-done').click();
    await expect.poll(() => page.getByTestId('webhook-secret').count(), poll).toBe(0);
    await page.reload();
    await page.getByTestId('webhook').first().waitFor(poll);
    expect(await page.content()).not.toContain(secret);

    const endpoint = page.getByTestId('webhook').filter({ hasText: receiverUrl });
    await endpoint.getByTestId('webhook-test').click();
    const attempt = endpoint.getByTestId('webhook-attempt');
    await expect.poll(() => attempt.count(), poll).toBeGreaterThan(0);
    await expect.poll(() => attempt.first().getAttribute('data-ok'), poll).toBe('true');
    expect(await attempt.first().getAttribute('data-event')).toBe('webhook.test');
    expect(verified).toEqual(['webhook.test']);
    expect(refused).toEqual([]);
    expect(await endpoint.getByTestId('webhook-status').textContent()).toBe('включён');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('works in Russian and English, at 360 and 1280 px, from the keyboard', async () => {
    for (const lang of ['ru', 'en'] as const) {
      for (const width of [360, 1280]) {
        const problems: string[] = [];
        const page = await open(width, lang, problems);
        const endpoint = page.getByTestId('webhook').first();
        await endpoint.waitFor(poll);
        await endpoint.getByTestId('webhook-log-toggle').click();
        await endpoint.getByTestId('webhook-attempt').first().waitFor(poll);
        expect(await page.locator('h1').textContent()).toBe(lang === 'ru' ? 'Вебхуки' : 'Webhooks');
        await page.screenshot({ path: path.join(shots, `webhooks-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(page)).toEqual([]);
        // Keyboard: Tab reaches "new endpoint" and "send test event", and Enter on the first opens the form.
        const reached: string[] = [];
        await page.locator('body').focus();
        for (let i = 0; i < 40 && !reached.includes('webhook-test'); i++) {
          await page.keyboard.press('Tab');
          reached.push(await page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('data-testid') ?? ''));
        }
        expect(reached).toContain('webhook-add');
        expect(reached).toContain('webhook-test');
        await page.getByTestId('webhook-add').focus();
        await page.keyboard.press('Enter');
        await page.getByTestId('webhook-form').waitFor(poll);
        await page.screenshot({ path: path.join(shots, `webhooks-form-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(page)).toEqual([]);
        expect(problems).toEqual([]);
        await page.context().close();
      }
    }
  }, 240_000);
});
