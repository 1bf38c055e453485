import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Screenshots and failure captures of the browser tests land here (git-ignored). */
export const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

// Debian's Chromium, never a downloaded one. Without the background-networking
// flags it keeps calling hosts this network refuses.
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium with fake camera and microphone (`media`) or with autoplay allowed (`playback`).
 * `cameras`: how many fake cameras it offers (device switching); it always offers three microphones.
 * The fake devices play Chromium's own pattern and beep, or the given files (`audio`, `video`; per
 * browser process: a browser whose user must sound and look different needs a process of its own).
 * `executablePath` starts it some other way (inside a network namespace, test/support/netns.ts);
 * `args` add switches.
 */
export async function launchChromium(
  purpose: 'media' | 'playback',
  opts: { cameras?: number; audio?: string; video?: string; executablePath?: string; args?: string[] } = {},
): Promise<Browser> {
  await mkdir(artifacts, { recursive: true });
  const fake = opts.cameras ? `--use-fake-device-for-media-stream=device-count=${opts.cameras}` : '--use-fake-device-for-media-stream';
  const extra =
    purpose === 'media'
      ? [
          fake,
          '--use-fake-ui-for-media-stream',
          ...(opts.audio ? [`--use-file-for-fake-audio-capture=${opts.audio}`] : []),
          ...(opts.video ? [`--use-file-for-fake-video-capture=${opts.video}`] : []),
        ]
      : ['--autoplay-policy=no-user-gesture-required'];
  return chromium.launch({
    executablePath: opts.executablePath ?? process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: [...BASE_ARGS, ...extra, ...(opts.args ?? [])],
    headless: true,
  });
}

/**
 * Signs a page's tab in as a token's user the way the sign-in form does (the session in
 * sessionStorage), before any of the page's scripts run. Pages take no token from their address.
 */
export async function signInPage(page: Page, token: string): Promise<void> {
  // Runs in the page (a DOM this Node-typed file does not know): typed through globalThis.
  await page.addInitScript((accessToken) => {
    const storage = (
      globalThis as unknown as { sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }
    ).sessionStorage;
    if (!storage.getItem('lectern.session')) storage.setItem('lectern.session', JSON.stringify({ accessToken }));
  }, token);
}

/**
 * Collects every Content-Security-Policy violation of a page (and the console's
 * "Refused to …" errors that report blocked workers and media) into `problems`,
 * which the test expects to stay empty: a policy that breaks a page fails its test.
 */
export async function reportCspViolations(page: Page, name: string, problems: string[]): Promise<void> {
  await page.exposeFunction('__cspViolation', (text: string) => problems.push(`${name}: CSP ${text}`));
  await page.addInitScript(() => {
    const page = globalThis as unknown as {
      location: { origin: string };
      document: {
        addEventListener(type: string, listener: (e: { effectiveDirective: string; blockedURI: string; sourceFile: string }) => void): void;
      };
      __cspViolation(text: string): Promise<void>;
    };
    page.document.addEventListener('securitypolicyviolation', (e) => {
      // Playwright's own evaluate() runs eval in the page; only the pages' scripts are judged here.
      if (e.blockedURI === 'eval' && !e.sourceFile.startsWith(page.location.origin)) return;
      void page.__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI} (from ${e.sourceFile || 'the page'})`);
    });
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`${name}: ${m.text()}`);
  });
}

/**
 * Waits until the page's test hooks (window.lectern) exist. Polled with evaluate, not
 * waitForFunction: Playwright evals that one's predicate in the page, which the CSP refuses.
 */
export async function waitForHooks(page: Page, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(() => 'lectern' in globalThis))) {
    if (Date.now() > deadline) throw new Error(`the page's test hooks did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
