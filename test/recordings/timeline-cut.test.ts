import { describe, expect, it } from 'vitest';
import type { RecordingTrim } from '../../server/recordings/model';
import { ReplayClock, type Timeline } from '../../server/recordings/replay-clock';

// Playback's timeline on a cut replay: offsets from the cut's start; what was cut away left out.
// Offsets are stored from the live start; the replay counts from the recording's timeline origin.

const liveStartedAt = new Date('2026-11-30T10:00:00.000Z');
const clock = (trim: RecordingTrim | null, originAfterLiveMs: number | null = 0) =>
  ReplayClock.of(
    {
      status: 'ready',
      trim,
      timelineOrigin: originAfterLiveMs === null ? null : new Date(liveStartedAt.getTime() + originAfterLiveMs),
    },
    liveStartedAt,
  );
const onCut = (timeline: Timeline, trim: RecordingTrim | null) => clock(trim).place(timeline);

const message = (id: string, offsetMs: number) => ({
  id,
  userId: 'u',
  displayName: 'Анна',
  text: id,
  offsetMs,
  at: '2026-11-30T10:00:00.000Z',
});
const poll = (id: string, openedOffsetMs: number, closedOffsetMs: number | null) => ({
  id,
  question: id,
  options: ['да', 'нет'],
  multiple: false,
  openedOffsetMs,
  closedOffsetMs,
  counts: [2, 1],
  voters: 3,
});
const question = (id: string, offsetMs: number, answeringOffsetMs: number | null) => ({
  id,
  userId: 'u',
  displayName: 'Анна',
  text: id,
  votes: 0,
  status: 'answered' as const,
  offsetMs,
  answeringOffsetMs,
  revision: 1,
});

describe('the replay clock', () => {
  const timeline: Timeline = {
    chapters: [
      { offsetMs: 1000, title: 'до', kind: 'marker' as const },
      { offsetMs: 4000, title: 'внутри', kind: 'question' as const },
      { offsetMs: 9000, title: 'после', kind: 'marker' as const },
    ],
    chat: [message('hello', 500), message('inside', 3000), message('bye', 8000)],
    questions: [
      question('early', 1000, 4000),
      question('early-answered-late', 1500, 8500),
      question('inside', 3500, null),
      question('late', 8500, null),
    ],
    polls: [poll('before', 500, 2500), poll('across', 7000, 9500), poll('after', 8500, 9000)],
    slides: [1, 2, 3, 4].map((page) => ({ offsetMs: [500, 1500, 5000, 8500][page - 1]!, deckId: 'd', page, title: `p${page}` })),
  };

  it('is the timeline unchanged without a cut, for a recording that counts from the live start', () => {
    expect(onCut(timeline, null)).toBe(timeline);
    // Recorded before the origin was stored: its recorder counted from the live start.
    expect(clock(null, null).place(timeline)).toBe(timeline);
  });

  it('moves everything alike onto a recording whose time 0 is after the live start, and its cut after that', () => {
    // Time 0 is 1 s into the session, the cut keeps [1 s, 7 s) of the recording: [2 s, 8 s) of the session.
    const moved = clock({ startSeconds: 1, endSeconds: 7, totalSeconds: 9 }, 1000).place(timeline);
    expect(moved).toEqual(onCut(timeline, { startSeconds: 2, endSeconds: 8, totalSeconds: 10 }));
    // Without a cut: each item 1 s earlier; the chat before time 0 is not on the replay.
    const late = clock(null, 1000).place(timeline);
    expect(late.chat.map((m) => [m.id, m.offsetMs])).toEqual([
      ['inside', 2000],
      ['bye', 7000],
    ]);
    expect(late.chapters.map((c) => c.offsetMs)).toEqual([0, 3000, 8000]);
    expect(late.slides.map((s) => [s.page, s.offsetMs])).toEqual([
      [1, 0],
      [2, 500],
      [3, 4000],
      [4, 7500],
    ]);
    expect(late.polls.map((p) => [p.openedOffsetMs, p.closedOffsetMs])).toEqual([
      [0, 1500],
      [6000, 8500],
      [7500, 8000],
    ]);
  });

  it('places a screen share by the recording’s own times, moved by the cut only', () => {
    expect(clock({ startSeconds: 2, endSeconds: 8, totalSeconds: 10 }, 1000).fromRecording(5000)).toBe(3000);
    expect(clock(null, 1000).fromRecording(5000)).toBe(5000);
  });

  it('counts from the cut’s start and leaves out what was cut away', () => {
    const cut = onCut(timeline, { startSeconds: 2, endSeconds: 8, totalSeconds: 10 });
    expect(cut.chapters).toEqual([{ offsetMs: 2000, title: 'внутри', kind: 'question' }]);
    expect(cut.chat.map((m) => [m.id, m.offsetMs])).toEqual([['inside', 1000]]);
    expect(cut.questions.map((q) => [q.id, q.offsetMs, q.answeringOffsetMs])).toEqual([
      // Asked before the start: shown from the start, its answer where it falls.
      ['early', 0, 2000],
      ['early-answered-late', 0, null],
      ['inside', 1500, null],
    ]);
    // A poll opened before the start shows from it; one that closed after the end, closed at the end.
    expect(cut.polls.map((p) => [p.id, p.openedOffsetMs, p.closedOffsetMs])).toEqual([
      ['before', 0, 500],
      ['across', 5000, 6000],
    ]);
    // The slide showing at the start shows from 0; the one flipped to after the end is left out.
    expect(cut.slides.map((s) => [s.page, s.offsetMs])).toEqual([
      [2, 0],
      [3, 3000],
    ]);
  });
});
