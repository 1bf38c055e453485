import { describe, expect, it } from 'vitest';
import { cachePositive } from '../../server/domain';

// Heartbeats check that the lesson is visible; the answer is cached for a minute. Past that
// minute, a database outage must not turn every heartbeat of a known lesson into an error.
describe('the visible-content cache', () => {
  it('answers from an expired entry while the check fails, and re-checks once it answers', async () => {
    let answer: boolean | Error = true;
    let checks = 0;
    const visible = cachePositive(
      async () => {
        checks++;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      // Long enough that two calls back to back on a loaded machine stay inside it.
      { ttlMs: 500 },
    );
    expect(await visible('lesson1')).toBe(true);
    expect(await visible('lesson1')).toBe(true);
    expect(checks).toBe(1);

    await new Promise((r) => setTimeout(r, 600));
    answer = new Error('database unreachable');
    expect(await visible('lesson1')).toBe(true);
    // never seen: the failure is the answer
    await expect(visible('lesson2')).rejects.toThrow('database unreachable');

    answer = false;
    expect(await visible('lesson1')).toBe(false);
    answer = new Error('database unreachable');
    await expect(visible('lesson1')).rejects.toThrow('database unreachable');
  });
});
