import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook } from '../../server/webhooks/sender';
import { newWebhookSecret, signedHeaders } from '../../server/webhooks/signing';
import { checkTargetUrl, isPublicAddress } from '../../server/webhooks/targets';

// Signing the Standard Webhooks way, checked by the reference library and by hand;
// and the refusal of private targets (server-side request forgery), at creation and at sending.

describe('signing', () => {
  it('is verified by the standardwebhooks package, and is the HMAC-SHA256 of id.timestamp.body', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({
      type: 'seminar.live',
      timestamp: new Date().toISOString(),
      data: { seminar: { title: 'Налоги для ИП' } },
    });
    const at = new Date();
    const headers = signedHeaders(secret, 'msg_abc', at, body);
    expect(headers['webhook-id']).toBe('msg_abc');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));

    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`msg_abc.${headers['webhook-timestamp']}.${body}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${mac}`);
  });

  it('fails verification under another secret or with a changed body', () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders(secret, 'msg_1', new Date(), '{"a":1}');
    expect(() => new Webhook(newWebhookSecret()).verify('{"a":1}', headers)).toThrow();
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
  });
});

describe('targets', () => {
  it('only public unicast addresses are public', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::',
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['8.8.8.8', '77.88.8.8', '2a00:1450:4010::1']) expect(isPublicAddress(a), a).toBe(true);
  });

  it.each([
    ['http://127.0.0.1/hook', 'webhook_target_refused'],
    ['http://10.0.0.5:8080/hook', 'webhook_target_refused'],
    ['http://169.254.169.254/latest/meta-data', 'webhook_target_refused'],
    ['http://[::1]:8080/hook', 'webhook_target_refused'],
    ['http://localhost:8080/hook', 'webhook_target_refused'],
    ['http://2130706433/hook', 'webhook_target_refused'],
    ['ftp://8.8.8.8/hook', 'webhook_target_refused'],
    ['http://no-such-host.invalid/hook', 'webhook_target_unresolvable'],
  ])('%s is refused (%s) unless private targets are allowed', async (url, code) => {
    await expect(checkTargetUrl(url, false)).rejects.toMatchObject({ status: 400, code });
  });

  it('private targets pass when the configuration allows them', async () => {
    await expect(checkTargetUrl('http://localhost:8080/hook', true)).resolves.toBeUndefined();
    await expect(checkTargetUrl('http://10.0.0.5/hook', true)).resolves.toBeUndefined();
  });
});

describe('sending', () => {
  let server: http.Server;
  let hits = 0;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('refuses a loopback target at sending time, reaching nothing', async () => {
    const before = hits;
    const viaName = await sendWebhook(`${url.replace('127.0.0.1', 'localhost')}/ok`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
    const viaAddress = await sendWebhook(`${url}/ok`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
    for (const r of [viaName, viaAddress])
      expect(r).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/not a public address/) });
    expect(hits).toBe(before);
  });

  it('does not follow redirects, and gives up at the timeout', async () => {
    expect(await sendWebhook(`${url}/ok`, {}, '{}', { timeoutMs: 2000, allowPrivate: true })).toMatchObject({ ok: true, statusCode: 200 });
    expect(await sendWebhook(`${url}/redirect`, {}, '{}', { timeoutMs: 2000, allowPrivate: true })).toMatchObject({
      ok: false,
      statusCode: 302,
    });
    const slow = await sendWebhook(`${url}/slow`, {}, '{}', { timeoutMs: 300, allowPrivate: true });
    expect(slow).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 300 ms' });
    expect(slow.durationMs).toBeLessThan(1500);
  });
});
