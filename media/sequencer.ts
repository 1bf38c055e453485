// Which writer's segment plays at each moment of the recording. Pure: it takes the segments
// writers produced and what became of the writers, and answers with actions (list, drop,
// fill, retire) that the Recorder carries out in order. Times are timeline seconds.
//
// Writers come one after another. A newer writer takes over from an older one either at the
// end of its own first segment, a grid point both share (a soft switch: nothing is lost), or
// at a moment the Recorder names (a hard cut: the older one's input went away). Whatever no
// writer covers (the start, a crash, a writer that stalled) becomes black and silence, so the
// recording's timeline stays the live session's.

/** A finished segment of a writer: [start, end) on the timeline. */
export interface OfferedSegment {
  file: string;
  start: number;
  end: number;
}

export type SequencerAction =
  | {
      kind: 'list';
      writer: number;
      file: string;
      start: number;
      duration: number;
      discontinuity: boolean;
      /** The segment holds media past its end here (it was cut short): trim it to this timeline time. */
      trimTo?: number;
    }
  | { kind: 'drop'; writer: number; file: string; reason: 'covered' | 'overlong' }
  | { kind: 'fill'; from: number; to: number; discontinuity: boolean }
  | { kind: 'retire'; writer: number };

interface WriterState {
  id: number;
  state: 'running' | 'stopping' | 'exited';
  pending: OfferedSegment[];
  /** Its segments end here: a newer writer covers what follows. */
  until: number;
  /** Set by a hard cut: the segment across `until` is listed cut short there instead of dropped. */
  truncate: boolean;
  /** Set by the end of the recording: a last segment may run this far past `until` rather than be trimmed. */
  slack?: number;
  /** Given up on: whatever it still writes is dropped. */
  abandoned?: boolean;
  /** The start of its first segment, once known: it covers nothing before. */
  firstStart?: number;
  /** The end of the latest segment it gave: its next one starts there. */
  lastEnd?: number;
  /** From when everything it records flows (timeline), once the Recorder says so. */
  readyAt?: number;
  /** Where it takes over from older writers: the first grid point at or after readyAt it wrote. */
  takeoverAt?: number;
}

const EPS = 0.002;

export class Sequencer {
  private readonly writers: WriterState[] = [];
  private lastSource: string | undefined;
  private endTime: number;

  constructor(
    private readonly segmentSeconds: number,
    /** Where the playlist ends now: 0, or the end of a playlist being continued. */
    start = 0,
    /** A continued playlist: what comes next follows a discontinuity. */
    continued = false,
  ) {
    this.endTime = start;
    this.lastSource = continued ? 'earlier' : undefined;
  }

  /** The end of everything listed (or being filled) so far. */
  get end(): number {
    return this.endTime;
  }

  /**
   * A writer that owes the next moment of the recording while a newer one runs, and whether
   * that newer one has said where it takes over: the Recorder gives it up if it stays silent
   * (it stalled), or at once if it lost its picture and the newer one is ready.
   */
  get waitingOn(): { writer: number; handOverKnown: boolean } | undefined {
    const w = this.responsible();
    if (!w || w.state !== 'running' || !this.writers.some((x) => x.id > w.id)) return undefined;
    return { writer: w.id, handOverKnown: w.until !== Infinity };
  }

  /** The Recorder gave a writer up: its last segment, cut short where need be, is what remains of it. */
  giveUp(id: number): void {
    const w = this.writer(id);
    if (!w) return;
    w.truncate = true;
    if (w.state === 'running') w.state = 'stopping';
  }

  addWriter(id: number): void {
    this.writers.push({ id, state: 'running', pending: [], until: Infinity, truncate: false });
  }

  /**
   * A newer writer replaces this one (what is recorded changed): this one covers the recording
   * up to where the newer one takes over (see ready). Its segment across that point, which may
   * run long when one of its inputs went away, is cut short there (or one step after its start).
   */
  handOver(id: number): void {
    const w = this.writer(id);
    if (w) w.truncate = true;
  }

  /** A writer given up before it took over: nothing of it is used. */
  abandon(id: number): SequencerAction[] {
    const w = this.writer(id);
    if (!w) return [];
    const drops: SequencerAction[] = w.pending.map((s) => ({ kind: 'drop', writer: id, file: s.file, reason: 'covered' }));
    w.pending = [];
    w.abandoned = true;
    return [...drops, ...this.exited(id)];
  }

  /**
   * The writer's part of the recording ends at `at`, whatever it writes after (the end of the
   * recording). A last segment that runs at most `slack` past it is kept whole: what arrived
   * while the end went through is no reason to rewrite a file.
   */
  cut(id: number, at: number, slack = 0): SequencerAction[] {
    const w = this.writer(id);
    if (w) {
      // A writer that already hands over earlier keeps that point.
      if (at < w.until) {
        w.until = Math.max(at, this.endTime);
        w.slack = slack;
      }
      w.truncate = true;
      if (w.state === 'running') w.state = 'stopping';
    }
    return this.pump();
  }

  offer(id: number, segment: OfferedSegment): SequencerAction[] {
    const w = this.writer(id);
    if (!w || w.abandoned) return [{ kind: 'drop', writer: id, file: segment.file, reason: 'covered' }];
    w.firstStart ??= segment.start;
    w.lastEnd = Math.max(w.lastEnd ?? -Infinity, segment.end);
    w.pending.push(segment);
    w.pending.sort((a, b) => a.start - b.start);
    this.takeOver(w);
    return this.pump();
  }

  /** Everything the writer records flows from `at` on: it may take over at its next segment from then. */
  ready(id: number, at: number): SequencerAction[] {
    const w = this.writer(id);
    if (!w) return [];
    w.readyAt = at;
    this.takeOver(w);
    return this.pump();
  }

