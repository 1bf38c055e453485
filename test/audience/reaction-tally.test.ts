import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { REACTION_KINDS, type ReactionKind } from '../../server/protocol';
import { RateLimits } from '../../server/rate-limits';
import { REACTIONS_PER_VIEWER, ReactionTally } from '../../server/live/reactions';
import { lecturerIn, outcome, seminarAt, viewerIn } from './domain-support';

// The aggregation of reactions: a burst from many viewers in several rooms becomes at most one
// counted update per room and window, the counts summing to what was accepted; each viewer's
// excess is refused with rate_limited and counted nowhere.

const limits = await RateLimits.create({ logger: createLogger('silent') });

describe('ReactionTally', () => {
  it('turns a burst of 1,000 viewers in two rooms into one update per room and window, counts summing to the accepted reactions', async () => {
    const start = new Date('2026-11-30T10:00:00Z');
    let clock = start.getTime() + 90_000;
    // The limiter counts in real time: a period of an hour holds the whole burst on a slow machine too.
    const tally = new ReactionTally({ limits, now: () => new Date(clock), perViewer: { ...REACTIONS_PER_VIEWER, durationSeconds: 3600 } });
    const rooms = [seminarAt(start), seminarAt(start)];
    const viewers = Array.from({ length: 1000 }, (_, i) => ({
      key: `viewer-${i}-${Math.random()}`,
      room: rooms[i % 2]!,
      // Most click once or twice a window; every 50th holds the button down.
      perWindow: i % 50 === 0 ? 6 : 1 + (i % 2),
    }));
    const windows = 8; // two seconds of 250 ms windows
    const sentBy = new Map<string, number>();
    let accepted = 0;
    let refused = 0;
    const updates: Array<{ window: number; seminarId: string; total: number; counts: Record<string, number> }> = [];
    for (let w = 0; w < windows; w++) {
      await Promise.all(
        viewers.map(async (v, i) => {
          for (let n = 0; n < v.perWindow; n++) {
            const kind: ReactionKind = REACTION_KINDS[(i + n + w) % REACTION_KINDS.length]!;
            sentBy.set(v.key, (sentBy.get(v.key) ?? 0) + 1);
            const result = await outcome(tally.add(viewerIn(v.room, null), v.key, kind));
            if (result === 'ok') accepted++;
            else if (result === 'rate_limited') refused++;
            else throw new Error(`unexpected ${result}`);
          }
        }),
      );
      clock += 250;
      for (const u of tally.drain()) updates.push({ window: w, seminarId: u.seminarId, total: u.total, counts: u.counts });
    }

    const sent = [...sentBy.values()].reduce((a, b) => a + b, 0);
    const expectedRefused = [...sentBy.values()].reduce((a, n) => a + Math.max(0, n - REACTIONS_PER_VIEWER.points), 0);
    expect(expectedRefused).toBeGreaterThan(0);
    expect({ accepted, refused }).toEqual({ accepted: sent - expectedRefused, refused: expectedRefused });
    // Bounded: at most one update per room per window, whatever the audience.
    expect(updates.length).toBeLessThanOrEqual(rooms.length * windows);
    for (let w = 0; w < windows; w++) {
      const inWindow = updates.filter((u) => u.window === w);
      expect(new Set(inWindow.map((u) => u.seminarId)).size).toBe(inWindow.length);
    }
    // Every accepted reaction is counted once: per kind totals agree with the window totals.
    const counted = updates.reduce((a, u) => a + Object.values(u.counts).reduce((x, y) => x + y, 0), 0);
    expect(counted).toBe(accepted);
    expect(updates.reduce((a, u) => a + u.total, 0)).toBe(accepted);
    // Each room's share: the viewers of that room, limits applied.
    for (const room of rooms) {
      const roomAccepted = viewers
        .filter((v) => v.room === room)
        .reduce((a, v) => a + Math.min(REACTIONS_PER_VIEWER.points, sentBy.get(v.key)!), 0);
      expect(updates.filter((u) => u.seminarId === room.id).reduce((a, u) => a + u.total, 0)).toBe(roomAccepted);
    }
  });

  it('stamps each window with its offset from the live start and starts afresh after a drain', async () => {
    const start = new Date('2026-11-30T10:00:00Z');
    let clock = start.getTime() + 61_500;
    const tally = new ReactionTally({ limits, now: () => new Date(clock) });
    const room = seminarAt(start);
    await tally.add(viewerIn(room, 'b'.repeat(24)), `u-${Math.random()}`, 'fire');
    clock += 100;
    await tally.add(viewerIn(room, 'c'.repeat(24)), `u-${Math.random()}`, 'fire');
    const [first, ...rest] = tally.drain();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ seminarId: room.id, offsetMs: 61_500, counts: { fire: 2 }, total: 2 });
    expect(tally.drain()).toEqual([]);
  });

  it('refuses lecturers and rooms that are not live, counting nothing', async () => {
    const tally = new ReactionTally({ limits });
    const live = seminarAt(new Date());
    const scheduled = seminarAt(null, 'scheduled');
    expect(await outcome(tally.add(lecturerIn(live), `l-${Math.random()}`, 'like'))).toBe('viewers_only');
    expect(await outcome(tally.add(viewerIn(scheduled, null), `v-${Math.random()}`, 'like'))).toBe('seminar_not_live');
    expect(tally.drain()).toEqual([]);
  });
});
