import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, CONSENT } from '../support/api';
import { startTestApp } from '../support/app';

// The API reads bodies with express.json (64 kB decoded, application/json, gzip/deflate/br): the rules
// clients see, and what this API adds around it (the token is checked before the body is read).
let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('request-bodies');
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

const registration = (email: string) =>
  JSON.stringify({ email, password: 'correct horse battery', displayName: 'Ирина', locale: 'ru', consent: CONSENT });

async function signsIn(email: string): Promise<boolean> {
  const res = await api.call('POST', '/auth/login', { body: { email, password: 'correct horse battery' } });
  return res.status === 200;
}

/** A raw request, so that chunked bodies and odd headers go out exactly as written. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  chunks: Array<string | Buffer>,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('request bodies', () => {
  it('accepts JSON with a UTF-8 charset and parameters in any case', async () => {
    const email = 'charset-ok@test.lectern';
    const res = await raw('POST', '/api/v1/auth/register', { 'content-type': 'Application/JSON; Charset="UTF-8"' }, [registration(email)]);
    expect(res.status).toBe(201);
    expect(await signsIn(email)).toBe(true);
  });

  it('refuses another charset with 415 unsupported_charset, and registers no one', async () => {
    const email = 'latin1@test.lectern';
    const res = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json; charset=latin1' }, [registration(email)]);
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'unsupported_charset' } });
    expect(await signsIn(email)).toBe(false);
  });

  it('decodes a gzip body, and refuses an unknown coding with 415 unsupported_encoding', async () => {
    const email = 'gzip@test.lectern';
    const ok = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, [
      gzipSync(registration(email)),
    ]);
    expect(ok.status).toBe(201);
    expect(await signsIn(email)).toBe(true);

    const other = 'compress@test.lectern';
    const refused = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json', 'content-encoding': 'compress' }, [
      registration(other),
    ]);
    expect(refused.status).toBe(415);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'unsupported_encoding' } });
    expect(await signsIn(other)).toBe(false);
  });

  it('refuses a gzip body that does not decode, or decodes past 64 kB, and registers no one', async () => {
    const email = 'bomb@test.lectern';
    const corrupt = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, [
      registration(email),
    ]);
    expect(corrupt.status).toBe(400);
    expect(JSON.parse(corrupt.text)).toMatchObject({ error: { code: 'unreadable_body' } });

    // 1 MB of spaces compresses to about 1 kB: the limit is on what it decodes to.
    const bomb = gzipSync(registration(email).replace('{', `{${' '.repeat(1_000_000)}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const refused = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, [bomb]);
    expect(refused.status).toBe(413);
    expect(await signsIn(email)).toBe(false);
  });

  it('skips a byte-order mark, and refuses a body of only whitespace', async () => {
    const email = 'bom@test.lectern';
    const ok = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json' }, [`\ufeff${registration(email)}`]);
    expect(ok.status).toBe(201);
    const blank = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json' }, ['  \n ']);
    expect(blank.status).toBe(400);
    expect(JSON.parse(blank.text)).toMatchObject({ error: { code: 'malformed_json' } });
  });

  it('reads a chunked body, and refuses one that grows past 64 kB with 413', async () => {
    const email = 'chunked@test.lectern';
    const body = registration(email);
    const ok = await raw('POST', '/api/v1/auth/register', { 'content-type': 'application/json' }, [body.slice(0, 10), body.slice(10)]);
    expect(ok.status).toBe(201);

    const big = JSON.stringify({ title: 'x', description: 'д'.repeat(40_000) });
    const refused = await raw(
      'POST',
      '/api/v1/seminars',
      { 'content-type': 'application/json', authorization: `Bearer ${people.lecturer.token}` },
      [big.slice(0, 30_000), big.slice(30_000)],
    );
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('checks the token before reading the body: a bad token with a malformed or oversized body is 401', async () => {
    const headers = { 'content-type': 'application/json', authorization: 'Bearer not.a.token' };
    const malformed = await raw('POST', '/api/v1/seminars', headers, ['{"title":']);
    expect(malformed.status).toBe(401);
    expect(JSON.parse(malformed.text)).toMatchObject({ error: { code: 'invalid_token' } });
    const anonymous = await raw('POST', '/api/v1/seminars', { 'content-type': 'application/json' }, ['x'.repeat(100_000)]);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text)).toMatchObject({ error: { code: 'unauthorized' } });
    // A learner lacks seminars:manage: refused before the body is looked at.
    const learner = await raw(
      'POST',
      '/api/v1/seminars',
      { 'content-type': 'application/json', authorization: `Bearer ${people.learner.token}` },
      ['{"title":'],
    );
    expect(learner.status).toBe(403);
  });

  it('treats a body of another type as no body: the schema then refuses it', async () => {
    const res = await raw('POST', '/api/v1/auth/register', { 'content-type': 'text/plain' }, [registration('plain@test.lectern')]);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('responses', () => {
  it('matches the /api/v1 prefix in any case, as Express did', async () => {
    const res = await raw('GET', '/API/V1/me', { authorization: `Bearer ${people.learner.token}` }, []);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ id: people.learner.id });
  });

  it('answers HEAD like GET, without a body', async () => {
    const get = await raw('GET', '/api/v1/me', { authorization: `Bearer ${people.learner.token}` }, []);
    const head = await raw('HEAD', '/api/v1/me', { authorization: `Bearer ${people.learner.token}` }, []);
    expect(get.status).toBe(200);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.text).toBe('');
  });

  it('sends a seminar calendar as a download', async () => {
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Налоги для ИП', track: 'Taxes', startsAt: '2030-04-01T19:00', durationMinutes: 60, capacity: 20 },
    });
    expect(created.status).toBe(201);
    await api.call('POST', `/seminars/${created.body.id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    const res = await api.call('GET', `/seminars/${created.body.id}/calendar.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    // Express's content-disposition quotes the name only when it must.
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=seminar.ics');
    expect(res.text).toContain('BEGIN:VCALENDAR');
  });
});
