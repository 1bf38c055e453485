import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { readinessSchema } from '../../server/protocol';
import { Api } from '../support/api';
import { startTestApp } from '../support/app';
import { waitFor } from '../support/media';

let app: Lectern | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function readyz(lectern: Lectern) {
  const res = await fetch(`${lectern.url}/readyz`);
  return { status: res.status, body: readinessSchema.parse(await res.json()) };
}

describe('health and readiness', () => {
  it('starts on port 0 and reports database, workers (one per core) and ffmpeg ready', async () => {
    app = await startTestApp('readyz');
    expect(app.port).toBeGreaterThan(0);
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const { status, body } = await readyz(app);
    expect(status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.database).toMatchObject({ ok: true, embedded: false });
    expect(body.checks.mediasoup).toMatchObject({ ok: true, version: '3.19.3', size: availableParallelism() });
    expect(body.checks.mediasoup.workers).toHaveLength(availableParallelism());
    expect(body.checks.ffmpeg.ok).toBe(true);
    expect(body.checks.ffmpeg.version).toMatch(/^\d+\.\d+/);
  });

  it('reports a killed worker as replaced', async () => {
    app = await startTestApp('readyz-kill', { MEDIASOUP_WORKERS: '2' });
    const before = (await readyz(app)).body.checks.mediasoup;
    const victim = before.workers[0]!.pid;
    process.kill(victim, 'SIGKILL');
    const after = await waitFor(
      async () => {
        const { status, body } = await readyz(app!);
        return status === 200 && body.checks.mediasoup.replaced === 1 ? body.checks.mediasoup : undefined;
      },
      10_000,
      'readyz to report the replacement',
    );
    expect(after.alive).toBe(2);
    expect(after.workers.map((w) => w.pid)).not.toContain(victim);
  });

  it('answers 503 and says why when MONGODB_URI points at no server', async () => {
    app = await startTestApp('readyz-broken', { MONGODB_URI: 'mongodb://127.0.0.1:9/lectern' });
    const { status, body } = await readyz(app);
    expect(status).toBe(503);
    expect(body.status).toBe('not_ready');
    expect(body.checks.database.ok).toBe(false);
    expect(body.checks.database.error).toMatch(/127\.0\.0\.1:9.*ECONNREFUSED/);
    expect(body.checks.mediasoup.ok).toBe(true);
  });

  it('answers API calls with 503 database_unavailable while the database cannot be reached', async () => {
    app = await startTestApp('readyz-api-broken', { MONGODB_URI: 'mongodb://127.0.0.1:9/lectern' });
    // mongoose waits up to 10 s for a connection before it gives up on the query.
    const res = await Api.of(app).call('GET', '/seminars');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'database_unavailable' } });
    expect(res.headers.get('retry-after')).toBe('5');
  }, 30_000);

  it('answers unknown routes with a JSON 404 and malformed JSON with a 400 code', async () => {
    app = await startTestApp('readyz-errors');
    const missing = await fetch(`${app.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'route_not_found' } });
    const missingApi = await fetch(`${app.url}/api/v1/nothing-here`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missingApi.status).toBe(404);
    expect(await missingApi.json()).toMatchObject({
      error: { code: 'route_not_found', message: 'No route for POST /api/v1/nothing-here' },
    });
    const malformed = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"oops":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'malformed_json' } });
  });
});
