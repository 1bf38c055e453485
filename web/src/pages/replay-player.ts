import { signal } from '@preact/signals';
import type { PlaybackView } from '../../../server/protocol/recordings';
import { api, ApiError } from '../kit/api';
import { attachHls, hlsSupported, type HlsPlayer } from '../hls';
import type { SubtitledPlayer } from '../hls-subtitles';
import { accessToken } from '../session';
import { savedPosition, WatchProgress } from '../watch-progress';

// A recorded seminar (or the live one, a few seconds behind, over HLS), apart from
// its view (replay.tsx): the camera with the lecturer's voice, each screen share
// in step with it, and what the learner watches, sent to the server as heartbeats
// (watch-progress.ts).

export type ReplayState = 'loading' | 'ready' | 'playing' | 'paused' | 'ended' | 'error';

/** Why the recording cannot play: an API refusal, a browser without HLS, or hls.js giving up. */
export type ReplayProblem = { kind: 'api'; error: unknown } | { kind: 'unsupported' } | { kind: 'hls'; code: string };

export interface ReplayElements {
  camera: HTMLVideoElement;
  screen: HTMLVideoElement;
}

export class ReplayPlayer {
  readonly version = signal(0);
  name: ReplayState = 'loading';
  problem: ReplayProblem | undefined;
  playback: PlaybackView | undefined;
  resumeFrom = 0;
  /** "Continue from …" is shown until the learner seeks elsewhere. */
  resumeNotice = true;
  /** The media time when playback first started on this page. */
  startedAt: number | null = null;
  /** The screen share shown now (index into playback.screens), if any. */
  screenIndex = -1;
  /** The subtitle language shown (null: none). */
  subtitleLanguage: string | null = null;

  readonly progress: WatchProgress;
  private mainPlayer: HlsPlayer | SubtitledPlayer | undefined;
  private screenPlayer: { index: number; player: HlsPlayer } | undefined;
  private readonly cleanup: Array<() => void> = [];
  private closed = false;

  constructor(
    readonly seminarId: string,
    private readonly el: ReplayElements,
  ) {
    this.wireControls();
    this.progress = new WatchProgress(el.camera, {
      contentId: seminarId,
      ready: () => this.playback !== undefined,
      durationSeconds: () => {
        const p = this.playback;
        if (!p || p.live) return undefined;
        return p.durationSeconds ?? (Number.isFinite(el.camera.duration) ? el.camera.duration : undefined);
      },
    });
    void this.load();
  }

  /** Sends what was watched and lets go of the players (the page is going). */
  close(): void {
    if (this.closed) return;
    // The app stays: the heartbeat goes by fetch, and the next page ("My learning") waits for it.
    this.progress.close();
    this.closed = true;
    for (const undo of this.cleanup.splice(0)) undo();
    this.dropScreen();
    this.mainPlayer?.destroy();
    this.mainPlayer = undefined;
    this.el.camera.pause();
  }

  /** 'hls.js' or 'native': which engine plays the recording; null before it starts. */
  get engine(): HlsPlayer['engine'] | null {
    return this.mainPlayer?.engine ?? null;
  }

  get live(): boolean {
    return this.playback?.live ?? false;
  }

  /** The length to show: the media's own once known, else the server's figure. */
  get duration(): number {
    const v = this.el.camera;
    return Number.isFinite(v.duration) ? v.duration : (this.playback?.durationSeconds ?? 0);
  }

  togglePlay(): Promise<void> {
    const v = this.el.camera;
    if (v.paused || v.ended) return v.play();
    v.pause();
    return Promise.resolve();
  }

  /** The learner's seek (the seek bar, a chapter): the resume notice has served its purpose. */
  seekTo(seconds: number): void {
    this.resumeNotice = false;
    const v = this.el.camera;
    const end = Number.isFinite(v.duration) ? v.duration : (this.playback?.durationSeconds ?? seconds);
    v.currentTime = Math.max(0, Math.min(seconds, end));
    this.onTime();
  }

  setRate(rate: number): void {
    this.el.camera.playbackRate = rate;
    if (this.screenPlayer) this.el.screen.playbackRate = rate;
    this.changed();
  }

  /** Shows the subtitles in this language, or none. */
  selectSubtitles(language: string | null): void {
    this.subtitleLanguage = language;
    if (this.mainPlayer && 'select' in this.mainPlayer) this.mainPlayer.select(language);
    this.changed();
  }

  /** Jumps to a chapter and plays from there. */
  playFrom(seconds: number): void {
    this.seekTo(seconds);
    void this.el.camera.play().catch(() => undefined);
  }

  private changed(): void {
    this.version.value++;
  }

  private listen<K extends keyof HTMLMediaElementEventMap>(
    target: HTMLMediaElement,
    event: K,
    fn: (e: HTMLMediaElementEventMap[K]) => void,
  ): void {
    target.addEventListener(event, fn);
    this.cleanup.push(() => target.removeEventListener(event, fn));
  }

