import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { startTestApp } from '../support/app';

// The front end routes in the browser: a page load of /watch/<id> (or an old
// /watch.html?seminar=<id>) gets web/dist/index.html, while API, media and health
// paths, assets and non-HTML clients keep their 404s with a code.

const indexFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist/index.html');
const PAGE = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('page routes', () => {
  let app: Lectern;
  let index: string;

  beforeAll(async () => {
    [app, index] = await Promise.all([startTestApp('page_routes', { MEDIASOUP_WORKERS: '1' }), readFile(indexFile, 'utf8')]);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const get = (p: string, accept: string, method = 'GET') => fetch(`${app.url}${p}`, { method, headers: { accept } });

  it.each([
    '/',
    '/watch/5f0c1d2e3a4b5c6d7e8f9a0b',
    '/studio/x',
    '/replay/x?lang=en',
    '/seminars/x',
    '/watch.html?seminar=x',
    '/no/such/page',
  ])('a page load of %s gets the app', async (p) => {
    const res = await get(p, PAGE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(index);
  });

  it.each([
    ['/api/v1/no-such-route', PAGE],
    ['/api/nothing', PAGE],
    ['/healthz/x', PAGE],
    ['/watch/x', 'application/json'],
    ['/watch/x', '*/*'],
    ['/assets/no-such-file.js', '*/*'],
  ])('%s (Accept: %s) is not a page', async (p, accept) => {
    const res = await get(p, accept);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toMatch(/^[a-z_]+$/);
  });

  it('answers only GET and HEAD with the app', async () => {
    expect((await get('/watch/x', PAGE, 'HEAD')).status).toBe(200);
    const post = await get('/watch/x', PAGE, 'POST');
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it.each(['/media/recordings/x/index.m3u8', '/socket.io/x'])('%s, answered by its own handler, is never the app', async (p) => {
    const res = await get(p, PAGE);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).not.toBe(index);
  });

  it('static assets keep their caching', async () => {
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    const res = await get(script!, '*/*');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  });
});
