import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/accounts/grants';
import { createLogger } from '../../server/logger';
import { ProgressService, type FlushReport } from '../../server/progress/service';
import { Database } from '../../server/store/database';
import { createRepositories, type Repositories } from '../../server/store';
import { testDatabaseUri } from '../support/app';

// Two writers of one learner's record (two nodes on MongoDB, or a node that restarted while
// another wrote): each remembers the version it last wrote, so the other's write makes its next
// conditional write conflict. The conflict must be read again and merged, never dropped.
let db: Database;
let repos: Repositories;
beforeAll(async () => {
  db = await Database.connect(testDatabaseUri('progress_conflicts'), createLogger('silent'));
  repos = await createRepositories(db);
});
afterAll(() => db.close());

const learner: Actor = { kind: 'user', userId: 'aaaaaaaaaaaaaaaaaaaaaaaa', roles: ['learner'], grants: ['progress:write'] };
let clock = Date.now();

function service() {
  const reports: FlushReport[] = [];
  const s = new ProgressService({ repo: repos.progress, contentExists: () => Promise.resolve(true), flushIntervalMs: 60_000 });
  s.onFlush((r) => reports.push(r));
  return { s, reports };
}

describe('progress written by two writers', () => {
  it('re-reads and merges a record whose version another writer moved on', async () => {
    const a = service();
    const b = service();
    const beat = (svc: ProgressService, from: number, to: number) =>
      svc.heartbeat(learner, {
        contentId: 'lesson_conflict',
        intervals: [[from, to]],
        position: to,
        durationSeconds: 600,
        sentAt: ++clock,
      });

    await beat(a.s, 0, 10);
    await a.s.flush();
    await beat(b.s, 20, 30);
    await b.s.recordLiveAttendance({ userId: learner.userId, seminarId: 'lesson_conflict', sessionId: 'live1', seconds: 90 });
    await b.s.flush();
    // a still remembers version 1; the stored record is at version 2
    await beat(a.s, 40, 50);
    await a.s.flush();

    expect(a.reports.at(-1)).toMatchObject({ records: 1, written: 1, conflicts: 1, requeued: 0 });
    const stored = await repos.progress.get(learner.userId, 'lesson_conflict');
    expect(stored).toMatchObject({
      intervals: [
        [0, 10],
        [20, 30],
        [40, 50],
      ],
      coveredSeconds: 30,
      resumePosition: 50,
      live: { live1: 90 },
      version: 3,
    });
    await a.s.close();
    await b.s.close();
  });

  it('writes a batch in which only some records conflict', async () => {
    const a = service();
    const b = service();
    const ids = Array.from({ length: 30 }, (_, i) => `lesson_batch_${i}`);
    for (const id of ids) await a.s.heartbeat(learner, { contentId: id, intervals: [[0, 5]], position: 5, sentAt: ++clock });
    await a.s.flush();
    // b moves every third record on
    for (const id of ids.filter((_, i) => i % 3 === 0))
      await b.s.heartbeat(learner, { contentId: id, intervals: [[100, 105]], position: 105, sentAt: ++clock });
    await b.s.flush();
    for (const id of ids) await a.s.heartbeat(learner, { contentId: id, intervals: [[5, 10]], position: 10, sentAt: ++clock });
    await a.s.flush();

    expect(a.reports.at(-1)).toMatchObject({ records: 30, written: 30, conflicts: 10, requeued: 0 });
    const stored = await repos.progress.listForUser(learner.userId, ids);
    expect(stored).toHaveLength(30);
    for (const r of stored) {
      const i = ids.indexOf(r.contentId);
      expect(r.intervals).toEqual(
        i % 3 === 0
          ? [
              [0, 10],
              [100, 105],
            ]
          : [[0, 10]],
      );
      expect(r.resumePosition).toBe(10);
    }
    await a.s.close();
    await b.s.close();
  });
});