  /**
   * Soft switch: older writers still running cover everything up to this writer's first
   * segment that starts once all it records flows (its first ones open on a still picture,
   * or lack a sound that came late); those stay in reserve.
   */
  private takeOver(w: WriterState): void {
    if (w.takeoverAt !== undefined || w.readyAt === undefined) return;
    const first = w.pending.find((s) => s.start >= w.readyAt! - EPS);
    if (!first) return;
    w.takeoverAt = first.start;
    for (const older of this.olderThan(w)) {
      if (older.state === 'running' && older.until === Infinity) older.until = Math.max(first.start, this.endTime);
    }
  }

  /** A writer exited: the segments it gave are all it will give. */
  exited(id: number): SequencerAction[] {
    const w = this.writer(id);
    if (!w) return [];
    w.state = 'exited';
    // It was to take over and never got there: the older writers carry on.
    for (const older of this.olderThan(w)) {
      if (older.state === 'running' && older.until === w.takeoverAt && this.endTime < older.until - EPS) {
        older.until = Infinity;
        older.truncate = false;
      }
    }
    return this.pump();
  }

  private writer(id: number): WriterState | undefined {
    return this.writers.find((w) => w.id === id);
  }

  private olderThan(w: WriterState): WriterState[] {
    return this.writers.filter((x) => x.id < w.id);
  }

  private pump(): SequencerAction[] {
    const actions: SequencerAction[] = [];
    for (;;) {
      for (const w of this.writers) {
        while (w.pending[0] && w.pending[0].start < this.endTime - EPS) {
          actions.push({ kind: 'drop', writer: w.id, file: w.pending.shift()!.file, reason: 'covered' });
        }
      }
      // The writer that owes the next moment of the recording, and those older than it.
      const responsible = this.responsible();
      const candidates = this.writers.filter((w) => !responsible || w.id <= responsible.id);
      const atEnd = candidates.find(
        (w) => w.pending[0] && Math.abs(w.pending[0].start - this.endTime) <= EPS && w.pending[0].start < w.until - EPS,
      );
      if (atEnd) {
        actions.push(...this.take(atEnd));
        continue;
      }
      if (!responsible) {
        // Nobody can cover the gap before the next segment any more: black fills it.
        const next = this.earliestAfterEnd();
        if (next) {
          actions.push(...this.fill(this.endTime, next));
          continue;
        }
      }
      break;
    }
    for (const w of this.writers) {
      if (w.state === 'running' && w.until <= this.endTime + EPS) {
        w.state = 'stopping';
        actions.push({ kind: 'retire', writer: w.id });
      }
    }
    for (let i = this.writers.length - 1; i >= 0; i--) {
      const w = this.writers[i]!;
      if (w.state === 'exited' && w.pending.length === 0) this.writers.splice(i, 1);
    }
    return actions;
  }

  /**
   * The writer that owes the next moment: one that may still give a segment starting there.
   * One that has written nothing yet may; one whose segments start later, or whose next one
   * starts past it (segments come in order), cannot.
   */
  private responsible(): WriterState | undefined {
    const end = this.endTime;
    return this.writers.find(
      (w) =>
        w.state !== 'exited' &&
        w.until > end + EPS &&
        (w.firstStart === undefined || (w.firstStart <= end + EPS && (w.lastEnd ?? -Infinity) <= end + EPS)),
    );
  }

  /** Lists (or drops) the writer's segment that starts where the playlist ends. */
  private take(w: WriterState): SequencerAction[] {
    const s = w.pending.shift()!;
    let end = s.end;
    if (w.truncate) {
      // Its last segment, which may run long (its picture stopped, so no grid point came):
      // cut at the hand-over, and never past one step.
      const until = s.end <= w.until + (w.slack ?? 0) + EPS ? Math.max(w.until, s.end) : w.until;
      end = Math.min(s.end, until, s.start + this.segmentSeconds);
    } else if (s.end > w.until + EPS) {
      return [{ kind: 'drop', writer: w.id, file: s.file, reason: 'covered' }];
    }
    const duration = end - s.start;
    if (duration <= EPS) return [{ kind: 'drop', writer: w.id, file: s.file, reason: 'covered' }];
    if (duration > this.segmentSeconds + EPS) {
      // The picture stalled across a grid point: too long for the playlist's target
      // duration. Black of the same length keeps the timeline (rare; logged by the Recorder).
      return [{ kind: 'drop', writer: w.id, file: s.file, reason: 'overlong' }, ...this.fill(s.start, end)];
    }
    const source = `w${w.id}`;
    const discontinuity = this.lastSource !== undefined && this.lastSource !== source;
    this.lastSource = source;
    this.endTime = end;
    return [
      {
        kind: 'list',
        writer: w.id,
        file: s.file,
        start: s.start,
        duration,
        discontinuity,
        ...(s.end > end + EPS ? { trimTo: end } : {}),
      },
    ];
  }

  private earliestAfterEnd(): number | undefined {
    let best: number | undefined;
    for (const w of this.writers) {
      const s = w.pending.find((x) => x.start > this.endTime + EPS && x.start < w.until - EPS);
      if (s && (best === undefined || s.start < best)) best = s.start;
    }
    return best;
  }

  private fill(from: number, to: number): SequencerAction[] {
    if (to - from <= EPS) return [];
    const discontinuity = this.lastSource !== undefined;
    this.endTime = to;
    this.lastSource = 'filler';
    return [{ kind: 'fill', from, to, discontinuity }];
  }

  /** At the very end: nothing more will come, so the playlist ends where the last segment does. */
  finish(): SequencerAction[] {
    for (const w of this.writers) w.state = 'exited';
    return this.pump();
  }
}
