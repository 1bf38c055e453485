import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../server/config';
import { createLogger } from '../../server/logger';
import { start, type Lectern } from '../../server/main';
import { defaultFerretDbBin, EmbeddedFerretDb } from '../../server/store/embedded-ferretdb';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { testConfig } from '../support/app';

// The database goes away under a steady stream of heartbeats: a FerretDB of this file's own,
// SIGKILLed and started again on the same port and SQLite files, with Lectern in-process on it.
// Every heartbeat answered 202 must be in the database in the end.
const logger = createLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent');
const bin = process.env.FERRETDB_BIN ?? defaultFerretDbBin();
let dbDir: string;
let ferret: EmbeddedFerretDb;
let listenAddress: string;

beforeAll(async () => {
  dbDir = await mkdtemp(path.join(tmpdir(), 'lectern-outage-db-'));
  ferret = await EmbeddedFerretDb.start({ bin, sqliteDir: dbDir, logger });
  listenAddress = new URL(ferret.uri).host;
});
afterAll(async () => {
  await ferret?.stop();
  await rm(dbDir, { recursive: true, force: true });
});

let down = false;

async function killDatabase(): Promise<void> {
  down = true;
  process.kill(ferret.pid!, 'SIGKILL');
  await ferret.stop();
}

async function restartDatabase(): Promise<void> {
  ferret = await EmbeddedFerretDb.start({ bin, sqliteDir: dbDir, logger, listenAddress });
  down = false;
}

// A test that failed mid-outage leaves the next one a database.
beforeEach(async () => {
  if (down) await restartDatabase();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  for (const giveUp = Date.now() + timeoutMs; !(await check()); await sleep(100)) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting until ${what}`);
  }
}

/** A scheduled seminar (learners may report progress on it) and `n` learners. */
async function scene(app: Lectern, n: number): Promise<{ seminarId: string; learners: TestUser[] }> {
  const api = Api.of(app);
  const { lecturer } = await cast(api);
  const created = await api.call('POST', '/seminars', {
    token: lecturer.token,
    body: { title: 'Сбой базы', track: 'Ops', startsAt: '2030-03-01T18:30', durationMinutes: 90, capacity: 100 },
  });
  expect(created.status).toBe(201);
  const scheduled = await api.call('POST', `/seminars/${created.body.id}/transitions`, {
    token: lecturer.token,
    body: { to: 'scheduled' },
  });
  expect(scheduled.status).toBe(200);
  const learners: TestUser[] = [];
  for (let i = 0; i < n; i++) learners.push(await registerUser(api));
  return { seminarId: created.body.id as string, learners };
}

/**
 * A player's heartbeats: each carries everything watched since the page opened, so within a
 * page session the interval grows by 5 s per heartbeat; every 15 heartbeats the page is
 * reloaded 20 s further on, which starts a new interval. What the database must hold is one
 * interval per page session, up to the highest `to` the server answered 202 to.
 */
class Player {
  sessions: Array<{ start: number; sentTo: number; acceptedTo: number }>;
  sent = 0;
  accepted = 0;
  refused: string[] = [];
  unanswered = 0;
  lastAccepted = { sentAt: 0, position: 0 };
  private clock = Date.now();

  constructor(
    readonly user: TestUser,
    readonly contentId: string,
    index: number,
  ) {
    this.sessions = [{ start: index * 7, sentTo: index * 7, acceptedTo: index * 7 }];
  }

  async beat(baseUrl: string, beacon = false): Promise<void> {
    let session = this.sessions[this.sessions.length - 1]!;
    if (this.sent > 0 && this.sent % 15 === 0) {
      session = { start: session.sentTo + 20, sentTo: session.sentTo + 20, acceptedTo: session.sentTo + 20 };
      this.sessions.push(session);
    }
    const to = session.sentTo + 5;
    session.sentTo = to;
    this.sent++;
    const body = {
      contentId: this.contentId,
      intervals: [[session.start, to]],
      position: to,
      durationSeconds: 20_000,
      sentAt: ++this.clock,
    };
    // The page-leave beacon carries the token in the body, as navigator.sendBeacon must.
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/api/v1/progress/heartbeats`, {
        method: 'POST',
        headers: beacon
          ? { 'content-type': 'application/json' }
          : { 'content-type': 'application/json', authorization: `Bearer ${this.user.token}` },
        body: JSON.stringify(beacon ? { ...body, accessToken: this.user.token } : body),
      });
      await res.arrayBuffer();
    } catch {
      // Lectern stopping under it: no answer, so not counted as accepted (a player sends it again).
      this.unanswered++;
      return;
    }
    if (res.status !== 202) {
      this.refused.push(`${res.status} at ${new Date().toISOString()}`);
      return;
    }
    this.accepted++;
    session.acceptedTo = Math.max(session.acceptedTo, to);
    if (body.sentAt > this.lastAccepted.sentAt) this.lastAccepted = { sentAt: body.sentAt, position: to };
  }
}

