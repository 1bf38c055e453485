import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignInThrottle } from '../../server/accounts/throttle';
import { AppError } from '../../server/errors';
import { createLogger } from '../../server/logger';
import type { Lectern } from '../../server/main';
import { RateLimits } from '../../server/rate-limits';
import { Api, registerUser, CONSENT } from '../support/api';
import { startTestApp } from '../support/app';
import { startRedis } from '../support/redis';

let app: Lectern;
let api: Api;
const password = 'correct horse battery';

beforeAll(async () => {
  app = await startTestApp('sign-in-throttle', { REGISTRATIONS_PER_IP_PER_HOUR: '3' });
  api = Api.of(app);
});
afterAll(() => app.stop());

const from = (ip: string) => ({ 'x-forwarded-for': ip });

async function newAccount(ip: string): Promise<string> {
  const email = `u${Date.now()}${Math.random().toString(36).slice(2, 8)}@test.lectern`;
  const res = await api.call('POST', '/auth/register', {
    body: { email, password, displayName: 'Тест', consent: CONSENT },
    headers: from(ip),
  });
  expect(res.status).toBe(201);
  return email;
}

const statuses = (list: Array<{ status: number }>) => list.map((r) => r.status).sort();

describe('sign-in throttling', () => {
  it('counts a parallel burst of guesses from one address before any is checked: 5 are tried, the rest refused', async () => {
    const email = await newAccount('10.20.0.1');
    const burst = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.call('POST', '/auth/login', { body: { email, password: 'wrong password!' }, headers: from('10.20.1.1') }),
      ),
    );
    expect(statuses(burst).filter((s) => s === 401)).toHaveLength(5);
    expect(statuses(burst).filter((s) => s === 429)).toHaveLength(15);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.body.error).toMatchObject({ code: 'too_many_attempts', details: { retryAfterSeconds: expect.any(Number) } });
    // The owner, from their own address, is not locked out by it.
    expect((await api.call('POST', '/auth/login', { body: { email, password }, headers: from('10.20.2.2') })).status).toBe(200);
  });

  it('slows a burst from many addresses at one account to one guess past the free ones', async () => {
    const email = await newAccount('10.21.0.1');
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('POST', '/auth/login', { body: { email, password: 'wrong password!' }, headers: from(`10.21.1.${i}`) }),
      ),
    );
    // 5 free attempts, then one per doubling delay: at most one more within the burst.
    expect(statuses(burst).filter((s) => s === 401).length).toBeGreaterThanOrEqual(5);
    expect(statuses(burst).filter((s) => s === 401).length).toBeLessThanOrEqual(6);
    expect(statuses(burst).filter((s) => s === 429).length).toBeGreaterThanOrEqual(14);
  });

  it('slows down rather than locks out a known account: the right password gets in after the wait it is told', async () => {
    const email = await newAccount('10.22.0.1');
    for (let i = 0; i < 6; i++) {
      const res = await api.call('POST', '/auth/login', { body: { email, password: 'wrong password!' }, headers: from(`10.22.1.${i}`) });
      expect([401, 429]).toContain(res.status);
    }
    const started = Date.now();
    let res = await api.call('POST', '/auth/login', { body: { email, password }, headers: from('10.22.2.2') });
    while (res.status === 429) {
      const wait = res.body.error.details.retryAfterSeconds as number;
      expect(wait).toBeLessThanOrEqual(60);
      await new Promise((r) => setTimeout(r, wait * 1000));
      res = await api.call('POST', '/auth/login', { body: { email, password }, headers: from('10.22.2.2') });
    }
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);
    // A success clears the account's count: the next sign-in is not slowed.
    expect((await api.call('POST', '/auth/login', { body: { email, password }, headers: from('10.22.2.3') })).status).toBe(200);
  });

  it('refuses an address after 30 attempts across accounts, and only that address', async () => {
    const email = await newAccount('10.23.0.1');
    for (let i = 0; i < 30; i++) {
      const res = await api.call('POST', '/auth/login', {
        body: { email: `nobody${i}@example.ru`, password: 'wrong password!' },
        headers: from('10.23.1.1'),
      });
      expect(res.status).toBe(401);
    }
    expect((await api.call('POST', '/auth/login', { body: { email, password }, headers: from('10.23.1.1') })).status).toBe(429);
    expect((await api.call('POST', '/auth/login', { body: { email, password }, headers: from('10.23.1.2') })).status).toBe(200);
  });

  it('throttles registrations per address, even in a parallel burst, and creates nothing past the limit', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `burst${i}-${Date.now()}@test.lectern`);
    const burst = await Promise.all(
      emails.map((email) =>
        api.call('POST', '/auth/register', {
          body: { email, password, displayName: 'Тест', consent: CONSENT },
          headers: from('10.24.0.1'),
        }),
      ),
    );
    expect(statuses(burst)).toEqual([201, 201, 201, 429, 429, 429]);
    expect(burst.find((r) => r.status === 429)!.body.error.code).toBe('too_many_registrations');
    expect(await app.db.connection.collection('users').countDocuments({ email: { $in: emails } })).toBe(3);
    // Another address still registers.
    await newAccount('10.24.0.2');
    await registerUser(api);
  });
});

describe('limits shared through Redis', () => {
  it('holds an account-and-address limit across two nodes', async () => {
    const redis = await startRedis();
    const logger = createLogger('silent');
    const nodes = [await RateLimits.create({ redisUrl: redis.url, logger }), await RateLimits.create({ redisUrl: redis.url, logger })];
    try {
      const [a, b] = nodes.map((limits) => new SignInThrottle(limits)) as [SignInThrottle, SignInThrottle];
      const email = `shared${Date.now()}@test.lectern`;
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).attempt(email, '10.25.0.1')));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
      const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as AppError);
      expect(refusals.map((e) => [e.status, e.code])).toEqual(Array.from({ length: 5 }, () => [429, 'too_many_attempts']));
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      redis.stop();
    }
  });
});
