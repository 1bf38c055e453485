import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachePositive } from '../../server/domain';

// Heartbeats check that their lesson or seminar is visible; a "yes" is remembered for a while.
afterEach(() => vi.useRealTimers());

function counted(answer: (id: string) => boolean) {
  const calls: string[] = [];
  return {
    calls,
    check: (id: string) => {
      calls.push(id);
      return Promise.resolve(answer(id));
    },
  };
}

describe('the visibility cache (cachePositive)', () => {
  it('remembers "visible" until its TTL, and never remembers "not visible"', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    let published = false;
    const source = counted(() => published);
    const visible = cachePositive(source.check, { ttlMs: 60_000 });
    expect(await visible('lesson')).toBe(false);
    published = true;
    expect(await visible('lesson')).toBe(true);
    expect(source.calls).toHaveLength(2);
    published = false;
    vi.setSystemTime(Date.now() + 60_000);
    expect(await visible('lesson')).toBe(true);
    expect(source.calls).toHaveLength(2);
    vi.setSystemTime(Date.now() + 1);
    expect(await visible('lesson')).toBe(false);
    expect(source.calls).toHaveLength(3);
  });

  it('holds at most its cap of ids, dropping the least recently used', async () => {
    const source = counted(() => true);
    const visible = cachePositive(source.check, { max: 2 });
    for (const id of ['a', 'b', 'a', 'c', 'a', 'b']) await visible(id);
    // b was dropped for c, so it is checked again; a stayed in use.
    expect(source.calls).toEqual(['a', 'b', 'c', 'b']);
  });
});
