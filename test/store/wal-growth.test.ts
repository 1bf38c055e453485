import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { Database } from '../../server/store/database';
import { defaultFerretDbBin, EmbeddedFerretDb } from '../../server/store/embedded-ferretdb';

// Stock FerretDB 1.24 kept an update's read open while its write committed, so
// SQLite could never checkpoint the whole write-ahead log under a steady stream
// of updates, and the log grew without end (25 MB after these 3,000 updates,
// beside a database of a few hundred kB). server/store/ferretdb/patches ends
// the read first; SQLite's own checkpoints then hold the log near 1,000 pages.
const logger = createLogger('silent');
let dir: string;
let ferret: EmbeddedFerretDb;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lectern-wal-'));
  ferret = await EmbeddedFerretDb.start({ bin: defaultFerretDbBin(), sqliteDir: dir, logger });
  db = await Database.connect(`${ferret.uri}wal_growth`, logger);
});
afterAll(async () => {
  await db?.close();
  await ferret?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded database under a steady stream of updates', () => {
  it('keeps its write-ahead log bounded through conditional updates and findOneAndUpdate', async () => {
    const col = db.connection.collection<{ _id: string; version: number; pad: string }>('wal_probe');
    await col.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `k${i}`, version: 0, pad: 'x'.repeat(300) })));
    let next = 0;
    // Two writers, as the progress flush runs: there is always a write in flight.
    const writer = async () => {
      while (next < 3000) {
        const n = next++;
        const _id = `k${n % 200}`;
        if (n % 10 === 0) {
          await col.findOneAndUpdate({ _id }, { $inc: { version: 1 } });
        } else {
          const doc = (await col.findOne({ _id }))!;
          const res = await col.updateOne({ _id, version: doc.version }, { $set: { version: doc.version + 1 } });
          expect(res.modifiedCount).toBe(1);
        }
      }
    };
    await Promise.all([writer(), writer()]);

    const total = (await col.find({}).toArray()).reduce((sum, d) => sum + d.version, 0);
    expect(total).toBe(3000);
    const wal = await stat(path.join(dir, 'wal_growth.sqlite-wal'));
    // SQLite checkpoints at 1,000 pages (4 MiB); the stock build was at 25 MB here.
    expect(wal.size).toBeLessThan(6 * 1024 * 1024);
  }, 60_000);
});
