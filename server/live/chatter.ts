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
    this.push(seminarId, [event]);
    if (this.windowMs > 0)
      this.windows.set(seminarId, { pending: [], timer: setTimeout(() => this.windowEnded(seminarId), this.windowMs) });
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
    for (const seminarId of [...this.windows.keys()]) this.flush(seminarId);
  }

  private windowEnded(seminarId: string): void {
    const open = this.windows.get(seminarId);
    if (!open) return;
    if (open.pending.length === 0) {
      this.windows.delete(seminarId);
      return;
    }
    // What was pushed now opens a window of its own, so a steady stream stays at one push per window.
    this.push(seminarId, open.pending);
    open.pending = [];
    open.timer = setTimeout(() => this.windowEnded(seminarId), this.windowMs);
  }
}
