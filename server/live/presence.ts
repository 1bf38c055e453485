import { MAX_PARTICIPANTS_LISTED, type Participant, type Participants, type StageSelf } from '../protocol/live';

/** Who one connection in the room is. */
export interface PresentPerson {
  userId: string | null;
  displayName: string;
  role: 'lecturer' | 'viewer';
}

/** Calls `send` at most once per `throttleMs`, and always once more after the last change. */
class Throttled {
  private last = 0;
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly send: () => void,
    private readonly throttleMs: number,
  ) {}

  changed(): void {
    const wait = this.last + this.throttleMs - Date.now();
    if (wait <= 0) {
      this.last = Date.now();
      this.send();
    } else {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.last = Date.now();
        this.send();
      }, wait);
    }
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
  }
}

/**
 * Per-seminar live state that lives only as long as the room: who is in it,
 * raised hands, invitations, who is on stage and who is muted. Kept in this
 * process; with several nodes each holds its own rooms' state (sockets of one
 * seminar are routed to the node that hosts its room). Users are keyed by id:
 * a user with two tabs has one hand and one place on stage.
 */
export class Presence {
  private readonly people = new Map<string, PresentPerson>();
  private viewerCount = 0;
  /** Raised hands in the order they went up. */
  readonly hands = new Map<string, string>();
  readonly invited = new Map<string, string>();
  readonly stage = new Map<string, string>();
  /** Guests whose microphone the lecturer muted: they cannot resume it until it is lifted. */
  readonly muted = new Set<string>();
  private readonly count$: Throttled;
  private readonly list$: Throttled;

  constructor(broadcastCount: (count: number) => void, broadcastParticipants: (list: Participants) => void, throttleMs: number) {
    this.count$ = new Throttled(() => broadcastCount(this.count), throttleMs);
    this.list$ = new Throttled(() => broadcastParticipants(this.participants()), throttleMs);
  }

  enter(socketId: string, who: PresentPerson): void {
    this.leave(socketId);
    this.people.set(socketId, who);
    if (who.role === 'viewer') {
      this.viewerCount++;
      this.count$.changed();
    }
    this.list$.changed();
  }

  leave(socketId: string): void {
    const who = this.people.get(socketId);
    if (!who) return;
    this.people.delete(socketId);
    if (who.role === 'viewer') {
      this.viewerCount--;
      this.count$.changed();
    }
    this.list$.changed();
  }

  /** Viewers (not lecturers) in the room, by connection. */
  get count(): number {
    return this.viewerCount;
  }

  /** Whether this user still has a connection in the room. */
  isPresent(userId: string): boolean {
    for (const p of this.people.values()) if (p.userId === userId) return true;
    return false;
  }

  self(userId: string): StageSelf {
    return { invited: this.invited.has(userId), onStage: this.stage.has(userId), muted: this.muted.has(userId) };
  }

  /** Something the participant list shows changed (a hand, the stage, a mute): push it, throttled. */
  listChanged(): void {
    this.list$.changed();
  }

  /** Signed-in people once each (hands in raising order, then the stage, invitations, lecturers, the rest by name). */
  participants(): Participants {
    const byUser = new Map<string, Participant>();
    let anonymous = 0;
    for (const p of this.people.values()) {
      if (!p.userId) {
        anonymous++;
        continue;
      }
      const known = byUser.get(p.userId);
      if (known && (known.role === 'lecturer' || p.role === 'viewer')) continue;
      byUser.set(p.userId, {
        userId: p.userId,
        displayName: p.displayName,
        role: p.role,
        hand: this.hands.has(p.userId),
        stage: this.stage.has(p.userId) ? 'on' : this.invited.has(p.userId) ? 'invited' : 'none',
        muted: this.muted.has(p.userId),
      });
    }
    const handOrder = new Map([...this.hands.keys()].map((id, i) => [id, i]));
    const rank = (p: Participant) => (p.hand ? 0 : p.stage === 'on' ? 1 : p.stage === 'invited' ? 2 : p.role === 'lecturer' ? 3 : 4);
    const people = [...byUser.values()].sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (handOrder.get(a.userId) ?? 0) - (handOrder.get(b.userId) ?? 0) ||
        a.displayName.localeCompare(b.displayName, 'ru'),
    );
    return { people: people.slice(0, MAX_PARTICIPANTS_LISTED), more: Math.max(0, people.length - MAX_PARTICIPANTS_LISTED), anonymous };
  }

  dispose(): void {
    this.count$.dispose();
    this.list$.dispose();
  }
}
