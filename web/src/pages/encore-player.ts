import type { ChatMessage } from '../../../server/protocol/live';
import type { PlaybackView } from '../../../server/protocol/recordings';
import { api } from '../kit/api';
import type { HlsPlayer } from '../hls';
import type { ChatQaStore } from './chat-qa-store';
import { slideAt } from './slide-at';
import type { SlidesStore } from './slides-store';

// An encore on the watch page: the source seminar's recording over HLS, held at the point the
// live clock has reached (now − the encore's live start), so that every viewer sees the same
// moment and nobody seeks ahead; a late joiner lands at that point. The original chat and the
// original's answered questions appear as the playback reaches their offsets, beside the live
// chat of the encore's own room, and the original's slides change where they changed.

/** How far the video may drift from the live point before it is put back (seconds). */
const DRIFT_SECONDS = 2.5;

export class EncorePlayer {
  private player: HlsPlayer | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private chat: ChatMessage[] = [];
  private questions: PlaybackView['questions'] = [];
  private slides: PlaybackView['slides'] = [];
  private revealedUntil = -1;
  private closed = false;

  constructor(
    private readonly seminarId: string,
    private readonly video: HTMLVideoElement,
    private readonly panel: ChatQaStore,
    private readonly slideStore: SlidesStore,
    private readonly changed: () => void,
  ) {}

  /** Where the live clock is in the recording, in seconds (0 before the start). */
  livePoint(liveStartedAt: string): number {
    return Math.max(0, (Date.now() - Date.parse(liveStartedAt)) / 1000);
  }

  /** Plays from the live point; called at every join while the encore is live (a rejoin restarts cleanly). */
  async start(liveStartedAt: string): Promise<void> {
    this.stop();
    const playback = await api<PlaybackView>('GET', `/seminars/${this.seminarId}/playback`);
    if (this.closed) return;
    this.chat = playback.chat.slice().sort((a, b) => a.offsetMs - b.offsetMs);
    this.questions = playback.questions.filter((q) => q.status === 'answered');
    this.slides = playback.slides;
    this.revealedUntil = -1;
    const { attachHls } = await import('../hls');
    if (this.closed) return;
    this.player = attachHls(this.video, playback.playlistUrl, {
      live: false,
      startAt: this.livePoint(liveStartedAt),
    });
    void this.video.play().catch(() => undefined);
    this.timer = setInterval(() => this.follow(liveStartedAt), 500);
    this.follow(liveStartedAt);
    this.changed();
  }

  get playing(): boolean {
    return this.player !== undefined;
  }

  get engine(): string | null {
    return this.player?.engine ?? null;
  }

  /** Position of the video in the recording, in seconds. */
  get position(): number {
    return this.video.currentTime;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.player?.destroy();
    this.player = undefined;
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  /** Keeps the video at the live point, and reveals what the original had said up to it. */
  private follow(liveStartedAt: string): void {
    const point = this.livePoint(liveStartedAt);
    const video = this.video;
    if (video.readyState > 0 && Math.abs(video.currentTime - point) > DRIFT_SECONDS) video.currentTime = point;
    if (video.paused && video.readyState > 2) void video.play().catch(() => undefined);
    // What is revealed follows the picture, not the clock: a buffering video holds the chat back too.
    const shown = Math.min(point, video.readyState > 0 ? video.currentTime : 0) * 1000;
    if (shown <= this.revealedUntil) return;
    const from = this.revealedUntil;
    this.revealedUntil = shown;
    this.slideStore.replay(slideAt(this.slides, shown) ?? null);
    this.panel.replay(
      this.chat.filter((m) => m.offsetMs > from && m.offsetMs <= shown),
      this.questions.filter((q) => q.offsetMs > from && q.offsetMs <= shown),
    );
  }
}
