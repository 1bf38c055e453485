import type { Connection } from 'mongoose';
import { ANONYMOUS_NAME, type PersonalDataStore, type PersonalRecords } from '../accounts/personal-data';

// Reads and erases one user's records across the collections the other repositories own,
// by their collection names: the one place that must know all of them. A new collection
// that holds a user id belongs here too (test/e2e/accounts-data.test.ts checks the known ones).

type Doc = Record<string, unknown>;

/** Collections exported whole per user, and what each export key is called. */
const OWNED: Array<{ key: keyof PersonalRecords; collection: string; omit?: string[] }> = [
  { key: 'registrations', collection: 'registrations' },
  { key: 'enrolments', collection: 'enrolments' },
  { key: 'progress', collection: 'progress' },
  { key: 'chat', collection: 'live_chat' },
  { key: 'questions', collection: 'live_questions', omit: ['voterIds'] },
  { key: 'attendance', collection: 'live_attendance' },
  { key: 'notifications', collection: 'notifications' },
  // A session's token hash is a secret: its dates are the personal data.
  { key: 'sessions', collection: 'refresh_tokens', omit: ['hash', 'familyId'] },
  { key: 'completions', collection: 'course_completions' },
  // Who revoked one is a staff member's id, not the learner's data; the date and reason are.
  { key: 'certificates', collection: 'certificates', omit: ['revokedBy'] },
];

/** Deleted outright (chat and questions are anonymized instead). */
const ERASED = [
  'registrations',
  'enrolments',
  'progress',
  'live_attendance',
  'live_bans',
  // A closed poll keeps its counts (stored at close); only the person's own vote goes.
  'live_poll_votes',
  'notifications',
  'outbox',
  'refresh_tokens',
  'account_tokens',
  // A certificate holds the learner's name: it goes with the account (its code then verifies as unknown).
  'course_completions',
  'certificates',
];

export class MongoPersonalDataStore implements PersonalDataStore {
  constructor(private readonly connection: Connection) {}

  ensureIndexes(): Promise<unknown> {
    return Promise.resolve();
  }

  async collect(userId: string): Promise<PersonalRecords> {
    const out = {} as PersonalRecords;
    for (const { key, collection, omit = [] } of OWNED) {
      const docs = await this.connection.collection<Doc>(collection).find({ userId }).toArray();
      out[key] = docs.map((d) => plain(d, omit));
    }
    return out;
  }

  async erase(userId: string, anonymousId: string): Promise<void> {
    const anon = { userId: anonymousId, displayName: ANONYMOUS_NAME };
    await this.connection.collection('live_chat').updateMany({ userId }, { $set: anon });
    await this.connection.collection('live_questions').updateMany({ userId }, { $set: anon });
    // Their upvotes still count, under the anonymous id.
    const voted = await this.connection.collection<Doc>('live_questions').find({ voterIds: userId }).toArray();
    for (const q of voted) {
      const voters = (q.voterIds as string[]).map((v) => (v === userId ? anonymousId : v));
      await this.connection.collection('live_questions').updateOne({ _id: q._id }, { $set: { voterIds: voters } });
    }
    for (const collection of ERASED) await this.connection.collection(collection).deleteMany({ userId });
  }
}

function plain(doc: Doc, omit: string[]): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) {
    if (omit.includes(k)) continue;
    out[k === '_id' ? 'id' : k] = k === '_id' ? String(v) : v;
  }
  return out;
}
