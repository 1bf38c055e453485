import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anonymous } from '../../server/accounts/grants';
import { apiRouter, refuseShadowedRoutes } from '../../server/http/api';
import { errorHandler } from '../../server/http/error-handler';
import { route, type RouteSpec } from '../../server/http/route';
import { createLogger } from '../../server/logger';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';

// What the Express app answers around the routes themselves: methods a path does
// not serve, headers the API leaves out, and whose address req.ip is.

describe('methods a path does not serve', () => {
  let app: Lectern;
  let api: Api;
  let people: Awaited<ReturnType<typeof cast>>;
  beforeAll(async () => {
    app = await startTestApp('http-surface');
    api = Api.of(app);
    people = await cast(api);
  });
  afterAll(() => app.stop());

  it('are 405 with an Allow header naming the methods that are served', async () => {
    const login = await api.call('DELETE', '/auth/login');
    expect(login.status).toBe(405);
    expect(login.headers.get('allow')).toBe('POST');
    expect(login.body).toMatchObject({ error: { code: 'method_not_allowed' } });

    const seminar = await api.call('PUT', '/seminars/aaaaaaaaaaaaaaaaaaaaaaaa', { token: people.admin.token, body: { title: 'x' } });
    expect(seminar.status).toBe(405);
    expect(seminar.headers.get('allow')).toBe('GET, HEAD, PATCH');
  });

  it('name every route the path matches, whatever its case or trailing slash', async () => {
    // POST /progress/heartbeats, and GET /progress/:contentId with contentId "heartbeats".
    const heartbeats = await api.call('DELETE', '/progress/heartbeats');
    expect(heartbeats.status).toBe(405);
    expect(heartbeats.headers.get('allow')).toBe('GET, HEAD, POST');
    const me = await api.call('POST', '/api/V1/Me/', { token: people.learner.token });
    expect(me.status).toBe(405);
    expect(me.headers.get('allow')).toBe('GET, HEAD, PATCH');
  });

  it('leave a path that no route has a 404', async () => {
    const res = await api.call('DELETE', '/nothing/here');
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expect(res.body).toMatchObject({ error: { code: 'route_not_found', message: 'No route for DELETE /api/v1/nothing/here' } });
  });

  it('sends JSON without an ETag and without x-powered-by', async () => {
    const res = await api.call('GET', '/seminars');
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('mounting the routes', () => {
  const spec = (method: RouteSpec['method'], path: string) => ({ method, path }) as RouteSpec;

  it('refuses a route that one registered before it would take the requests of', () => {
    expect(() => refuseShadowedRoutes([spec('get', '/seminars/:id'), spec('get', '/seminars/upcoming')])).toThrow(/shadowed/);
    expect(() => refuseShadowedRoutes([spec('get', '/seminars/:id'), spec('get', '/Seminars/:seminarId')])).toThrow(/shadowed/);
    // Another method, a static path first, or another length: no overlap.
    expect(() =>
      refuseShadowedRoutes([
        spec('get', '/progress/heartbeats'),
        spec('get', '/progress/:contentId'),
        spec('post', '/seminars/:id'),
        spec('get', '/seminars/upcoming'),
        spec('get', '/seminars/:id/registration'),
      ]),
    ).not.toThrow();
  });

  it('answers a handler result off its response schema as a fault of the server (500), when checking responses', async () => {
    const drifted = route({
      method: 'get',
      path: '/drifted',
      tag: 't',
      access: 'public',
      summary: 's',
      response: z.object({ id: z.string() }),
      handler: () => Promise.resolve({ id: 42 }),
    });
    const app = express();
    app.use(apiRouter({ routes: [drifted], actorOf: () => anonymous, checkResponses: true }));
    app.use(errorHandler(createLogger('silent')));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/drifted`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'internal', message: 'Internal server error' } });
    } finally {
      server.close();
    }
  });
});

describe('the client address behind proxies (TRUST_PROXY)', () => {
  const password = 'wrong password, on purpose';
  /** Fails 30 sign-ins (the per-IP limit) with each X-Forwarded-For in turn. */
  async function failThirtyTimes(api: Api, forwardedFor: string[]) {
    for (let i = 0; i < 30; i++) {
      const res = await api.call('POST', '/auth/login', {
        body: { email: `nobody${i}@proxy.lectern`, password },
        headers: { 'x-forwarded-for': forwardedFor[i % forwardedFor.length]! },
      });
      expect(res.status).toBe(401);
    }
  }
  const attempt = async (api: Api, forwardedFor: string) =>
    (
      await api.call('POST', '/auth/login', {
        body: { email: 'someone@proxy.lectern', password },
        headers: { 'x-forwarded-for': forwardedFor },
      })
    ).status;

  it('by default trusts a proxy on this host: the address it saw is the client, not what the client claimed', async () => {
    const app = await startTestApp('proxy-default');
    try {
      const api = Api.of(app);
      // The load balancer (here, on loopback) appends the address it saw; entries to its left are the client's own claims.
      await failThirtyTimes(api, ['10.9.0.1, 203.0.113.7', '10.9.0.2, 203.0.113.7', '203.0.113.7']);
      expect(await attempt(api, '10.9.0.3, 203.0.113.7')).toBe(429);
      expect(await attempt(api, '203.0.113.7, 203.0.113.8')).toBe(401);
    } finally {
      await app.stop();
    }
  });

  it('believes no X-Forwarded-For from a hop that TRUST_PROXY does not name', async () => {
    const app = await startTestApp('proxy-subnet', { TRUST_PROXY: '10.0.0.0/8, 192.168.0.0/16' });
    try {
      const api = Api.of(app);
      // The test connects from 127.0.0.1, which is not one of the named proxies: every header is ignored.
      await failThirtyTimes(api, ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
      expect(await attempt(api, '198.51.100.1')).toBe(429);
    } finally {
      await app.stop();
    }
  });
});
