import type { RoomChatter } from '../protocol/live';

/**
 * A room's chatter (chat, questions, votes, hands), pushed as `room:batch`: the first event
 * after a quiet spell goes out at once, and what follows within `windowMs` goes together at
 * the window's end. Every push is one WebSocket frame per socket, and at 2,000 viewers those
 * writes, on the server and in every phone, are what a busy room costs, not the events'
 * bytes; so at 20 chat messages a second a room gets at most 1000 / windowMs pushes a
 * second, each a little later (at most `windowMs`) than alone, and a quiet room's
 * messages none later.
 */
export class ChatterBatcher {
  /** Per room, while its window is open: what waits for the window's end. */
  private readonly windows = new Map<string, { pending: RoomChatter[]; timer: NodeJS.Timeout }>();
  /** After close(), what still comes (a leaving socket's hand) goes at once, and no window opens. */
  private closed = false;

  constructor(
    private readonly push: (seminarId: string, events: RoomChatter[]) => void,
    private readonly windowMs: number,
  ) {}

  add(seminarId: string, event: RoomChatter): void {
    const open = this.windows.get(seminarId);
    if (open) {
      open.pending.push(event);
      return;
    }
    if (this.windowMs > 0 && !this.closed) this.windows.set(seminarId, { pending: [], timer: this.timer(seminarId) });
    this.push(seminarId, [event]);
  }

  /** Pushes what waits now, so that a status change (ended) reaches the room after it. */
  flush(seminarId: string): void {
    const open = this.windows.get(seminarId);
    if (!open) return;
    clearTimeout(open.timer);
    this.windows.delete(seminarId);
    if (open.pending.length > 0) this.push(seminarId, open.pending);
  }

  close(): void {
    this.closed = true;
    for (const seminarId of [...this.windows.keys()]) this.flush(seminarId);
  }

  private timer(seminarId: string): NodeJS.Timeout {
    return setTimeout(() => this.windowEnded(seminarId), this.windowMs).unref();
  }

  private windowEnded(seminarId: string): void {
    const open = this.windows.get(seminarId);
    if (!open) return;
    if (open.pending.length === 0) {
      this.windows.delete(seminarId);
      return;
    }
    // What is pushed now opens a window of its own, so a steady stream stays at one push per
    // window. The window is set before the push, so a push that throws cannot hold the room's
    // later events back for good: they go at the next window's end.
    const events = open.pending;
    open.pending = [];
    open.timer = this.timer(seminarId);
    this.push(seminarId, events);
  }
}
