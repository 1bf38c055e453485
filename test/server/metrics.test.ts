import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, createSeminar } from '../live/support';

const token = 'metrics-token-for-tests-0123456789';
let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('metrics', { MEDIASOUP_WORKERS: '1', METRICS_TOKEN: token, PROGRESS_FLUSH_MS: '50' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

describe('/metrics', () => {
  it('answers only with the metrics token, and is never a page', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, token]) {
      const res = await fetch(`${app.url}/metrics`, { headers: { accept: 'text/html', ...(authorization ? { authorization } : {}) } });
      expect(res.status, String(authorization)).toBe(401);
      expect(await res.text()).not.toContain('lectern_');
    }
  });

  it('counts media objects, viewers per seminar, sockets, heartbeats, HTTP latency per route and rate-limit refusals', async () => {
    const clients = new Clients(app);
    try {
      const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
      const { client: lecturer } = await clients.join(seminarId, people.lecturer);
      const { client: viewer } = await clients.join(seminarId);
      await viewer.ok('transport:create', { direction: 'recv' });
      await lecturer.ok('transport:create', { direction: 'send' });
      const u = await registerUser(api);
      for (let i = 0; i < 6; i++) {
        await api.call('POST', '/auth/login', {
          body: { email: u.email, password: 'wrong password!' },
          headers: { 'x-forwarded-for': '10.40.0.1' },
        });
      }
      expect(
        (
          await api.call('POST', '/progress/heartbeats', {
            token: u.token,
            body: { contentId: seminarId, intervals: [[0, 5]], position: 5, durationSeconds: 3600, sentAt: Date.now() },
          })
        ).status,
      ).toBe(202);
      await new Promise((r) => setTimeout(r, 300));

      const m = await scrape();
      expect(m.get('lectern_media_workers_alive')).toBe(1);
      expect(m.get('lectern_media_rooms')).toBe(1);
      expect(m.get('lectern_media_routers')).toBeGreaterThanOrEqual(1);
      expect(m.get('lectern_media_transports')).toBe(2);
      expect(m.get('lectern_media_consumers')).toBe(0);
      expect(m.get(`lectern_live_viewers{seminar="${seminarId}"}`)).toBe(1);
      expect(m.get('lectern_live_sockets')).toBe(2);
      expect(m.get('lectern_recorder_restarts')).toBe(0);
      expect(m.get('lectern_progress_buffered')).toBe(0);
      expect(m.get('lectern_progress_flush_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(m.get('lectern_rate_limit_refusals_total{limit="login-account-ip"}')).toBe(1);
      expect(m.get('lectern_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/login",status="401"}')).toBe(5);
      expect(m.get('lectern_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/login",status="429"}')).toBe(1);
      // Route patterns, never raw paths: one label value for every seminar id.
      const routes = [...m.keys()].filter((k) => k.includes('route="') && k.includes(seminarId));
      expect(routes).toEqual([]);

      clients.closeAll();
      await new Promise((r) => setTimeout(r, 300));
      const after = await scrape();
      expect(after.get('lectern_live_sockets')).toBe(0);
      expect(after.get(`lectern_live_viewers{seminar="${seminarId}"}`) ?? 0).toBe(0);
    } finally {
      clients.closeAll();
    }
  });
});
