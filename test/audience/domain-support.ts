import { randomBytes } from 'node:crypto';
import type { AudienceRepository, PresenceAnswer, PresenceCheckRecord, ReactionWindow } from '../../server/live/audience-model';
import type { LiveAccess } from '../../server/live/service';
import type { Seminar } from '../../server/seminars/model';

// An in-memory AudienceRepository and live accesses for the domain tests of reactions and
// presence checks (the Mongo one is exercised by test/audience/audience-events.test.ts).

export class MemoryAudience implements AudienceRepository {
  readonly windows: ReactionWindow[] = [];
  readonly checkRecords: PresenceCheckRecord[] = [];
  readonly answers: PresenceAnswer[] = [];

  async addReactionWindows(windows: ReactionWindow[]) {
    this.windows.push(...windows);
  }
  async *reactionWindows(seminarId: string) {
    yield this.windows.filter((w) => w.seminarId === seminarId);
  }
  async addCheck(check: Omit<PresenceCheckRecord, 'id'>) {
    const record = { ...check, id: randomBytes(12).toString('hex') };
    this.checkRecords.push(record);
    return record;
  }
  async check(seminarId: string, checkId: string) {
    return this.checkRecords.find((c) => c.id === checkId && c.seminarId === seminarId) ?? null;
  }
  async checks(seminarId: string) {
    return this.checkRecords.filter((c) => c.seminarId === seminarId);
  }
  async addAnswer(answer: PresenceAnswer) {
    if (this.answers.some((a) => a.checkId === answer.checkId && a.userId === answer.userId)) return false;
    this.answers.push(answer);
    return true;
  }
  async countAnswers(checkId: string) {
    return this.answers.filter((a) => a.checkId === checkId).length;
  }
  async answersOf(seminarId: string, userIds: string[]) {
    return this.answers.filter((a) => a.seminarId === seminarId && userIds.includes(a.userId));
  }
  async ensureIndexes() {}
}

export function seminarAt(liveStartedAt: Date | null, status: Seminar['status'] = 'live'): Seminar {
  return {
    id: randomBytes(12).toString('hex'),
    title: 'Seminar',
    description: '',
    track: 'Tests',
    language: 'ru',
    status,
    startsAt: new Date('2026-11-30T09:00:00Z'),
    timeZone: 'Europe/Moscow',
    durationMinutes: 60,
    capacity: 1000,
    registeredCount: 0,
    isPublic: true,
    lecturerIds: ['a'.repeat(24)],
    courseId: null,
    sequence: 0,
    questions: [],
    liveStartedAt,
    endedAt: null,
    createdAt: new Date('2026-11-01T00:00:00Z'),
    encoreOf: null,
  };
}

export const viewerIn = (seminar: Seminar, userId: string | null): LiveAccess => ({
  seminar,
  role: 'viewer',
  userId,
  displayName: 'Viewer',
  canChat: userId !== null,
});

export const lecturerIn = (seminar: Seminar): LiveAccess => ({
  seminar,
  role: 'lecturer',
  userId: seminar.lecturerIds[0]!,
  displayName: 'Lecturer',
  canChat: true,
});

/** The error code a call rejected with, or 'ok'. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}
