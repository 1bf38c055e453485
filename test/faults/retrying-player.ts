import { request } from 'node:http';

/** A heartbeat as a player sends it: everything watched since the page opened. */
export interface Beat {
  contentId: string;
  intervals: Array<[number, number]>;
  position: number;
  durationSeconds: number;
  sentAt: number;
}

/**
 * A player whose page keeps every heartbeat until some Lectern answered it 202, and sends
 * the unanswered ones again (in order, as they were) until one does: the client side of
 * "the progress that clients re-send is complete".
 */
export class RetryingPlayer {
  readonly start: number;
  to: number;
  /** Sent and not yet answered 202, oldest first. */
  readonly unacked: Beat[] = [];
  /** Heartbeats that failed at least once (no answer, or an error status) and were answered 202 later. */
  resent = 0;
  /** Answers other than 202 or a dropped connection: each is a defect. */
  readonly refused: string[] = [];
  private clock = Date.now();

  constructor(
    readonly token: string,
    readonly contentId: string,
    index: number,
  ) {
    this.start = index * 11;
    this.to = this.start;
  }

  /** The next heartbeat: one more second watched. */
  next(): Beat {
    this.to += 1;
    const beat: Beat = {
      contentId: this.contentId,
      intervals: [[this.start, this.to]],
      position: this.to,
      durationSeconds: 20_000,
      sentAt: ++this.clock,
    };
    this.unacked.push(beat);
    return beat;
  }

  /** Sends one heartbeat; true once answered 202. A dropped connection or a 503 leaves it for a retry. */
  async send(baseUrl: string, beat: Beat): Promise<boolean> {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/api/v1/progress/heartbeats`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(beat),
      });
      await res.arrayBuffer();
    } catch {
      return false;
    }
    if (res.status === 202) {
      this.acked(beat);
      return true;
    }
    if (res.status !== 503) this.refused.push(`${res.status} for [${beat.intervals[0]!.join(', ')}]`);
    return false;
  }

  /**
   * Starts a heartbeat and leaves it half sent: its headers and the first half of its body, the
   * rest never comes. Resolves (false) once the connection drops: a Lectern killed now cannot
   * have taken it.
   */
  halfSend(baseUrl: string, beat: Beat): { dropped: Promise<false> } {
    const body = Buffer.from(JSON.stringify(beat));
    const req = request(`${baseUrl}/api/v1/progress/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${this.token}` },
    });
    const dropped = new Promise<false>((resolve) => {
      req.once('error', () => resolve(false));
      req.once('response', (res) => {
        this.refused.push(`${res.statusCode} for a half-sent heartbeat`);
        res.resume();
        resolve(false);
      });
    });
    req.write(body.subarray(0, body.length >> 1));
    return { dropped };
  }

  /** Sends every unanswered heartbeat again, oldest first, until all are answered 202 (or `giveUpAt`). */
  async resendUntilDone(baseUrl: () => string | undefined, giveUpAt: number): Promise<void> {
    while (this.unacked.length > 0 && Date.now() < giveUpAt) {
      const url = baseUrl();
      const beat = this.unacked[0]!;
      if (url && (await this.send(url, beat))) {
        this.resent++;
        continue;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private acked(beat: Beat): void {
    const i = this.unacked.indexOf(beat);
    if (i >= 0) this.unacked.splice(i, 1);
  }
}
