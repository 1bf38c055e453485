import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { Database } from '../../server/store/database';
import { defaultFerretDbBin, EmbeddedFerretDb } from '../../server/store/embedded-ferretdb';

// The progress flush writes with one unordered bulkWrite of conditional updates.
// Stock FerretDB 1.24 committed each statement of an `update` command in its own
// SQLite transaction, reported a failed statement as index 0 and ran none of the
// statements after it. server/store/ferretdb/patches/write-batch-one-transaction.patch
// commits a command's writes together and answers each statement at its own index;
// these tests hold the embedded database to both, and to its CPU cost per document,
// on a FerretDB of their own so that its write-ahead log and its CPU can be read.
type Doc = { _id: string; version: number; flag?: boolean; note?: string; pad: string };
const logger = createLogger('silent');
let dir: string;
let ferret: EmbeddedFerretDb;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lectern-bulk-'));
  ferret = await EmbeddedFerretDb.start({ bin: process.env.FERRETDB_BIN ?? defaultFerretDbBin(), sqliteDir: dir, logger });
  db = await Database.connect(`${ferret.uri}bulk_write`, logger);
});
afterAll(async () => {
  await db?.close();
  await ferret?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** CPU seconds (user + system) a process has used, from /proc. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const collection = (name: string) => db.connection.collection<Doc>(name);
const seed = (name: string, n: number) =>
  collection(name).insertMany(Array.from({ length: n }, (_, i) => ({ _id: `k${i}`, version: 1, pad: 'x'.repeat(300) })));
const bump = (i: number, from: number, upsert = false): mongo.AnyBulkWriteOperation<Doc> => ({
  updateOne: { filter: { _id: `k${i}`, version: from }, update: { $set: { version: from + 1 } }, upsert },
});

describe('bulkWrite of conditional updates on the embedded database', () => {
  it('applies 2,000 conditional updates in one command', async () => {
    await seed('big', 2000);
    // Before the read-before-write patch a command this long hung: each statement's read
    // held one of the 100 pooled SQLite connections until the command ended.
    const res = await collection('big').bulkWrite(
      Array.from({ length: 2000 }, (_, i) => bump(i, 1)),
      { ordered: false },
    );
    expect(res.matchedCount).toBe(2000);
    expect(res.modifiedCount).toBe(2000);
    expect(await collection('big').countDocuments({ version: 2 })).toBe(2000);
  }, 60_000);

  it('commits the writes of one command together', async () => {
    // A database of its own (FerretDB keeps one SQLite file per database), so that the
    // write-ahead log starts small and its growth counts this command's commits alone.
    const own = await Database.connect(`${ferret.uri}bulk_commits`, logger);
    try {
      const col = own.connection.collection<Doc>('commits');
      await col.insertMany(Array.from({ length: 500 }, (_, i) => ({ _id: `k${i}`, version: 1, pad: 'x'.repeat(300) })));
      const wal = path.join(dir, 'bulk_commits.sqlite-wal');
      const before = (await stat(wal)).size;
      await col.bulkWrite(
        Array.from({ length: 500 }, (_, i) => bump(i, 1)),
        { ordered: false },
      );
      // One commit writes each changed page once: 500 documents of ~350 bytes fill ~50
      // pages. A commit per statement appended at least one 4 KiB frame per document (2 MB).
      const grown = (await stat(wal)).size - before;
      expect(grown).toBeLessThan(150 * 4096);
      expect(await col.countDocuments({ version: 2 })).toBe(500);
    } finally {
      await own.close();
    }
  });

  it('spends well under a millisecond of FerretDB CPU per document of a bulk', async () => {
    // What a progress flush costs the embedded database per learner. Measured on Lectern's
    // 2-core machine, best of 5 bulks of 2,000: stock FerretDB 0.6-0.9 ms (a commit per
    // statement, and resource tracking), write-batch-one-transaction alone 0.3-0.4 ms, with
    // no-debug-overheads too 0.19-0.24 ms. CPU time, not wall time, so that other work on the
    // machine moves it little.
    await seed('cpu', 2000);
    const perDocument: number[] = [];
    for (let v = 1; v <= 5; v++) {
      const before = processCpuSeconds(ferret.pid!);
      await collection('cpu').bulkWrite(
        Array.from({ length: 2000 }, (_, i) => bump(i, v, true)),
        { ordered: false },
      );
      perDocument.push(((processCpuSeconds(ferret.pid!) - before) * 1000) / 2000);
    }
    expect(await collection('cpu').countDocuments({ version: 6 })).toBe(2000);
    expect(Math.min(...perDocument)).toBeLessThan(0.5);
  }, 60_000);

  it('reports a conflicting unordered statement at its own index and applies all the others', async () => {
    await seed('unordered', 6);
    // k2 is at version 1, so {_id: k2, version: 5} matches nothing and its upsert collides with k2.
    const ops = [bump(0, 1, true), bump(1, 1, true), bump(2, 5, true), bump(3, 1, true), bump(4, 5, true), bump(5, 1, true)];
    const err = await collection('unordered')
      .bulkWrite(ops, { ordered: false })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(mongo.MongoBulkWriteError);
    const bulk = err as mongo.MongoBulkWriteError;
    const errors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    expect(errors.map((e) => [e.index, e.code])).toEqual([
      [2, 11000],
      [4, 11000],
    ]);
    const docs = await collection('unordered')
      .find({}, { sort: { _id: 1 } })
      .toArray();
    expect(docs.map((d) => d.version)).toEqual([2, 2, 1, 2, 1, 2]);
  });

  it('stops an ordered command at the failing statement', async () => {
    await seed('ordered', 4);
    const err = await collection('ordered')
      .bulkWrite([bump(0, 1, true), bump(1, 7, true), bump(2, 1, true), bump(3, 1, true)], { ordered: true })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(mongo.MongoBulkWriteError);
    expect((err as mongo.MongoBulkWriteError).writeErrors).toMatchObject([{ index: 1, code: 11000 }]);
    const docs = await collection('ordered')
      .find({}, { sort: { _id: 1 } })
      .toArray();
    expect(docs.map((d) => d.version)).toEqual([2, 1, 1, 1]);
  });

  it('reports upserts at their statement index', async () => {
    await seed('upserts', 2);
    const res = await collection('upserts').bulkWrite([bump(0, 1, true), bump(10, 0, true), bump(1, 1, true), bump(11, 0, true)], {
      ordered: false,
    });
    expect(res.upsertedIds).toEqual({ 1: 'k10', 3: 'k11' });
    expect(res.modifiedCount).toBe(2);
    expect(await collection('upserts').findOne({ _id: 'k11' })).toMatchObject({ version: 1 });
  });

  it('lets a statement see what the statements before it in the same command wrote', async () => {
    await seed('chain', 3);
    const res = await collection('chain').bulkWrite(
      [
        bump(0, 1),
        // the same document again, conditional on the write just before it
        bump(0, 2),
        { updateOne: { filter: { _id: 'k1', version: 1 }, update: { $set: { flag: true } } } },
        // no _id in the filter: must see k1's flag from the statement before
        { updateMany: { filter: { flag: true }, update: { $set: { note: 'seen' } } } },
        { updateOne: { filter: { _id: 'k2', note: 'seen' }, update: { $set: { version: 9 } } } },
      ],
      { ordered: true },
    );
    expect(res.modifiedCount).toBe(4);
    const docs = await collection('chain')
      .find({}, { sort: { _id: 1 } })
      .toArray();
    expect(docs.map(({ _id, version, flag, note }) => ({ _id, version, flag, note }))).toEqual([
      { _id: 'k0', version: 3, flag: undefined, note: undefined },
      { _id: 'k1', version: 1, flag: true, note: 'seen' },
      { _id: 'k2', version: 1, flag: undefined, note: undefined },
    ]);
  });
});
