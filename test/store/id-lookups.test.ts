import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { createLogger } from '../../server/logger';
import { Database } from '../../server/store/database';
import { createRepositories, type Repositories } from '../../server/store';
import { testDatabaseUri } from '../support/app';

// Every store decision is a write conditioned on _id (plus a version or a
// count), so those lookups must use the _id index. Stock FerretDB 1.24 scanned
// the whole table for them; server/store/ferretdb/patches fixes that, and these
// tests hold the embedded database to it through the server's own query plan.
let db: Database;
let repos: Repositories;
beforeAll(async () => {
  db = await Database.connect(testDatabaseUri('id_lookups'), createLogger('silent'));
  repos = await createRepositories(db);
});
afterAll(() => db.close());

/** The query plan, as text: SQLite's EXPLAIN QUERY PLAN on FerretDB, the winning plan on MongoDB. */
async function planOf(collection: string, filter: Record<string, unknown>): Promise<string> {
  const res = await db.connection.db!.command({ explain: { find: collection, filter } });
  return JSON.stringify(res.queryPlanner);
}
const usesIdIndex = /USING INDEX \S+__id_|IDHACK|EXPRESS_IXSCAN|"indexName":"_id_"/;

describe('lookups by _id on the real database', () => {
  it('uses the _id index for a plain _id filter and for a conditional write filter', async () => {
    await repos.progress.save({
      userId: 'u1',
      contentId: 'c1',
      intervals: [[0, 10]],
      coveredSeconds: 10,
      resumePosition: 10,
      resumeSentAt: 1,
      durationSeconds: 600,
      live: {},
      version: 1,
    });
    const plain = await planOf('progress', { _id: 'u1:c1' });
    const conditional = await planOf('progress', { _id: 'u1:c1', version: 1 });
    const unkeyed = await planOf('progress', { version: 1 });
    expect(plain).toMatch(usesIdIndex);
    expect(conditional).toMatch(usesIdIndex);
    expect(unkeyed).not.toMatch(usesIdIndex);
  });

  it('uses the index for ObjectId keys too', async () => {
    const _id = new Types.ObjectId();
    await db.connection.collection('id_probe').insertOne({ _id, n: 1 });
    expect(await planOf('id_probe', { _id, n: 1 })).toMatch(usesIdIndex);
  });

  it('still applies the other keys of an _id filter', async () => {
    const col = db.connection.collection<{ _id: string; version: number; note?: string }>('id_filter');
    await col.insertOne({ _id: 'doc', version: 3 });
    expect((await col.updateOne({ _id: 'doc', version: 2 }, { $set: { note: 'stale' } })).modifiedCount).toBe(0);
    expect((await col.deleteOne({ _id: 'doc', version: 4 })).deletedCount).toBe(0);
    expect(await col.findOne({ _id: 'doc', version: 9 })).toBeNull();
    expect(await col.countDocuments({ _id: 'doc', version: 3 })).toBe(1);
    expect((await col.updateOne({ _id: 'doc', version: 3 }, { $set: { note: 'fresh' }, $inc: { version: 1 } })).modifiedCount).toBe(1);
    expect(await col.findOne({ _id: 'doc' })).toEqual({ _id: 'doc', version: 4, note: 'fresh' });
    // _id inside an operator is not pushed down, and still filters.
    expect(await col.findOne({ $and: [{ _id: 'doc' }, { _id: 'other' }] })).toBeNull();
    expect(await col.findOne({ $and: [{ _id: 'doc' }, { version: 4 }] })).toMatchObject({ note: 'fresh' });
  });
});
