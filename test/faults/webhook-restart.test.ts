import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { start, type Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { waitFor } from '../support/media';

// A queued webhook message lives in the database, not in the process: Lectern stopped
// with a delivery still to retry sends it after it starts again, once.

const received: Array<{ id: string; answered: number }> = [];
let accepting = false;
let secret = '';
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    new Webhook(secret).verify(text, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    });
    const answered = accepting ? 200 : 503;
    received.push({ id: String(req.headers['webhook-id']), answered });
    res.writeHead(answered).end();
  });
});
const running: Lectern[] = [];
afterAll(async () => {
  for (const app of running) await app.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

it('delivers after a restart what was pending when Lectern stopped', async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const env = {
    MONGODB_URI: testDatabaseUri('webhook_restart'),
    MEDIASOUP_WORKERS: '1',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // The retry comes 2 s after the first failure: the app is stopped before it.
    WEBHOOK_RETRY_SECONDS: '2,2',
    WEBHOOK_TICK_SECONDS: '0.1',
  };
  const first = await start(await testConfig(env), createLogger('silent'));
  running.push(first);
  const api = Api.of(first);
  const { admin } = await cast(api);
  const created = await api.call('POST', '/webhooks', { token: admin.token, body: { url, eventTypes: ['seminar.live'] } });
  secret = created.body.secret as string;
  const test = await api.call('POST', `/webhooks/${created.body.id}/test`, { token: admin.token });
  await waitFor(() => received.length === 1, 15_000, 'the first attempt');
  await first.stop();
  running.pop();
  const queued = received.length;
  expect(queued).toBe(1);

  accepting = true;
  const second = await start(await testConfig(env), createLogger('silent'));
  running.push(second);
  await waitFor(() => received.some((r) => r.answered === 200), 20_000, 'the retry after the restart');
  await new Promise((r) => setTimeout(r, 2500));
  expect(received).toEqual([
    { id: test.body.messageId, answered: 503 },
    { id: test.body.messageId, answered: 200 },
  ]);
  const attempts = await second.repos.webhookMessages.attempts(created.body.id as string, 10);
  expect(attempts.items.map((a) => [a.attempt, a.statusCode])).toEqual([
    [2, 200],
    [1, 503],
  ]);
});
