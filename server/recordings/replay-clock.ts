import type { ChatMessage, Question } from '../protocol';
import type { PollResult } from '../protocol/polls';
import type { SlideMoment } from '../slides/service';
import type { Recording } from './model';

// Where a moment of a live seminar sits on its replay. Chat, questions (asked and answered),
// markers, polls and slide changes are stored as offsets from the live start; the replay's 0 is
// the recording's timeline origin (its recorder's, see Recording.timelineOrigin) moved on by the
// start of its cut, and it ends where the cut does. One clock for all of them, so that they
// stay where the video is whatever the recorder or the cut did.

/** A seminar's chat, questions, chapters, polls and slides, each at its offset. */
export interface Timeline {
  chapters: Array<{ offsetMs: number; title: string; kind: 'question' | 'marker' | 'poll' | 'slide' }>;
  chat: ChatMessage[];
  questions: Array<Omit<Question, 'votedByMe'>>;
  polls: PollResult[];
  slides: SlideMoment[];
}

export class ReplayClock {
  private constructor(
    /** Where the replay starts and ends, in milliseconds from the live start. */
    private readonly startMs: number,
    private readonly endMs: number,
    /** Where it starts in milliseconds of the whole recording (the cut's start). */
    private readonly cutStartMs: number,
  ) {}

  /**
   * The clock of a recording's replay: as its lecturer cut it once it is finished (a recording
   * still being written plays whole).
   */
  static of(recording: Pick<Recording, 'status' | 'trim' | 'timelineOrigin'>, liveStartedAt: Date | null): ReplayClock {
    // A recording without a stored origin was recorded against the live start.
    const lead = recording.timelineOrigin && liveStartedAt ? recording.timelineOrigin.getTime() - liveStartedAt.getTime() : 0;
    const trim = recording.status === 'ready' ? recording.trim : null;
    const cutStartMs = trim ? Math.round(trim.startSeconds * 1000) : 0;
    const cutEndMs = trim ? Math.round(trim.endSeconds * 1000) : Number.POSITIVE_INFINITY;
    return new ReplayClock(lead + cutStartMs, lead + cutEndMs, cutStartMs);
  }

  /** A moment `liveOffsetMs` after the live start, as a time of the replay (negative: before it starts). */
  at(liveOffsetMs: number): number {
    return liveOffsetMs - this.startMs;
  }

  /** A time of the whole recording (a screen share's start) as a time of the replay. */
  fromRecording(recordingMs: number): number {
    return recordingMs - this.cutStartMs;
  }

  /** Whether what happened `liveOffsetMs` after the live start is on the replay. */
  plays(liveOffsetMs: number): boolean {
    return liveOffsetMs >= this.startMs && liveOffsetMs < this.endMs;
  }

  /** Whether the replay is the live session's own timeline: nothing moves. */
  get identity(): boolean {
    return this.startMs === 0 && this.endMs === Number.POSITIVE_INFINITY;
  }

  /**
   * The timeline moved onto the replay: chapters and chat outside what plays are left out; a
   * question asked (or a poll opened) before the start shows at 0, with its answer (close)
   * only if that falls within what plays; the slide showing at the start shows from 0.
   */
  place(timeline: Timeline): Timeline {
    if (this.identity) return timeline;
    const end = this.endMs;
    const clamp = (ms: number) => Math.max(0, this.at(ms));
    return {
      chapters: timeline.chapters.filter((c) => this.plays(c.offsetMs)).map((c) => ({ ...c, offsetMs: this.at(c.offsetMs) })),
      chat: timeline.chat.filter((m) => this.plays(m.offsetMs)).map((m) => ({ ...m, offsetMs: this.at(m.offsetMs) })),
      questions: timeline.questions
        .filter((q) => q.offsetMs < end)
        .map((q) => ({
          ...q,
          offsetMs: clamp(q.offsetMs),
          answeringOffsetMs: q.answeringOffsetMs !== null && this.plays(q.answeringOffsetMs) ? this.at(q.answeringOffsetMs) : null,
        })),
      polls: timeline.polls
        .filter((p) => p.openedOffsetMs < end)
        .map((p) => ({
          ...p,
          openedOffsetMs: clamp(p.openedOffsetMs),
          closedOffsetMs: p.closedOffsetMs === null ? null : clamp(Math.min(p.closedOffsetMs, end)),
        })),
      slides: this.slides(timeline.slides),
    };
  }

  /** The slide showing at the start shows from 0; later changes within what plays keep their place. */
  private slides(slides: SlideMoment[]): SlideMoment[] {
    const before = slides.filter((s) => s.offsetMs <= this.startMs).at(-1);
    const within = slides
      .filter((s) => s.offsetMs > this.startMs && s.offsetMs < this.endMs)
      .map((s) => ({ ...s, offsetMs: this.at(s.offsetMs) }));
    return before ? [{ ...before, offsetMs: 0 }, ...within] : within;
  }
}
