import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../server/errors';
import { toAppError } from '../../server/error-mapping';
import { createLogger } from '../../server/logger';
import { Database } from '../../server/store/database';
import { createRepositories, type Repositories } from '../../server/store';
import { testDatabaseUri } from '../support/app';

let db: Database;
let repos: Repositories;

beforeAll(async () => {
  db = await Database.connect(testDatabaseUri('users'), createLogger('silent'));
  repos = await createRepositories(db);
});
afterAll(() => db.close());

const newUser = (email: string) => ({
  email,
  displayName: 'Анна Петрова',
  locale: 'ru' as const,
  roles: ['learner' as const],
  passwordHash: 'scrypt$placeholder',
});

describe('the embedded database through mongoose', () => {
  it('round-trips a document', async () => {
    const created = await repos.users.create(newUser('  Anna@Example.RU '));
    const found = await repos.users.findByEmail('anna@example.ru');
    expect(found).toMatchObject({ id: created.id, email: 'anna@example.ru', displayName: 'Анна Петрова', locale: 'ru' });
    expect(found!.createdAt).toBeInstanceOf(Date);
    expect(await repos.users.findById(created.id)).toMatchObject({ email: 'anna@example.ru', roles: ['learner'] });
    const raw = await db.connection.collection('users').findOne({ email: 'anna@example.ru' });
    expect(raw?.passwordHash).toBe('scrypt$placeholder');
  });

  it('turns a unique-index violation into a 409 domain error, and writes nothing', async () => {
    await repos.users.create(newUser('boris@example.ru'));
    const err = await repos.users.create(newUser('BORIS@example.ru')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ status: 409, code: 'email_taken' });
    expect(toAppError(err)).toMatchObject({ status: 409, code: 'email_taken' });
    expect(await db.connection.collection('users').countDocuments({ email: 'boris@example.ru' })).toBe(1);
  });

  it('answers a ping', async () => {
    expect(await db.ping()).toMatchObject({ ok: true });
  });
});
