import { signal } from '@preact/signals';
import type { JoinResult } from '../../../server/protocol/live';
import { presenceState, type PresenceCheckResult, type PresenceCheckView } from '../../../server/protocol/presence-checks';
import type { ReactionCounts, ReactionKind } from '../../../server/protocol/reactions';
import { LiveError, type RoomConnection } from '../live';

/** One overlay on the video: a kind, how many it stands for, and where it floats up. */
export interface Bubble {
  id: number;
  kind: ReactionKind;
  count: number;
  /** Horizontal position, percent of the video's width. */
  left: number;
}

/** How long a bubble stays (its CSS animation's length). */
export const BUBBLE_MS = 2400;
/** Bubbles on screen at once: a burst from a big room shows as counts, not as a blizzard. */
const MAX_BUBBLES = 24;

/**
 * Reactions and presence checks of a live room, on the watch page (send reactions, answer
 * "Are you here?") and in the studio (see reactions, ask, schedule). The views
 * (reactions.tsx, presence-check.tsx) re-render when `version` moves.
 */
export class AudienceStore {
  readonly version = signal(0);
  bubbles: Bubble[] = [];
  /** The open check, and whether this viewer confirmed it. */
  check: PresenceCheckView | null = null;
  /** Local time the open check closes: the server's window counted from when it arrived. */
  checkEndsAt = 0;
  confirmed = false;
  /** Studio: the schedule (minutes, or null) and the last check's result. */
  everyMinutes: number | null = null;
  lastResult: PresenceCheckResult | null = null;
  /** Received updates (time, total): the end-to-end tests measure their rate. */
  readonly received: Array<{ at: number; total: number }> = [];
  private nextId = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private checkTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly conn: RoomConnection,
    readonly moderator: boolean,
  ) {
    conn.socket.on('reaction:burst', ({ counts }) => this.show(counts));
    conn.socket.on('presence:check', (check) => this.open(check, true));
    conn.socket.on('presence:result', (result) => {
      this.lastResult = result;
      this.changed();
    });
    conn.socket.on('presence:schedule', ({ everyMinutes }) => {
      this.everyMinutes = everyMinutes;
      this.changed();
    });
  }

  /** After each (re)join: the schedule and a check that opened before this page came. */
  joined(join: JoinResult): void {
    if (join.seminar.status === 'ended' || join.seminar.status === 'cancelled') return;
    this.conn.raw('presence:state', {}).then(
      (ack) => {
        if (!ack.ok) return;
        const state = presenceState.parse(ack.data);
        this.everyMinutes = state.everyMinutes;
        if (state.open && state.open.checkId !== this.check?.checkId) this.open(state.open, false);
        this.changed();
      },
      () => undefined,
    );
  }

  async react(kind: ReactionKind): Promise<void> {
    await this.conn.request('reaction:send', { kind });
  }

  async confirm(): Promise<void> {
    if (!this.check) return;
    try {
      await this.conn.request('presence:confirm', { checkId: this.check.checkId });
    } catch (err) {
      // Confirmed from another tab of the same account: that counts.
      if (!(err instanceof LiveError && err.code === 'already_confirmed')) throw err;
    }
    this.confirmed = true;
    this.changed();
  }

  async ask(): Promise<void> {
    await this.conn.request('presence:ask', {});
    this.lastResult = null;
    this.changed();
  }

  async schedule(everyMinutes: number | null): Promise<void> {
    await this.conn.request('presence:schedule', { everyMinutes });
    this.everyMinutes = everyMinutes;
    this.changed();
  }

  /** Seconds left to confirm the open check (0 when none). */
  secondsLeft(): number {
    return this.check ? Math.max(0, Math.ceil((this.checkEndsAt - Date.now()) / 1000)) : 0;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.checkTimer);
  }

  private show(counts: ReactionCounts): void {
    let total = 0;
    for (const [kind, count] of Object.entries(counts) as Array<[ReactionKind, number]>) {
      total += count;
      const bubble: Bubble = { id: this.nextId++, kind, count, left: 8 + Math.random() * 80 };
      this.bubbles = [...this.bubbles, bubble].slice(-MAX_BUBBLES);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.bubbles = this.bubbles.filter((b) => b.id !== bubble.id);
        this.changed();
      }, BUBBLE_MS);
      this.timers.add(timer);
    }
    this.received.push({ at: Date.now(), total });
    if (this.received.length > 500) this.received.splice(0, this.received.length - 500);
    this.changed();
  }

  /** `fresh`: pushed as it was asked, so its whole window is left (counted here: this machine's clock may be wrong). */
  private open(check: PresenceCheckView, fresh: boolean): void {
    if (this.moderator) return;
    this.check = check;
    this.confirmed = false;
    const left = fresh ? check.windowMs : Math.min(check.windowMs, Math.max(0, Date.parse(check.closesAt) - Date.now()));
    this.checkEndsAt = Date.now() + left;
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      this.check = null;
      this.changed();
    }, left);
    this.changed();
  }

  private changed(): void {
    this.version.value++;
  }
}
