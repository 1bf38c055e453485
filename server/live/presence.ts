/**
 * Per-seminar live state that lives only as long as the room: who is in it,
 * raised hands and who is on stage. Kept in this process; with several nodes
 * each holds its own rooms' state (sockets of one seminar are routed to the
 * node that hosts its room).
 */
export class Presence {
  private readonly viewers = new Map<string, number>();
  readonly hands = new Map<string, string>();
  readonly stage = new Set<string>();
  private lastBroadcast = 0;
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly broadcastCount: (count: number) => void,
    private readonly throttleMs: number,
  ) {}

  enter(peerId: string): void {
    this.viewers.set(peerId, Date.now());
    this.changed();
  }

  leave(peerId: string): void {
    this.viewers.delete(peerId);
    this.changed();
  }

  get count(): number {
    return this.viewers.size;
  }

  /** At most one count per throttle period, and always the latest one. */
  private changed(): void {
    const wait = this.lastBroadcast + this.throttleMs - Date.now();
    if (wait <= 0) {
      this.lastBroadcast = Date.now();
      this.broadcastCount(this.count);
    } else {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.lastBroadcast = Date.now();
        this.broadcastCount(this.count);
      }, wait);
    }
  }

  dispose(): void {
    clearTimeout(this.pending);
  }
}
