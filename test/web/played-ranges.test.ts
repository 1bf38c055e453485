import { describe, expect, it } from 'vitest';
import { PlayedRanges } from '../../web/src/replay-progress';

/** Time updates every quarter second from `from` to `to`. */
function play(r: PlayedRanges, from: number, to: number): void {
  for (let t = from; t <= to + 1e-9; t += 0.25) r.advance(t);
}

describe('the spans a learner watched', () => {
  it('counts a stall or a pause as no gap: playback goes on from where it stood', () => {
    const r = new PlayedRanges();
    play(r, 0, 3);
    // A stall: no updates for a while, then playback resumes at the same place.
    play(r, 3.1, 6.1);
    expect(r.intervals()).toEqual([[0, 6.1]]);
  });

  it('never counts what a seek skipped, even a short one', () => {
    const r = new PlayedRanges();
    play(r, 0, 2);
    r.cut();
    play(r, 3.5, 5);
    expect(r.intervals()).toEqual([
      [0, 2],
      [3.5, 5],
    ]);
  });

  it('ends the span at a jump of more than two seconds (a sleeping tab), and at a jump back', () => {
    const r = new PlayedRanges();
    play(r, 0, 2);
    play(r, 10, 11);
    play(r, 1, 1.5);
    expect(r.intervals()).toEqual([
      [0, 2],
      [10, 11],
    ]);
    expect(r.covered()).toBe(3);
  });

  it('ignores impossible times', () => {
    const r = new PlayedRanges();
    r.advance(Number.NaN);
    r.advance(-1);
    expect(r.intervals()).toEqual([]);
  });

  it('joins the closest neighbours past 200 spans, so the heartbeat is never refused', () => {
    const r = new PlayedRanges();
    for (let i = 0; i < 250; i++) {
      r.advance(i * 10);
      r.advance(i * 10 + 1);
      r.cut();
    }
    const list = r.intervals();
    expect(list).toHaveLength(200);
    expect(list[0]![0]).toBe(0);
    expect(list.at(-1)![1]).toBe(2491);
  });
});
