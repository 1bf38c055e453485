import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { WebhookDispatcher } from '../../server/webhooks/dispatcher';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { waitFor } from '../support/media';
import { readyRecording } from '../support/recordings';

// Webhooks end to end over REST (issue 16): a receiving server here verifies every
// signature, refuses the first two attempts of one message (retries come, with the
// backoff), and sees each event exactly once after a success; an endpoint that keeps
// failing is turned off and the admins are told. Bad input and who may call: below
// and in authorization-matrix.test.ts.

const RETRY_SECONDS = [0.4, 0.8, 0.8, 0.8];

interface Received {
  id: string;
  timestamp: number;
  at: number;
  type: string;
  body: { type: string; timestamp: string; data: Record<string, any> };
  answered: number;
}

/** A receiver: verifies each request with the secret it is given, answers what `answer` says. */
class Receiver {
  readonly got: Received[] = [];
  readonly badSignatures: string[] = [];
  secret = '';
  /** The status to answer the attempt-th request of a message of this type. */
  answer: (type: string, attempt: number) => number = () => 204;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      try {
        new Webhook(this.secret).verify(text, headers);
      } catch {
        this.badSignatures.push(headers['webhook-id']);
        res.writeHead(401).end();
        return;
      }
      const id = headers['webhook-id'];
      const attempt = this.got.filter((g) => g.id === id).length + 1;
      const body = JSON.parse(text) as Received['body'];
      const answered = this.answer(body.type, attempt);
      this.got.push({ id, timestamp: Number(headers['webhook-timestamp']), at: Date.now(), type: body.type, body, answered });
      res.writeHead(answered).end();
    });
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/lectern`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  /** Messages answered 2xx, by type. */
  delivered(type: string): Received[] {
    return this.got.filter((g) => g.type === type && g.answered < 300);
  }
}

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('webhooks', {
    MEDIASOUP_WORKERS: '1',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SECONDS: RETRY_SECONDS.join(','),
    WEBHOOK_TICK_SECONDS: '0.1',
    WEBHOOK_DISABLE_AFTER_FAILURES: '3',
  });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

const admin = () => people.admin.token;

async function newSeminar(): Promise<string> {
  const created = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: { title: 'Налоги для ИП', track: 'finance', startsAt: '2031-05-20T18:30', durationMinutes: 90, capacity: 10 },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}
const move = async (id: string, to: string) =>
  expect((await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to } })).status).toBe(200);

describe('delivery', () => {
  it('signs every message, retries with backoff, and delivers each event once after success', async () => {
    const receiver = await new Receiver().start();
    const created = await api.call('POST', '/webhooks', {
      token: admin(),
      body: {
        url: receiver.url,
        description: 'CRM центра',
        eventTypes: ['seminar.scheduled', 'seminar.live', 'seminar.ended', 'registration.created', 'recording.ready'],
      },
    });
    expect(created.status).toBe(201);
    receiver.secret = created.body.secret as string;
    const endpointId = created.body.id as string;
    // The seminar.scheduled message is refused twice, then taken.
    receiver.answer = (type, attempt) => (type === 'seminar.scheduled' && attempt <= 2 ? 500 : 204);

    // A second sender on the same database races the app's: a claim is won once.
    const rival = new WebhookDispatcher({
      endpoints: app.repos.webhookEndpoints,
      messages: app.repos.webhookMessages,
      config: app.config.webhooks,
      notifyDisabled: async () => undefined,
      logger: app.logger,
    });
    rival.start();
    try {
      const seminarId = await newSeminar();
      await move(seminarId, 'scheduled');
      const reg = await api.call('PUT', `/seminars/${seminarId}/registration`, { token: people.learner.token, body: {} });
      expect(reg.status).toBe(200);
      await move(seminarId, 'live');
      await move(seminarId, 'ended');

      await waitFor(
        () => ['seminar.scheduled', 'seminar.live', 'seminar.ended', 'registration.created'].every((t) => receiver.delivered(t).length > 0),
        30_000,
        'every event delivered',
      );
      // Time for any duplicate or stray retry to arrive: longer than the whole schedule.
      await new Promise((r) => setTimeout(r, 3000));

      expect(receiver.badSignatures).toEqual([]);
      for (const type of ['seminar.scheduled', 'seminar.live', 'seminar.ended', 'registration.created'])
        expect(receiver.delivered(type), type).toHaveLength(1);
      expect(receiver.delivered('seminar.live')[0]!.body.data.seminar).toMatchObject({
        id: seminarId,
        status: 'live',
        title: 'Налоги для ИП',
      });
      expect(receiver.delivered('registration.created')[0]!.body.data.registration).toMatchObject({
        seminarId,
        userId: people.learner.id,
        status: 'registered',
      });

      // The scheduled message: three attempts under one webhook-id, the waits growing as the schedule says.
      const scheduled = receiver.got.filter((g) => g.type === 'seminar.scheduled');
      expect(scheduled.map((g) => g.answered)).toEqual([500, 500, 204]);
      expect(new Set(scheduled.map((g) => g.id)).size).toBe(1);
      expect(scheduled[1]!.at - scheduled[0]!.at).toBeGreaterThanOrEqual(RETRY_SECONDS[0]! * 1000 - 50);
      expect(scheduled[2]!.at - scheduled[1]!.at).toBeGreaterThanOrEqual(RETRY_SECONDS[1]! * 1000 - 50);
      // Each event type once: nothing else (a second seminar.live, say) came.
      expect(receiver.got.filter((g) => g.type !== 'seminar.scheduled' && g.type !== 'recording.ready').length).toBe(3);

      // The delivery log has each attempt, newest first, with its status and duration.
      const log = await api.call('GET', `/webhooks/${endpointId}/deliveries?limit=100`, { token: admin() });
      expect(log.status).toBe(200);
      const scheduledLog = (log.body.items as Array<Record<string, any>>).filter((a) => a.eventType === 'seminar.scheduled');
      expect(scheduledLog.map((a) => [a.attempt, a.statusCode, a.ok])).toEqual([
        [3, 204, true],
        [2, 500, false],
        [1, 500, false],
      ]);
      expect(scheduledLog[1]).toMatchObject({ error: 'HTTP 500', messageId: scheduled[0]!.id });
      for (const a of scheduledLog) expect(a.durationMs).toBeGreaterThanOrEqual(0);
      const endpoint = (await api.call('GET', '/webhooks', { token: admin() })).body.find((e: { id: string }) => e.id === endpointId);
      expect(endpoint).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
      expect(endpoint.secret).toBeUndefined();
    } finally {
      await rival.close();
      await api.call('DELETE', `/webhooks/${endpointId}`, { token: admin() });
      await receiver.close();
    }
  });

  it('sends recording.ready once a recording becomes playable, with what ffmpeg wrote', async () => {
    const receiver = await new Receiver().start();
    const created = await api.call('POST', '/webhooks', { token: admin(), body: { url: receiver.url, eventTypes: ['recording.ready'] } });
    expect(created.status).toBe(201);
    receiver.secret = created.body.secret as string;
    try {
      const seminarId = await newSeminar();
      // Real HLS from ffmpeg (3 s), made final by the recording service as a live seminar's end does.
      const recording = await readyRecording(app, seminarId, 3);
      await waitFor(() => receiver.delivered('recording.ready').length > 0, 15_000, 'recording.ready');
      await new Promise((r) => setTimeout(r, 1000));
      expect(receiver.badSignatures).toEqual([]);
      const ready = receiver.delivered('recording.ready');
      expect(ready).toHaveLength(1);
      expect(ready[0]!.body.data.recording).toMatchObject({
        id: recording.id,
        origin: 'seminar',
        seminarId,
        url: `${app.config.publicBaseUrl}/replay/${seminarId}`,
      });
      expect(ready[0]!.body.data.recording.durationSeconds).toBeCloseTo(3, 0);
    } finally {
      await api.call('DELETE', `/webhooks/${created.body.id}`, { token: admin() });
      await receiver.close();
    }
  });

  it('sends a test event on request, signed with a rotated secret, and logs it', async () => {
    const receiver = await new Receiver().start();
    const created = await api.call('POST', '/webhooks', { token: admin(), body: { url: receiver.url, eventTypes: ['course.completed'] } });
    const rotated = await api.call('POST', `/webhooks/${created.body.id}/secret`, { token: admin() });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    receiver.secret = rotated.body.secret as string;
    const test = await api.call('POST', `/webhooks/${created.body.id}/test`, { token: admin() });
    expect(test.status).toBe(202);
    await waitFor(() => receiver.delivered('webhook.test').length === 1, 15_000, 'the test event');
    expect(receiver.got[0]!.id).toBe(test.body.messageId);
    expect(receiver.badSignatures).toEqual([]);
    const log = await api.call('GET', `/webhooks/${created.body.id}/deliveries`, { token: admin() });
    expect(log.body.items).toEqual([expect.objectContaining({ messageId: test.body.messageId, eventType: 'webhook.test', ok: true })]);
    await api.call('DELETE', `/webhooks/${created.body.id}`, { token: admin() });
    await receiver.close();
  });

  it('turns off an endpoint that keeps failing, and tells the admins in the app', async () => {
    const receiver = await new Receiver().start();
    receiver.answer = () => 503;
    const created = await api.call('POST', '/webhooks', { token: admin(), body: { url: receiver.url, eventTypes: ['seminar.scheduled'] } });
    receiver.secret = created.body.secret as string;
    await move(await newSeminar(), 'scheduled');
    await waitFor(
      async () => {
        const list = await api.call('GET', '/webhooks', { token: admin() });
        return list.body.find((e: { id: string }) => e.id === created.body.id)?.enabled === false;
      },
      20_000,
      'the endpoint disabled',
    );
    const endpoint = (await api.call('GET', '/webhooks', { token: admin() })).body.find((e: { id: string }) => e.id === created.body.id);
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'failing', consecutiveFailures: 3 });
    expect(receiver.got.map((g) => g.answered)).toEqual([503, 503, 503]);

    // The admins are told right after the endpoint is turned off, not in the same write.
    const notices = async () =>
      ((await api.call('GET', '/me/notifications', { token: admin() })).body.items as Array<Record<string, string>>).filter(
        (n) => n.kind === 'webhook_disabled',
      );
    await waitFor(async () => ((await notices()).length > 0 ? true : undefined), 10_000, 'the admins told');
    const notice = await notices();
    expect(notice).toHaveLength(1);
    expect(notice[0]!.title).toContain(receiver.url);
    // Off, it is sent nothing more; turned on by an admin, it starts afresh.
    await move(await newSeminar(), 'scheduled');
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.got).toHaveLength(3);
    const on = await api.call('PATCH', `/webhooks/${created.body.id}`, { token: admin(), body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    await api.call('DELETE', `/webhooks/${created.body.id}`, { token: admin() });
    await receiver.close();
  });
});

describe('bad input', () => {
  it('is refused with 400 and a code, and writes nothing', async () => {
    const before = (await api.call('GET', '/webhooks', { token: admin() })).body.length;
    const bad: Array<[unknown, string]> = [
      [{ url: 'ftp://127.0.0.1/x', eventTypes: ['seminar.live'] }, 'invalid_request'],
      [{ url: 'not a url', eventTypes: ['seminar.live'] }, 'invalid_request'],
      [{ url: `http://127.0.0.1/${'a'.repeat(2100)}`, eventTypes: ['seminar.live'] }, 'invalid_request'],
      [{ url: 'http://127.0.0.1/x', eventTypes: [] }, 'invalid_request'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['seminar.exploded'] }, 'invalid_request'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['seminar.live'], secret: 'whsec_mine' }, 'invalid_request'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['seminar.live'], description: 'x'.repeat(501) }, 'invalid_request'],
      [{ url: 'http://no-such-host.invalid/x', eventTypes: ['seminar.live'] }, 'webhook_target_unresolvable'],
    ];
    for (const [body, code] of bad) {
      const res = await api.call('POST', '/webhooks', { token: admin(), body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
    const created = await api.call('POST', '/webhooks', {
      token: admin(),
      body: { url: 'http://127.0.0.1:9/x', eventTypes: ['seminar.live'] },
    });
    const id = created.body.id as string;
    for (const body of [{}, { enabled: 'yes' }, { url: 'javascript:alert(1)' }, { eventTypes: ['nope'] }]) {
      const res = await api.call('PATCH', `/webhooks/${id}`, { token: admin(), body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    for (const [method, path] of [
      ['PATCH', '/webhooks/nope'],
      ['DELETE', '/webhooks/nope'],
      ['POST', '/webhooks/nope/test'],
      ['POST', '/webhooks/nope/secret'],
      ['GET', '/webhooks/nope/deliveries'],
    ] as const) {
      const res = await api.call(method, path, { token: admin(), body: method === 'PATCH' ? { description: 'x' } : undefined });
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe('invalid_request');
    }
    for (const q of ['limit=0', 'limit=1000', 'cursor=%%%']) {
      const res = await api.call('GET', `/webhooks/${id}/deliveries?${q}`, { token: admin() });
      expect(res.status, q).toBe(400);
    }
    const after = await api.call('GET', '/webhooks', { token: admin() });
    expect(after.body).toHaveLength(before + 1);
    expect(after.body.find((e: { id: string }) => e.id === id)).toMatchObject({
      url: 'http://127.0.0.1:9/x',
      eventTypes: ['seminar.live'],
      enabled: true,
    });
    expect(await app.repos.webhookMessages.attempts(id, 10)).toEqual({ items: [], nextCursor: null });
    await api.call('DELETE', `/webhooks/${id}`, { token: admin() });
  });

  it('a non-admin gets 403 and changes nothing', async () => {
    const created = await api.call('POST', '/webhooks', {
      token: admin(),
      body: { url: 'http://127.0.0.1:9/x', eventTypes: ['seminar.live'] },
    });
    for (const who of [people.learner, people.lecturer]) {
      expect(
        (await api.call('POST', '/webhooks', { token: who.token, body: { url: 'http://127.0.0.1:9/y', eventTypes: ['seminar.live'] } }))
          .status,
      ).toBe(403);
      expect(
        (await api.call('PATCH', `/webhooks/${created.body.id}`, { token: who.token, body: { url: 'http://127.0.0.1:9/z' } })).status,
      ).toBe(403);
      expect((await api.call('DELETE', `/webhooks/${created.body.id}`, { token: who.token })).status).toBe(403);
    }
    const list = (await api.call('GET', '/webhooks', { token: admin() })).body as Array<{ id: string; url: string }>;
    expect(list.filter((e) => e.url.endsWith('/y'))).toEqual([]);
    expect(list.find((e) => e.id === created.body.id)?.url).toBe('http://127.0.0.1:9/x');
    await api.call('DELETE', `/webhooks/${created.body.id}`, { token: admin() });
  });
});
