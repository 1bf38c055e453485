import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { RateLimits } from '../../server/rate-limits';
import { PresenceChecks, presenceTally } from '../../server/live/presence-checks';
import { lecturerIn, MemoryAudience, outcome, seminarAt, viewerIn } from './domain-support';

// Presence checks in the domain: who may ask and confirm, the window to confirm in, one open
// check at a time, and what an attendee passed of the checks asked while they were there.

const limits = await RateLimits.create({ logger: createLogger('silent') });
const WINDOW_MS = 60_000;
const viewerId = (n: number) => String(n).padStart(24, '0');

function setup() {
  const start = new Date('2026-11-30T10:00:00Z');
  const clock = { now: start.getTime() + 5 * 60_000 };
  const repo = new MemoryAudience();
  const checks = new PresenceChecks({ repo, limits, windowMs: WINDOW_MS, now: () => new Date(clock.now) });
  return { start, clock, repo, checks, seminar: seminarAt(start) };
}

describe('PresenceChecks', () => {
  it('opens a check for the window; confirms count once, inside it only', async () => {
    const { clock, repo, checks, seminar } = setup();
    const check = await checks.ask(lecturerIn(seminar), 3);
    expect(check).toMatchObject({ seminarId: seminar.id, offsetMs: 5 * 60_000, viewersAsked: 3 });
    expect(check.closesAt.getTime() - check.askedAt.getTime()).toBe(WINDOW_MS);

    clock.now += 20_000;
    expect(await outcome(checks.confirm(viewerIn(seminar, viewerId(1)), check.id))).toBe('ok');
    expect(await outcome(checks.confirm(viewerIn(seminar, viewerId(1)), check.id))).toBe('already_confirmed');
    clock.now = check.closesAt.getTime(); // the last moment still counts
    expect(await outcome(checks.confirm(viewerIn(seminar, viewerId(2)), check.id))).toBe('ok');
    clock.now += 1;
    expect(await outcome(checks.confirm(viewerIn(seminar, viewerId(3)), check.id))).toBe('check_closed');

    expect(repo.answers.map((a) => a.userId)).toEqual([viewerId(1), viewerId(2)]);
    expect(await checks.result(check)).toEqual({ checkId: check.id, confirmed: 2, asked: 3 });
  });

  it('keeps one check open at a time, and limits asks per seminar', async () => {
    const { clock, repo, checks, seminar } = setup();
    await checks.ask(lecturerIn(seminar), 1);
    clock.now += WINDOW_MS - 1;
    expect(await outcome(checks.ask(lecturerIn(seminar), 1))).toBe('check_open');
    clock.now += 2;
    expect(await outcome(checks.ask(lecturerIn(seminar), 1))).toBe('ok');
    clock.now += WINDOW_MS + 1;
    // Two a minute (real time, whatever the test clock says): the third is refused.
    expect(await outcome(checks.ask(lecturerIn(seminar), 1))).toBe('rate_limited');
    expect(repo.checkRecords).toHaveLength(2);
  });

  it('is asked by the lecturer of a live seminar only, and confirmed by signed-in viewers of that seminar', async () => {
    const { repo, checks, seminar } = setup();
    expect(await outcome(checks.ask(viewerIn(seminar, viewerId(1)), 1))).toBe('moderators_only');
    expect(await outcome(checks.ask(lecturerIn(seminarAt(null, 'scheduled')), 1))).toBe('seminar_not_live');
    const check = await checks.ask(lecturerIn(seminar), 1);
    expect(await outcome(checks.confirm(lecturerIn(seminar), check.id))).toBe('viewers_only');
    expect(await outcome(checks.confirm(viewerIn(seminar, null), check.id))).toBe('viewers_only');
    // Another seminar's viewer cannot answer it by its id.
    expect(await outcome(checks.confirm(viewerIn(seminarAt(new Date()), viewerId(1)), check.id))).toBe('check_not_found');
    expect(repo.answers).toEqual([]);
  });
});

describe('presenceTally', () => {
  const t = (minute: number) => new Date(Date.UTC(2026, 10, 30, 10, minute));
  const checks = [
    { id: 'c1', askedAt: t(10) },
    { id: 'c2', askedAt: t(30) },
    { id: 'c3', askedAt: t(50) },
  ];

  it('counts a check as asked when one of the attendee’s spans held it, and passed when they confirmed it', () => {
    const spans = [
      { joinedAt: t(0), leftAt: t(20) },
      { joinedAt: t(45), leftAt: null },
    ];
    expect(presenceTally(checks, spans, [{ checkId: 'c1' }], t(60).getTime())).toEqual({ passed: 1, asked: 2 });
    expect(presenceTally(checks, spans, [], t(60).getTime())).toEqual({ passed: 0, asked: 2 });
    // Joined after every check: none was asked of them.
    expect(presenceTally(checks, [{ joinedAt: t(55), leftAt: t(58) }], [], t(60).getTime())).toEqual({ passed: 0, asked: 0 });
    // A confirmation proves presence even where the span's edge disagrees by a moment.
    expect(presenceTally(checks, [{ joinedAt: t(31), leftAt: t(40) }], [{ checkId: 'c2' }], t(60).getTime())).toEqual({
      passed: 1,
      asked: 1,
    });
  });
});
