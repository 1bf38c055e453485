import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { Database } from '../../server/store/database';
import { createRepositories, type Repositories } from '../../server/store';
import { WriteGate } from '../../server/store/write-gate';
import { testDatabaseUri } from '../support/app';

// FerretDB 1.24 does not isolate concurrent updates of one document (see
// server/store/write-gate.ts). These tests hold the store to single-document
// atomicity anyway, on the real embedded database.
let db: Database;
let repos: Repositories;
beforeAll(async () => {
  db = await Database.connect(testDatabaseUri('atomicity'), createLogger('silent'));
  repos = await createRepositories(db);
});
afterAll(() => db.close());

async function scheduledSeminar(capacity: number) {
  const s = await repos.seminars.create({
    title: 'Concurrency',
    description: '',
    track: 'Test',
    language: 'ru',
    startsAt: new Date(Date.now() + 86_400_000),
    timeZone: 'Europe/Moscow',
    durationMinutes: 60,
    capacity,
    isPublic: false,
    lecturerIds: [],
    courseId: null,
  });
  await repos.seminars.transition(s.id, ['draft'], 'scheduled', new Date());
  return s.id;
}

describe('single-document atomicity in the store', () => {
  it('hands out exactly `capacity` seats to 16 concurrent claims', async () => {
    const id = await scheduledSeminar(3);
    const claims = await Promise.all(Array.from({ length: 16 }, () => repos.seminars.claimSeat(id)));
    expect(claims.filter(Boolean)).toHaveLength(3);
    expect(await repos.seminars.get(id)).toMatchObject({ registeredCount: 3 });
    const raw = await db.connection.collection('seminars').findOne({ title: 'Concurrency', registeredCount: 3 });
    expect(raw?.seatsLeft).toBe(0);
  });

  it('keeps every one of 20 concurrent seat releases', async () => {
    const id = await scheduledSeminar(30);
    for (let i = 0; i < 20; i++) await repos.seminars.claimSeat(id);
    await Promise.all(Array.from({ length: 20 }, () => repos.seminars.releaseSeat(id)));
    expect(await repos.seminars.get(id)).toMatchObject({ registeredCount: 0 });
  });

  it('consumes a refresh token once under 10 concurrent refreshes', async () => {
    await repos.refreshTokens.insert({ hash: 'h-atomic', userId: 'u', familyId: 'f', expiresAt: new Date(Date.now() + 60_000) });
    const results = await Promise.all(Array.from({ length: 10 }, () => repos.refreshTokens.consume('h-atomic', new Date())));
    expect(results.filter((r) => r && !('reused' in r))).toHaveLength(1);
    expect(results.filter((r) => r && 'reused' in r)).toHaveLength(9);
  });

  it('moves a registration out of "waitlisted" once under concurrent promotions', async () => {
    const seminarId = await scheduledSeminar(1);
    const { registration } = await repos.registrations.insertPending(seminarId, 'learner-1');
    await repos.registrations.setStatus(registration.id, ['pending'], 'waitlisted');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => repos.registrations.setStatus(registration.id, ['waitlisted'], 'registered')),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it('lets only one insert through a unique index', async () => {
    const seminarId = await scheduledSeminar(5);
    const results = await Promise.all(Array.from({ length: 10 }, () => repos.registrations.insertPending(seminarId, 'same-user')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await db.connection.collection('registrations').countDocuments({ seminarId, userId: 'same-user' })).toBe(1);
  });
});

describe('WriteGate', () => {
  it('runs writes to one key one at a time, in order, and other keys alongside', async () => {
    const gate = new WriteGate();
    const log: string[] = [];
    const slow = (label: string, ms: number) => async () => {
      log.push(`start ${label}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${label}`);
    };
    await Promise.all([gate.run('a', slow('a1', 30)), gate.run('a', slow('a2', 1)), gate.run('b', slow('b1', 1))]);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    expect(gate.pending).toBe(0);
  });

  it('keeps going after a failed write', async () => {
    const gate = new WriteGate();
    await expect(gate.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run('k', async () => 'next')).resolves.toBe('next');
  });
});
