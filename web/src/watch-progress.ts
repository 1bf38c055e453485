import type { ProgressView } from '../../server/protocol/progress';
import { api } from './kit/api';
import { trackLeavingHeartbeat } from './progress-flush';
import { PlayedRanges, type Interval } from './replay-progress';
import { accessToken, hasSession } from './session';

// What a learner watches of a video, sent to the server as heartbeats: every 10 s while
// playing, on pause and at the end, and when the page is hidden, closed or left. One path
// for every recorded video: a seminar's replay (by the seminar's id) and an uploaded lesson
// (by the lesson's id).

const HEARTBEAT_MS = 10_000;

export interface WatchedContent {
  /** The id progress is kept under: a seminar's, or a course lesson's. */
  contentId: string;
  /** Whether there is anything to report yet (the player has what it plays). */
  ready(): boolean;
  /** The video's length to report; undefined while unknown, and for a live stream. */
  durationSeconds(): number | undefined;
}

/** Where the learner stopped last time, if that is worth resuming from (not the very start or end); 0 otherwise. */
export async function savedPosition(contentId: string, durationSeconds: number | null): Promise<number> {
  if (!hasSession()) return 0;
  try {
    const progress = await api<ProgressView>('GET', `/progress/${encodeURIComponent(contentId)}`);
    const duration = durationSeconds ?? Infinity;
    return progress.resumePosition > 1 && progress.resumePosition < duration - 1 ? progress.resumePosition : 0;
  } catch {
    // No progress yet (or not a learner): from the beginning.
    return 0;
  }
}

export class WatchProgress {
  heartbeats = 0;
  lastHeartbeat: { intervals: Interval[]; position: number; ok: boolean } | undefined;
  readonly played = new PlayedRanges();
  /** The access token as last read, so the page-hide heartbeat can be sent synchronously. */
  token: string | null = null;
  private readonly cleanup: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly content: WatchedContent,
  ) {
    this.wire();
  }

  /** The page is going within the app: what was watched goes now, and the next page may wait for it. */
  close(): void {
    if (this.closed) return;
    this.leaving(true);
    this.closed = true;
    for (const undo of this.cleanup.splice(0)) undo();
  }

  private listen<K extends keyof HTMLMediaElementEventMap>(event: K, fn: (e: HTMLMediaElementEventMap[K]) => void): void {
    this.video.addEventListener(event, fn);
    this.cleanup.push(() => this.video.removeEventListener(event, fn));
  }

  private wire(): void {
    const v = this.video;
    this.listen('timeupdate', () => {
      if (!v.paused && !v.seeking) this.played.advance(v.currentTime);
    });
    // Only a seek skips media. A stall or a pause leaves the position where it
    // was, so the span goes on from there when playback does; cutting there
    // would leave a sliver between two time updates counted as unwatched.
    this.listen('seeking', () => this.played.cut());
    // The span starts where playback starts, not at the first time update a
    // quarter second (or, on a busy phone, more) later.
    this.listen('playing', () => {
      if (!v.seeking) this.played.advance(v.currentTime);
    });
    this.listen('pause', () => {
      this.played.advance(v.currentTime);
      void this.heartbeat();
    });
    this.listen('ended', () => void this.heartbeat());
    const timer = setInterval(() => {
      if (!v.paused) void this.heartbeat();
    }, HEARTBEAT_MS);
    const leaving = () => this.leaving();
    const hidden = () => {
      if (document.visibilityState === 'hidden') leaving();
    };
    addEventListener('pagehide', leaving);
    document.addEventListener('visibilitychange', hidden);
    this.cleanup.push(() => {
      clearInterval(timer);
      removeEventListener('pagehide', leaving);
      document.removeEventListener('visibilitychange', hidden);
    });
  }

  /** The page is going (closed, hidden, or left for another route): what was watched goes now. */
  private leaving(withinApp = false): void {
    if (this.closed) return;
    this.played.advance(this.video.currentTime);
    if (withinApp) {
      const sent = this.heartbeat();
      if (sent) trackLeavingHeartbeat(sent);
      return;
    }
    void this.heartbeat(true);
  }

  /**
   * Sends everything watched since the page opened (the server merges, so repeats are harmless).
   * On the way out (`leaving`) it must not wait: navigator.sendBeacon outlives the page; it
   * cannot set headers, so the access token travels in the body. fetch with keepalive is the
   * fallback when the browser refuses the beacon.
   */
  private heartbeat(leaving = false): Promise<void> | undefined {
    const intervals = this.played.intervals();
    if (!hasSession() || intervals.length === 0 || !this.content.ready()) return;
    const duration = this.content.durationSeconds();
    const body = {
      contentId: this.content.contentId,
      intervals,
      position: Math.max(0, Math.min(this.video.currentTime, 24 * 3600)),
      ...(duration && duration > 0 ? { durationSeconds: duration } : {}),
      sentAt: Date.now(),
    };
    this.heartbeats++;
    const send = (token: string | null) =>
      fetch('/api/v1/progress/heartbeats', {
        method: 'POST',
        keepalive: leaving,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      }).then(
        (res) => void (this.lastHeartbeat = { intervals, position: body.position, ok: res.ok }),
        () => void (this.lastHeartbeat = { intervals, position: body.position, ok: false }),
      );
    if (leaving) {
      const beacon = this.token ? new Blob([JSON.stringify({ ...body, accessToken: this.token })], { type: 'application/json' }) : null;
      if (beacon && navigator.sendBeacon('/api/v1/progress/heartbeats', beacon)) {
        this.lastHeartbeat = { intervals, position: body.position, ok: true };
        return;
      }
      void send(this.token);
      return;
    }
    return accessToken().then((token) => {
      this.token = token;
      return send(token);
    });
  }
}
