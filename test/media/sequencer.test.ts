import { describe, expect, it } from 'vitest';
import { Sequencer, type SequencerAction } from '../../media/sequencer';

// The Sequencer alone: which writer's segment goes into the playlist for each moment, where
// black fills in, and when an old writer is told to stop. Segments are [start, end) seconds.

const seg = (start: number, end: number, file = `${start}-${end}`) => ({ file, start, end });
/** Actions in short form: "list w1 0-1 1.00 |" (| = after a discontinuity), "fill 0-1", "drop w2 1-2", "retire w1". */
const short = (actions: SequencerAction[]) =>
  actions.map((a) => {
    switch (a.kind) {
      case 'list':
        return `list w${a.writer} ${a.file} ${a.duration.toFixed(2)}${a.discontinuity ? ' |' : ''}${a.trimTo !== undefined ? ` trim ${a.trimTo}` : ''}`;
      case 'drop':
        return `drop w${a.writer} ${a.file}${a.reason === 'overlong' ? ' overlong' : ''}`;
      case 'fill':
        return `fill ${a.from}-${a.to}${a.discontinuity ? ' |' : ''}`;
      case 'retire':
        return `retire w${a.writer}`;
    }
  });

describe('Sequencer', () => {
  it('fills the start with black up to the first writer, then lists its segments in order', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    expect(short(s.offer(1, seg(2, 3)))).toEqual(['fill 0-2', 'list w1 2-3 1.00 |']);
    expect(short(s.offer(1, seg(3, 4)))).toEqual(['list w1 3-4 1.00']);
    expect(s.end).toBe(4);
  });

  it("hands over at the newer writer's first segment after it is ready: nothing filled, the older one retired", () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.addWriter(2);
    s.handOver(1);
    // Before it is ready, the newer writer's segments are a reserve; the older one goes on.
    expect(short(s.offer(2, seg(1, 2, 'w2-a')))).toEqual([]);
    expect(short(s.offer(1, seg(1, 2, 'w1-b')))).toEqual(['list w1 w1-b 1.00', 'drop w2 w2-a']);
    expect(short(s.ready(2, 2.3))).toEqual([]);
    expect(short(s.offer(2, seg(2, 3, 'w2-b')))).toEqual([]);
    // Its first segment from its ready time on is where it takes over.
    expect(short(s.offer(2, seg(3, 4, 'w2-c')))).toEqual([]);
    expect(short(s.offer(1, seg(2, 3, 'w1-c')))).toEqual(['list w1 w1-c 1.00', 'drop w2 w2-b', 'list w2 w2-c 1.00 |', 'retire w1']);
    expect(short(s.offer(1, seg(3, 3.4, 'w1-tail')))).toEqual(['drop w1 w1-tail']);
    expect(short(s.exited(1))).toEqual([]);
    expect(short(s.offer(2, seg(4, 5)))).toEqual(['list w2 4-5 1.00']);
  });

  it('an older writer whose picture stopped gives a last segment cut short at the hand-over, trimmed', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.addWriter(2);
    s.handOver(1);
    s.ready(2, 1.2);
    s.offer(2, seg(1, 2, 'w2-a'));
    expect(short(s.offer(2, seg(2, 3, 'w2-b')))).toEqual([]);
    expect(s.waitingOn).toEqual({ writer: 1, handOverKnown: true });
    // The Recorder gives it up; stopped, it lists the segment it had open (sound ran on to 2.6).
    s.giveUp(1);
    expect(short(s.offer(1, seg(1, 2.6, 'w1-last')))).toEqual(['list w1 w1-last 1.00 trim 2', 'drop w2 w2-a', 'list w2 w2-b 1.00 |']);
    expect(short(s.exited(1))).toEqual([]);
  });

  it('a last segment that ends before the hand-over leaves black up to the newer writer', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.addWriter(2);
    s.handOver(1);
    s.ready(2, 1.5);
    s.offer(2, seg(1, 2, 'w2-a'));
    s.offer(2, seg(2, 3, 'w2-b'));
    s.giveUp(1);
    s.offer(1, seg(1, 1.4, 'w1-last'));
    expect(short(s.exited(1))).toEqual(['fill 1.4-2 |', 'list w2 w2-b 1.00 |']);
  });

  it('crash: black covers from the last listed segment to the replacement writer', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.offer(1, seg(1, 2));
    expect(short(s.exited(1))).toEqual([]);
    s.addWriter(2);
    expect(short(s.offer(2, seg(4, 5)))).toEqual(['fill 2-4 |', 'list w2 4-5 1.00 |']);
  });

  it('the end of the recording cuts the last segment where the session ended', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    expect(short(s.cut(1, 1.25))).toEqual([]);
    expect(short(s.offer(1, seg(1, 1.6, 'last')))).toEqual(['list w1 last 0.25 trim 1.25']);
    expect(short(s.finish())).toEqual([]);
    expect(s.end).toBe(1.25);
  });

  it('the end keeps a last segment that runs at most the slack past it whole, and trims one that runs further', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.cut(1, 1.25, 0.25);
    expect(short(s.offer(1, seg(1, 1.4, 'last')))).toEqual(['list w1 last 0.40']);
    expect(s.end).toBe(1.4);

    const t = new Sequencer(1);
    t.addWriter(1);
    t.offer(1, seg(0, 1));
    t.cut(1, 1.25, 0.25);
    expect(short(t.offer(1, seg(1, 1.6, 'last')))).toEqual(['list w1 last 0.25 trim 1.25']);
    expect(t.end).toBe(1.25);
  });

  it('a writer already handing over earlier keeps that point and no slack at the end', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.cut(1, 1.25);
    s.cut(1, 2, 0.25);
    expect(short(s.offer(1, seg(1, 1.4, 'last')))).toEqual(['list w1 last 0.25 trim 1.25']);
  });

  it('a segment longer than the target duration (a picture that stalled) becomes black of the same length', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    expect(short(s.offer(1, seg(1, 3, 'long')))).toEqual(['drop w1 long overlong', 'fill 1-3 |']);
    expect(short(s.offer(1, seg(3, 4)))).toEqual(['list w1 3-4 1.00 |']);
  });

  it('a newer writer that dies before it takes over leaves the older one in charge', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.addWriter(2);
    s.handOver(1);
    s.ready(2, 1.5);
    s.offer(2, seg(1, 2));
    s.offer(2, seg(2, 3));
    expect(short(s.exited(2))).toEqual([]);
    expect(short(s.offer(1, seg(1, 2, 'w1-b')))).toEqual(['list w1 w1-b 1.00', 'drop w2 1-2']);
    expect(short(s.offer(1, seg(2, 3, 'w1-c')))).toEqual(['list w1 w1-c 1.00', 'drop w2 2-3']);
    expect(short(s.offer(1, seg(3, 4, 'w1-d')))).toEqual(['list w1 w1-d 1.00']);
  });

  it('an abandoned writer gives nothing, even what it writes afterwards', () => {
    const s = new Sequencer(1);
    s.addWriter(1);
    s.offer(1, seg(0, 1));
    s.addWriter(2);
    s.ready(2, 1.5);
    s.offer(2, seg(1, 2, 'w2-a'));
    expect(short(s.abandon(2))).toEqual(['drop w2 w2-a']);
    expect(short(s.offer(2, seg(2, 3, 'w2-b')))).toEqual(['drop w2 w2-b']);
    expect(short(s.offer(1, seg(1, 2, 'w1-b')))).toEqual(['list w1 w1-b 1.00']);
  });

  it('a continued playlist goes on from its end after a discontinuity', () => {
    const s = new Sequencer(1, 10.5, true);
    s.addWriter(1);
    expect(short(s.offer(1, seg(10.5, 11.5)))).toEqual(['list w1 10.5-11.5 1.00 |']);
  });
});
