import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { readinessSchema } from '../../server/protocol';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { LiveClient } from '../support/live-client';
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
    expect(body.checks.recorders).toEqual({ ok: true, active: 0, stopped: [] });
  });

  it('shows a recorder that gave up (ffmpeg kept crashing), with why, and stays ready: the seminar goes on', async () => {
    app = await startTestApp('readyz-recorder', { RECORDING_MAX_RESTARTS: '0', MEDIASOUP_WORKERS: '1' });
    const api = Api.of(app);
    const people = await cast(api);
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Сбой записи', track: 'faults', startsAt: '2030-05-01T10:00', durationMinutes: 60, capacity: 5 },
    });
    const id: string = seminar.body.id;
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    const lecturer = await LiveClient.connect(app.url, people.lecturer.token);
    await lecturer.ok('room:join', { seminarId: id });
    await lecturer.ok('seminar:go-live', {});
    const room = (await app.rooms.peek(id))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    try {
      const record = (await app.repos.seminars.get(id))!;
      app.recorder.producerAdded(room, record, { producer: video, source: 'camera', role: 'lecturer' });
      app.recorder.producerAdded(room, record, { producer: audio, source: 'mic', role: 'lecturer' });
      const pid = await waitFor(() => app!.recorder.status().recorders[0]?.pid, 30_000, 'the recorder ffmpeg');
      expect((await readyz(app)).body.checks.recorders).toEqual({ ok: true, active: 1, stopped: [] });

      process.kill(pid, 'SIGKILL');
      const { status, body } = await waitFor(
        async () => {
          const r = await readyz(app!);
          return r.body.checks.recorders.stopped.length > 0 ? r : undefined;
        },
        10_000,
        'readyz to show the stopped recorder',
      );
      expect(status).toBe(200);
      expect(body.status).toBe('ready');
      const recordingId = (await app.repos.recordings.current(id))!.id;
      expect(body.checks.recorders).toMatchObject({
        ok: false,
        active: 0,
        stopped: [{ seminarId: id, recordingId, kind: 'main', reason: 'ffmpeg kept crashing' }],
      });
      expect(body.checks.recorders.error).toMatch(/stopped/);
    } finally {
      ffmpeg.kill('SIGKILL');
      lecturer.close();
    }
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
