import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { brotliBomb, deflateBomb, emptyGzipBlocks, gzipBomb } from '../support/bombs';

// Compressed bodies are bounded twice: by what arrives and by what it decodes to (64 kB each).
// A bomb is refused with 413 payload_too_large at once, while the client still holds most of it:
// Lectern neither inflates it all nor waits to read the rest.
let app: Lectern;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('compressed-bodies');
  people = await cast(Api.of(app));
});
afterAll(() => app.stop());

interface Answer {
  status: number;
  connection: string | undefined;
  code: string | undefined;
  ms: number;
}

/**
 * Sends the headers and `sent` bytes of `body`, and holds the rest back, as a slow or hostile
 * client does. Resolves with the answer that came meanwhile; fails if none came within 5 s.
 */
function sendPart(headers: Record<string, string | number>, body: Buffer, sent: number): Promise<Answer> {
  const from = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}/api/v1/seminars`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${people.lecturer.token}`, ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within 5 s, with ${sent} of ${body.length} bytes sent`));
    }, 5_000);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        const parsed = JSON.parse(text) as { error?: { code?: string } };
        resolve({ status: res.statusCode!, connection: res.headers.connection, code: parsed.error?.code, ms: Date.now() - from });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.write(body.subarray(0, sent));
  });
}

const refused = { status: 413, connection: 'close', code: 'payload_too_large' };

describe('compressed request bodies', () => {
  it('refuses a gzip bomb (1 GiB of zeros in 1 MB) by its declared length, before reading it', async () => {
    const bomb = gzipBomb(1024);
    expect(bomb.length).toBeGreaterThan(1_000_000);
    const answer = await sendPart({ 'content-encoding': 'gzip', 'content-length': bomb.length }, bomb, 16 * 1024);
    expect(answer).toMatchObject(refused);
  });

  it('refuses a chunked deflate bomb once 64 kB of it arrived, without waiting for the rest', async () => {
    const bomb = deflateBomb(1024);
    const answer = await sendPart({ 'content-encoding': 'deflate', 'transfer-encoding': 'chunked' }, bomb, 256 * 1024);
    expect(answer).toMatchObject(refused);
  });

  it('refuses a gzip stream that decodes to nothing, once 64 kB of it arrived', async () => {
    const endless = emptyGzipBlocks(1_000_000);
    const answer = await sendPart({ 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' }, endless, 200 * 1024);
    expect(answer).toMatchObject(refused);
  });

  it('refuses a brotli bomb (256 MiB of zeros in a few kB) by what it decodes to', async () => {
    const bomb = brotliBomb(256);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const answer = await sendPart({ 'content-encoding': 'br', 'content-length': bomb.length }, bomb, bomb.length);
    expect(answer).toMatchObject(refused);
  });

  it('still reads a compressed body within both limits', async () => {
    const body = gzipSync(
      JSON.stringify({ title: 'Сжатое тело', track: 'HTTP', startsAt: '2030-06-01T10:00', durationMinutes: 60, capacity: 5 }),
    );
    const answer = await sendPart({ 'content-encoding': 'gzip', 'content-length': body.length }, body, body.length);
    expect(answer.status).toBe(201);
  });
});
