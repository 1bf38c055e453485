import { describe, expect, it } from 'vitest';
import type { ChatRecord } from '../../server/live/model';
import { RecentChat } from '../../server/live/recent-chat';

// The joiners' copy of a seminar's last messages: read once, kept in step with what this node
// writes and deletes (also while the read is under way), re-read after its time.

let n = 0;
function message(seminarId: string, text: string): ChatRecord {
  n++;
  return {
    id: `m${n}`,
    seminarId,
    userId: 'u1',
    displayName: 'Анна',
    text,
    at: new Date(Date.UTC(2030, 0, 1, 0, 0, n)),
    offsetMs: n * 1000,
    deletedAt: null,
  };
}

/** A database of messages whose reads can be held open. */
function store() {
  const rows: ChatRecord[] = [];
  let reads = 0;
  let hold: Promise<void> | null = null;
  return {
    rows,
    reads: () => reads,
    holdReads(): () => void {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    read: async (seminarId: string, limit: number) => {
      reads++;
      const snapshot = rows.filter((r) => r.seminarId === seminarId && !r.deletedAt).slice(-limit);
      if (hold) await hold;
      return snapshot;
    },
  };
}

describe('RecentChat', () => {
  it('reads a seminar once, then serves joiners from what this node wrote and deleted', async () => {
    const db = store();
    const first = message('s1', 'Здравствуйте');
    db.rows.push(first, message('s2', 'other seminar'));
    const recent = new RecentChat(db.read, 3);
    expect((await recent.get('s1')).map((m) => m.text)).toEqual(['Здравствуйте']);
    const more = ['a', 'b', 'c'].map((t) => message('s1', t));
    for (const m of more) recent.added(m);
    // The last three, oldest first, without another read.
    expect((await recent.get('s1')).map((m) => m.text)).toEqual(['a', 'b', 'c']);
    recent.deleted('s1', more[1]!.id);
    expect((await recent.get('s1')).map((m) => m.text)).toEqual(['a', 'c']);
    expect(db.reads()).toBe(1);
  });

  it('keeps a message written or deleted while the read is under way', async () => {
    const db = store();
    const old = message('s1', 'old');
    const gone = message('s1', 'gone');
    db.rows.push(old, gone);
    const recent = new RecentChat(db.read, 50);
    const release = db.holdReads();
    const joiners = [recent.get('s1'), recent.get('s1')];
    // Written after the read's snapshot, before its answer.
    const late = message('s1', 'late');
    db.rows.push(late);
    recent.added(late);
    recent.deleted('s1', gone.id);
    release();
    for (const got of await Promise.all(joiners)) expect(got.map((m) => m.text)).toEqual(['old', 'late']);
    expect(db.reads()).toBe(1);
    expect((await recent.get('s1')).map((m) => m.text)).toEqual(['old', 'late']);
  });

  it('reads again after its time, so a change made elsewhere shows', async () => {
    const db = store();
    const m = message('s1', 'hello');
    db.rows.push(m);
    const recent = new RecentChat(db.read, 50, 50);
    expect((await recent.get('s1'))[0]!.displayName).toBe('Анна');
    db.rows[0] = { ...m, displayName: 'Deleted user' };
    await new Promise((r) => setTimeout(r, 80));
    expect((await recent.get('s1'))[0]!.displayName).toBe('Deleted user');
    expect(db.reads()).toBe(2);
  });

  it('answers with copies: a caller cannot change what the next joiner gets', async () => {
    const db = store();
    db.rows.push(message('s1', 'x'));
    const recent = new RecentChat(db.read, 50);
    (await recent.get('s1')).pop();
    expect(await recent.get('s1')).toHaveLength(1);
  });
});
