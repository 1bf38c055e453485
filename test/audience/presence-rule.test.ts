import { describe, expect, it } from 'vitest';
import type { Course, Lesson } from '../../server/courses/model';
import { presenceLookup, presenceMet } from '../../server/courses/presence-rule';
import { courseProgress } from '../../server/courses/service';
import { emptyProgress, type ProgressRecord } from '../../server/progress/model';
import { MemoryAudience } from './domain-support';

// The course's presence rule: with presenceShare set, a seminar lesson completes only for a
// learner who confirmed that share of the seminar's presence checks; other lessons, seminars
// without checks, and courses without the rule are as before.

const seminarId = 'a'.repeat(24);
const anna = 'b'.repeat(24);
const boris = 'c'.repeat(24);

const lessons: Lesson[] = [
  { id: 'l1', kind: 'recording', title: 'Live seminar', seminarId, playlistPath: null, body: null, durationSeconds: 600 },
  { id: 'l2', kind: 'text', title: 'Notes', seminarId: null, playlistPath: null, body: 'x', durationSeconds: 60 },
];
const course = (presenceShare: number | null): Course => ({
  id: 'd'.repeat(24),
  title: 'Course',
  description: '',
  track: 'Tests',
  published: true,
  completionThreshold: 0.9,
  presenceShare,
  quizRule: 'all_passed',
  ownerIds: [],
  modules: [{ id: 'm1', title: 'Module', lessons }],
  createdAt: new Date(),
});
// Both learners watched all of both lessons.
const watched =
  (userId: string) =>
  (lesson: Lesson): ProgressRecord => ({
    ...emptyProgress(userId, lesson.seminarId ?? lesson.id),
    coveredSeconds: lesson.durationSeconds!,
    durationSeconds: lesson.durationSeconds,
  });

async function seeded(): Promise<MemoryAudience> {
  const repo = new MemoryAudience();
  const at = new Date('2026-11-30T10:00:00Z');
  const checks = [];
  for (let i = 0; i < 4; i++) checks.push(await repo.addCheck({ seminarId, askedAt: at, offsetMs: i, closesAt: at, viewersAsked: 2 }));
  // Anna confirmed three of four, Boris one; an answer of another seminar does not count.
  for (const c of checks.slice(0, 3)) await repo.addAnswer({ checkId: c.id, seminarId, userId: anna, at });
  await repo.addAnswer({ checkId: checks[0]!.id, seminarId, userId: boris, at });
  await repo.addAnswer({ checkId: 'e'.repeat(24), seminarId, userId: boris, at });
  return repo;
}

describe('the presence rule', () => {
  it('completes the seminar lesson only for learners who passed the share; the text lesson for all', async () => {
    const repo = await seeded();
    const c = course(0.75);
    const presence = await presenceLookup(repo, c, [anna, boris]);
    expect(presence(anna, lessons[0]!)).toEqual({ passed: 3, asked: 4 });
    expect(presence(boris, lessons[0]!)).toEqual({ passed: 1, asked: 4 });
    expect(presence(anna, lessons[1]!)).toBeUndefined();
    const of = (userId: string) => courseProgress(c, watched(userId), (l) => presence(userId, l)).lessons.map((l) => l.complete);
    expect(of(anna)).toEqual([true, true]);
    expect(of(boris)).toEqual([false, true]);
  });

  it('sets no condition without the rule, or in a seminar without checks', async () => {
    const repo = await seeded();
    const none = await presenceLookup(repo, course(null), [boris]);
    expect(courseProgress(course(null), watched(boris), (l) => none(boris, l)).completedLessons).toBe(2);
    const empty = await presenceLookup(new MemoryAudience(), course(1), [boris]);
    expect(courseProgress(course(1), watched(boris), (l) => empty(boris, l)).completedLessons).toBe(2);
  });

  it('counts a share at its boundary as met', () => {
    expect(presenceMet({ presenceShare: 0.5 }, { passed: 1, asked: 2 })).toBe(true);
    expect(presenceMet({ presenceShare: 2 / 3 }, { passed: 2, asked: 3 })).toBe(true);
    expect(presenceMet({ presenceShare: 0.5 }, { passed: 0, asked: 2 })).toBe(false);
    expect(presenceMet({ presenceShare: 0 }, { passed: 0, asked: 2 })).toBe(true);
  });
});
