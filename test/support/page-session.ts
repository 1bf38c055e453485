import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import type { Api } from './api';
import { reportCspViolations, signInPage, waitForHooks } from './browser';

// What every browser test of the live room repeated: pages opened signed in, their errors,
// CSP violations and console kept, and on failure a screenshot of each and the last of the log.

/** Calls one of the page's test hooks (window.lectern) and returns what it answers. */
export function hook<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([n, a]) => (globalThis as any).lectern[n](...a), [name, args] as const) as Promise<T>;
}

export interface OpenOptions {
  /** The window's width (its height follows the session's viewport); phones are 360. */
  width?: number;
  /** A selector to wait for instead of the page's test hooks (pages without a room). */
  ready?: string;
  /** Runs on the new page before it signs in and loads (routes, init scripts). */
  prepare?: (page: Page) => Promise<unknown>;
}

/** The pages one browser test opens, each in a context of its own. */
export class PageSession {
  /** Uncaught page errors and CSP violations, `name: message`: a test expects none. */
  readonly problems: string[] = [];
  readonly consoleLog: string[] = [];
  private readonly pages = new Map<string, Page>();

  /**
   * `browser` and `baseUrl` are read when a page opens (the test's beforeAll sets them);
   * `failureShot` names each page's screenshot on failure; `viewport` is a desktop window's size.
   */
  constructor(
    private readonly browser: () => Browser,
    private readonly baseUrl: () => string,
    private readonly failureShot: (name: string) => string,
    private readonly viewport = { width: 1280, height: 760 },
  ) {}

  page(name: string): Page | undefined {
    return this.pages.get(name);
  }

  /** A page not signed in, its errors, CSP violations and console recorded. */
  async blank(name: string, width = this.viewport.width): Promise<Page> {
    const height = width < 500 ? 780 : this.viewport.height;
    const page = await (await this.browser().newContext({ viewport: { width, height } })).newPage();
    this.pages.set(name, page);
    page.on('pageerror', (err) => this.problems.push(`${name}: ${err.message}`));
    page.on('console', (m) => this.consoleLog.push(`${name} ${m.type()}: ${m.text()}`));
    await reportCspViolations(page, name, this.problems);
    return page;
  }

  /** A page signed in as the token's user at `url`; ready when its test hooks are, or when `ready` shows. */
  async open(name: string, token: string, url: string, opts: OpenOptions = {}): Promise<Page> {
    const page = await this.blank(name, opts.width);
    await opts.prepare?.(page);
    await signInPage(page, token);
    await page.goto(`${this.baseUrl()}${url}`);
    if (opts.ready) await page.locator(opts.ready).waitFor({ timeout: 30_000 });
    else await waitForHooks(page);
    return page;
  }

  /**
   * Call first in a test: if it fails, `before` runs (a test's own diagnostics), every open
   * page is photographed, and the errors and the last `lines` console lines are printed.
   */
  dumpOnFailure(lines = 80, before?: () => Promise<void>): void {
    onTestFailed(async () => {
      await before?.().catch(() => undefined);
      for (const [name, page] of this.pages)
        if (!page.isClosed()) await page.screenshot({ path: this.failureShot(name) }).catch(() => undefined);
      console.error(['page errors:', ...this.problems, 'console:', ...this.consoleLog.slice(-lines)].join('\n'));
    });
  }
}

/** Failure screenshots named `failed-<page>.png` in `dir`. */
export const failedIn = (dir: string) => (name: string) => path.join(dir, `failed-${name}.png`);

/** A seminar the lecturer created and scheduled, with `learners` registered; its id. */
export async function scheduledSeminar(
  api: Api,
  lecturerToken: string,
  body: Record<string, unknown>,
  learners: string[],
): Promise<string> {
  const created = await api.call('POST', '/seminars', { token: lecturerToken, body });
  expect(created.status, created.text).toBe(201);
  const seminarId = created.body.id as string;
  const scheduled = await api.call('POST', `/seminars/${seminarId}/transitions`, { token: lecturerToken, body: { to: 'scheduled' } });
  expect(scheduled.status, scheduled.text).toBe(200);
  for (const token of learners) {
    const registered = await api.call('PUT', `/seminars/${seminarId}/registration`, { token });
    expect(registered.status, registered.text).toBe(200);
  }
  return seminarId;
}
