import { describe, expect, it } from 'vitest';
import { ChatBurst } from '../../server/live/chat-burst';

// The per-user chat limit: five messages in any ten seconds, and only users who wrote lately held.

describe('ChatBurst', () => {
  it('refuses the sixth message in any 10 s, across a window edge too, and counts no refused one', () => {
    const burst = new ChatBurst(5, 10_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) expect(burst.take('u1', t0 + i * 1000)).toBe(true);
    expect(burst.take('u1', t0 + 5000)).toBe(false);
    expect(burst.take('u2', t0 + 5000)).toBe(true);
    // The first message leaves the window at t0 + 10 s: one more fits, then none until the second leaves.
    expect(burst.take('u1', t0 + 9999)).toBe(false);
    expect(burst.take('u1', t0 + 10_000)).toBe(true);
    expect(burst.take('u1', t0 + 10_500)).toBe(false);
    expect(burst.take('u1', t0 + 11_000)).toBe(true);
  });

  it('forgets users quiet for a window, and keeps those still within theirs', () => {
    const burst = new ChatBurst(5, 10_000);
    const t0 = 1_000_000;
    for (let u = 0; u < 20_000; u++) burst.take(`u${u}`, t0);
    expect(burst.size).toBe(20_000);
    // Every user is kept while their window lasts, however many there are (no cap clears them).
    for (let i = 0; i < 4; i++) burst.take('u0', t0 + 5000);
    expect(burst.take('u0', t0 + 5001)).toBe(false);
    // A window later, only those who wrote within it are kept, with their counts.
    expect(burst.take('late', t0 + 10_001)).toBe(true);
    expect(burst.size).toBe(2);
    expect(burst.take('u0', t0 + 10_003)).toBe(true);
    expect(burst.take('u0', t0 + 10_004)).toBe(false);
  });
});
