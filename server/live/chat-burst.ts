// How often one user may write to a seminar's chat and questions: at most `burst` messages in
// any `windowMs` (a sliding window, so a burst cannot be doubled across a window's edge).
// Users quiet for a window are swept out, at most once a window, when someone writes: the map
// holds only who wrote lately, however many have written since the node started. (A heap diff
// of the soak found one entry kept per user for good, and the old cap cleared everyone's window
// at once when it was reached.)
export class ChatBurst {
  private readonly times = new Map<string, number[]>();
  private sweptAt = 0;

  constructor(
    private readonly burst: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a message by userId at `now` (ms); false, counting nothing, if it is over the limit. */
  take(userId: string, now: number): boolean {
    const recent = (this.times.get(userId) ?? []).filter((t) => t > now - this.windowMs);
    this.sweep(now);
    if (recent.length >= this.burst) {
      this.times.set(userId, recent);
      return false;
    }
    recent.push(now);
    this.times.set(userId, recent);
    return true;
  }

  /** Users remembered now. */
  get size(): number {
    return this.times.size;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < this.windowMs) return;
    this.sweptAt = now;
    for (const [userId, times] of this.times) {
      if (times.at(-1)! <= now - this.windowMs) this.times.delete(userId);
    }
  }
}