  private async load(): Promise<void> {
    const id = this.seminarId;
    let playback: PlaybackView;
    try {
      playback = await api<PlaybackView>('GET', `/seminars/${id}/playback`);
    } catch (err) {
      return this.fail({ kind: 'api', error: err });
    }
    if (this.closed) return;
    this.playback = playback;
    this.progress.token = await accessToken();
    if (!playback.live) this.resumeFrom = await savedPosition(id, playback.durationSeconds);
    if (this.closed) return;
    const camera = this.el.camera;
    if (!hlsSupported(camera)) return this.fail({ kind: 'unsupported' });
    if (playback.posterUrl) camera.poster = playback.posterUrl;
    const options = {
      live: playback.live,
      startAt: this.resumeFrom || undefined,
      onFatal: (code: string) => this.fail({ kind: 'hls', code }),
    };
    if (playback.subtitles.length > 0) {
      // Only a recording with subtitles loads the full hls.js.
      const { attachSubtitledHls } = await import('../hls-subtitles');
      if (this.closed) return;
      const player = attachSubtitledHls(camera, playback.playlistUrl, options);
      player.select(this.subtitleLanguage);
      this.mainPlayer = player;
    } else {
      this.mainPlayer = attachHls(camera, playback.playlistUrl, options);
    }
    const onMetadata = () => {
      camera.removeEventListener('loadedmetadata', onMetadata);
      if (this.name === 'loading') this.name = 'ready';
      void camera.play().catch(() => this.changed());
      this.changed();
    };
    this.listen(camera, 'loadedmetadata', onMetadata);
    this.changed();
  }

  private wireControls(): void {
    const v = this.el.camera;
    this.listen(v, 'play', () => this.setState('playing'));
    this.listen(v, 'playing', () => {
      this.startedAt ??= v.currentTime;
      this.setState('playing');
    });
    this.listen(v, 'pause', () => {
      if (!v.ended) this.setState('paused');
    });
    this.listen(v, 'ended', () => {
      this.setState('ended');
      if (this.playback?.live) setTimeout(() => void this.refreshAfterLive(), 1000);
    });
    this.listen(v, 'timeupdate', () => this.onTime());
    this.listen(v, 'seeked', () => this.onTime());
    this.listen(v, 'durationchange', () => this.changed());
    this.listen(v, 'ratechange', () => this.changed());
  }

  private onTime(): void {
    this.syncScreen();
    this.changed();
  }

  /** The screen share that covers main time `now`, kept within a quarter second of it. */
  private syncScreen(): void {
    const p = this.playback;
    if (!p || p.screens.length === 0 || this.closed) return;
    const camera = this.el.camera;
    const now = camera.currentTime;
    let index = -1;
    for (let i = p.screens.length - 1; i >= 0; i--) {
      if (now >= p.screens[i]!.offsetMs / 1000) {
        index = i;
        break;
      }
    }
    const screen = index >= 0 ? p.screens[index]! : undefined;
    const local = screen ? now - screen.offsetMs / 1000 : 0;
    const s = this.el.screen;
    // Past the end of that share's recording: hide it (its duration is known once it has loaded).
    const ended = this.screenPlayer?.index === index && Number.isFinite(s.duration) && local > s.duration + 0.25;
    if (!screen || ended) {
      if (this.screenIndex !== -1) this.screenIndex = -1;
      if (!screen && this.screenPlayer) this.dropScreen();
      return;
    }
    if (this.screenPlayer?.index !== index) {
      this.dropScreen();
      this.screenPlayer = { index, player: attachHls(s, screen.playlistUrl, { live: p.live, startAt: local }) };
      s.playbackRate = camera.playbackRate;
    }
    this.screenIndex = index;
    if (s.readyState >= 1 && Math.abs(s.currentTime - local) > 0.25 && !p.live) s.currentTime = local;
    if (s.playbackRate !== camera.playbackRate) s.playbackRate = camera.playbackRate;
    if (camera.paused && !s.paused) s.pause();
    if (!camera.paused && s.paused) void s.play().catch(() => undefined);
  }

  private dropScreen(): void {
    this.screenPlayer?.player.destroy();
    this.screenPlayer = undefined;
  }

  private async refreshAfterLive(): Promise<void> {
    if (this.closed) return;
    try {
      const playback = await api<PlaybackView>('GET', `/seminars/${this.seminarId}/playback`);
      if (playback.live) return;
      this.playback = { ...playback, live: false };
      this.changed();
    } catch {
      // The recording stays as it played.
    }
  }

  private setState(name: ReplayState): void {
    if (this.name === 'error') return;
    this.name = name;
    this.syncScreen();
    this.changed();
  }

  private fail(problem: ReplayProblem): void {
    this.name = 'error';
    this.problem = problem;
    this.changed();
  }

  /** Whether the problem is that the reader must sign in. */
  get needsSignIn(): boolean {
    return this.problem?.kind === 'api' && this.problem.error instanceof ApiError && this.problem.error.status === 401;
  }
}