/** Every player beats every `periodMs` (phases spread) against whatever app `target()` gives, until stopped. */
function drive(players: Player[], target: () => string | undefined, periodMs: number) {
  let running = true;
  const loops = players.map(async (p, i) => {
    await sleep((periodMs * i) / players.length);
    while (running) {
      const url = target();
      if (url) await p.beat(url, p.sent % 15 === 14);
      await sleep(periodMs);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

type StoredDoc = { userId: string; intervals: Array<{ from: number; to: number }>; resumePosition: number };

/** Reads the database directly (not through Lectern) and lists every accepted heartbeat not covered. */
async function uncovered(uri: string, players: Player[], contentId: string): Promise<string[]> {
  const conn = await mongoose.createConnection(uri).asPromise();
  try {
    const docs = await conn
      .collection<StoredDoc>('progress')
      .find({ contentId, userId: { $in: players.map((p) => p.user.id) } })
      .toArray();
    const byUser = new Map(docs.map((d) => [d.userId, d]));
    const missing: string[] = [];
    for (const p of players) {
      const doc = byUser.get(p.user.id);
      for (const s of p.sessions) {
        if (s.acceptedTo === s.start) continue;
        const covered = doc?.intervals.some((iv) => iv.from <= s.start && iv.to >= s.acceptedTo);
        if (!covered) missing.push(`${p.user.id}: [${s.start}, ${s.acceptedTo}] not covered by ${JSON.stringify(doc?.intervals)}`);
      }
      if (doc?.resumePosition !== p.lastAccepted.position)
        missing.push(`${p.user.id}: resume position ${doc?.resumePosition}, last accepted ${p.lastAccepted.position}`);
    }
    return missing;
  } finally {
    await conn.close();
  }
}

describe('progress through a database outage', () => {
  let config: Config;
  let app: Lectern | undefined;
  afterAll(() => app?.stop());

  it('keeps accepting heartbeats through a 10 s outage and a restart of Lectern, and loses none', async () => {
    config = await testConfig({ MONGODB_URI: `${ferret.uri}outage`, PROGRESS_FLUSH_MS: '200' });
    app = await start(config, logger);
    const { seminarId, learners } = await scene(app, 12);
    const players = learners.map((u, i) => new Player(u, seminarId, i));
    const flushFailures: unknown[] = [];
    app.domain.progress.onFlush((r) => r.error !== undefined && flushFailures.push(r.error));
    const traffic = drive(players, () => app?.url, 150);
    const mark = () => players.map((p) => p.accepted);
    /** Every player had at least `n` heartbeats accepted since `since`. */
    const everyPlayer = (since: number[], n: number) => players.every((p, i) => p.accepted - since[i]! >= n);

    await until('heartbeats flow', () =>
      everyPlayer(
        players.map(() => 0),
        5,
      ),
    );
    await killDatabase();
    const outage = mark();
    await sleep(10_000);
    // Heartbeats went on being accepted, into the buffer: the flushes failed meanwhile.
    expect(everyPlayer(outage, 3)).toBe(true);
    expect(app.domain.progress.bufferedCount).toBe(players.length);
    expect(flushFailures.length).toBeGreaterThan(0);
    await restartDatabase();

    // Flushes succeed again once the driver has reconnected, and the backlog is written.
    const written: number[] = [];
    app.domain.progress.onFlush((r) => !r.error && written.push(r.written));
    await until('flushes succeed again', () => written.length >= 3);

    // Lectern itself restarts: heartbeats pause while it is away, then go on to the new one.
    const old = app;
    app = undefined;
    await old.stop();
    app = await start(config, logger);
    const restarted = mark();
    await until('heartbeats flow to the restarted Lectern', () => everyPlayer(restarted, 5));
    await traffic.stop();
    await app.stop();
    app = undefined;

    for (const p of players) expect(p.refused, `refused heartbeats of ${p.user.id}`).toEqual([]);
    // At most the one in flight when the first Lectern stopped.
    for (const p of players) expect(p.unanswered).toBeLessThanOrEqual(1);
    expect(await uncovered(config.mongodbUri!, players, seminarId)).toEqual([]);
    // The database was back at each stop, so nothing was left on disk.
    expect(await readdir(path.join(config.dataDir, 'progress-journal')).catch(() => [])).toEqual([]);
  }, 120_000);
});

describe('the progress journal', () => {
  it('journals the buffer when Lectern stops with the database down, and writes it at the next start', async () => {
    const config = await testConfig({ MONGODB_URI: `${ferret.uri}journal`, PROGRESS_FLUSH_MS: '60000' });
    let app = await start(config, logger);
    try {
      const { seminarId, learners } = await scene(app, 4);
      const players = learners.map((u, i) => new Player(u, seminarId, i));
      for (let round = 0; round < 3; round++) for (const p of players) await p.beat(app.url, round === 2);
      expect(players.every((p) => p.accepted === 3)).toBe(true);
      expect(app.domain.progress.bufferedCount).toBe(4);

      await killDatabase();
      const t0 = Date.now();
      await app.stop();
      // Bounded: 5 s of trying, then the journal.
      expect(Date.now() - t0).toBeLessThan(15_000);

      const journalDir = path.join(config.dataDir, 'progress-journal');
      const files = await readdir(journalDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^progress-.*\.json$/);
      const journal = JSON.parse(await readFile(path.join(journalDir, files[0]!), 'utf8')) as {
        records: Array<{ userId: string; intervals: number[][]; position: number }>;
      };
      expect(journal.records.map((r) => r.userId).sort()).toEqual(learners.map((u) => u.id).sort());
      for (const p of players) {
        const s = p.sessions[0]!;
        expect(journal.records.find((r) => r.userId === p.user.id)).toMatchObject({
          intervals: [[s.start, s.acceptedTo]],
          position: s.acceptedTo,
        });
      }

      await restartDatabase();
      app = await start(config, logger);
      await until('the journal is written and removed', async () => (await readdir(journalDir)).length === 0);
      expect(await uncovered(config.mongodbUri!, players, seminarId)).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 120_000);
});
