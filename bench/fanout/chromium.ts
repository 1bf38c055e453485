// Join → first decoded frame, from Chromium: builds bench/fanout/page with Vite, serves it on
// 127.0.0.1, and opens it in Debian's /usr/bin/chromium (never a downloaded browser) through
// playwright-core. Each join is a new page, so a new RTCPeerConnection and Socket.IO connection.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { JoinResult } from './join-result';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export async function buildPage(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ root: path.join(here, 'page'), configFile: false, logLevel: 'error', build: { outDir, emptyOutDir: true, minify: false } });
}

const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

export async function servePage(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const rel = (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** `count` joins one after another, each in a new page; failed joins are returned as errors. */
export async function measureJoins(
  browser: Browser,
  pageUrl: string,
  lecternUrl: string,
  seminarId: string,
  count: number,
  timeoutMs = 10_000,
): Promise<{ results: JoinResult[]; errors: string[] }> {
  const context = await browser.newContext();
  const results: JoinResult[] = [];
  const errors: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const page = await context.newPage();
      try {
        await page.goto(pageUrl);
        await page.waitForFunction(() => typeof (globalThis as any).benchJoin === 'function');
        const r = await page.evaluate((o) => (globalThis as any).benchJoin(o) as Promise<JoinResult>, {
          url: lecternUrl,
          seminarId,
          timeoutMs,
        });
        results.push(r);
      } catch (err) {
        errors.push(err instanceof Error ? err.message.split('\n')[0]! : String(err));
      } finally {
        await page.close();
      }
    }
  } finally {
    await context.close();
  }
  return { results, errors };
}
