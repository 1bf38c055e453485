import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatterBatcher } from '../../server/live/chatter';
import type { RoomChatter } from '../../server/protocol';

// The window logic of a room's chatter, on fake timers; test/live/room-rules.test.ts has it
// through a real room.

const chat = (text: string): RoomChatter => ({
  type: 'chat:message',
  data: { id: text, userId: 'u', displayName: 'Зритель', text, at: '2030-03-01T18:30:00.000Z', offsetMs: 0 },
});
const texts = (events: RoomChatter[]) => events.map((e) => (e.type === 'chat:message' ? e.data.text : e.type));

let pushes: Array<{ at: number; seminarId: string; texts: string[] }>;
let batcher: ChatterBatcher;

beforeEach(() => {
  vi.useFakeTimers();
  pushes = [];
  batcher = new ChatterBatcher((seminarId, events) => pushes.push({ at: Date.now(), seminarId, texts: texts(events) }), 100);
});
afterEach(() => {
  batcher.close();
  vi.useRealTimers();
});

describe('ChatterBatcher', () => {
  it('pushes the first event at once and what follows within the window together at its end, in order', () => {
    const t0 = Date.now();
    batcher.add('s1', chat('a'));
    expect(pushes).toEqual([{ at: t0, seminarId: 's1', texts: ['a'] }]);
    vi.advanceTimersByTime(30);
    batcher.add('s1', chat('b'));
    batcher.add('s1', { type: 'chat:deleted', data: { messageId: 'a' } });
    vi.advanceTimersByTime(69);
    expect(pushes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(pushes[1]).toEqual({ at: t0 + 100, seminarId: 's1', texts: ['b', 'chat:deleted'] });
    // That push opened a window of its own: a steady stream stays at one push per window.
    batcher.add('s1', chat('c'));
    vi.advanceTimersByTime(99);
    expect(pushes).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(pushes[2]).toEqual({ at: t0 + 200, seminarId: 's1', texts: ['c'] });
    // A quiet window closes it: the next event goes at once again, and no timer is left.
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
    batcher.add('s1', chat('d'));
    expect(pushes[3]).toEqual({ at: t0 + 300, seminarId: 's1', texts: ['d'] });
  });

  it('keeps each room to its own window', () => {
    batcher.add('s1', chat('a'));
    batcher.add('s2', chat('x'));
    batcher.add('s1', chat('b'));
    expect(pushes.map((p) => [p.seminarId, p.texts])).toEqual([
      ['s1', ['a']],
      ['s2', ['x']],
    ]);
    vi.advanceTimersByTime(100);
    expect(pushes.map((p) => [p.seminarId, p.texts]).slice(2)).toEqual([['s1', ['b']]]);
  });

  it('flush() pushes what waits at once (before a status change) and ends the window', () => {
    batcher.add('s1', chat('a'));
    batcher.add('s1', chat('b'));
    batcher.flush('s1');
    expect(pushes.map((p) => p.texts)).toEqual([['a'], ['b']]);
    expect(vi.getTimerCount()).toBe(0);
    batcher.flush('s1');
    batcher.add('s1', chat('c'));
    expect(pushes.map((p) => p.texts)).toEqual([['a'], ['b'], ['c']]);
  });

  it('close() pushes what waits in every room and leaves no timer', () => {
    batcher.add('s1', chat('a'));
    batcher.add('s1', chat('b'));
    batcher.add('s2', chat('x'));
    batcher.add('s2', chat('y'));
    batcher.close();
    expect(pushes.map((p) => [p.seminarId, p.texts]).slice(2)).toEqual([
      ['s1', ['b']],
      ['s2', ['y']],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after close() pushes what comes at once and opens no window (a leaving socket lowering its hand)', () => {
    batcher.close();
    batcher.add('s1', chat('a'));
    batcher.add('s1', chat('b'));
    expect(pushes.map((p) => p.texts)).toEqual([['a'], ['b']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a push that throws holds nothing back for good: what comes later goes at the next window', () => {
    let fail = false;
    const flaky = new ChatterBatcher((seminarId, events) => {
      if (fail) throw new Error('adapter down');
      pushes.push({ at: Date.now(), seminarId, texts: texts(events) });
    }, 100);
    flaky.add('s1', chat('a'));
    flaky.add('s1', chat('b'));
    fail = true;
    expect(() => vi.advanceTimersByTime(100)).toThrow('adapter down');
    fail = false;
    flaky.add('s1', chat('c'));
    vi.advanceTimersByTime(100);
    expect(pushes.map((p) => p.texts)).toEqual([['a'], ['c']]);
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
    flaky.add('s1', chat('d'));
    expect(pushes.map((p) => p.texts).at(-1)).toEqual(['d']);
  });

  it('with a window of 0 pushes each event alone, at once', () => {
    const alone = new ChatterBatcher((seminarId, events) => pushes.push({ at: Date.now(), seminarId, texts: texts(events) }), 0);
    alone.add('s1', chat('a'));
    alone.add('s1', chat('b'));
    expect(pushes.map((p) => p.texts)).toEqual([['a'], ['b']]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
