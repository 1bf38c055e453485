import { signal } from '@preact/signals';
import type { JoinResult, ProducerInfo } from '../../../server/protocol/live';
import { api } from '../kit/api';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import type { HlsPlayer } from '../hls';
import { RoomConnection, type ConnectionState } from '../live';
import { loadDevice, Subscriber, type StreamStats, type Subscription } from '../media';
import { hasSession, who } from '../session';
import { AudienceStore } from './audience-store';
import { ChatQaStore } from './chat-qa-store';
import { EncorePlayer } from './encore-player';
import { PollsStore } from './polls-store';
import { SlidesStore } from './slides-store';
import { StageSeat } from './stage-seat';
import { guestTiles, type StageTile } from './stage-tiles';

// The viewer's side of a live room, apart from its view (watch.tsx): the room
// connection, the media it receives (the lecturer's camera, or the screen with the
// camera in a corner, and their voice), the live-HLS fallback when every WebRTC
// seat is taken, and the test hooks. The view re-renders when `version` moves.

export interface WatchElements {
  main: HTMLVideoElement;
  pip: HTMLVideoElement;
  audio: HTMLAudioElement;
}

export class WatchRoom {
  readonly version = signal(0);
  connection: ConnectionState = { name: 'connecting' };
  join: JoinResult | undefined;
  handRaised = false;
  viewers = 0;
  /** Joins so far: more than one after a reconnect or a room rebuild. */
  joins = 0;
  needsUnmute = false;
  /** Watching the live HLS stream instead: every WebRTC seat was taken. */
  hls = false;
  hlsTitle: string | undefined;
  /** What the big tile and the corner tile show. */
  main: Subscription | undefined;
  pip: Subscription | undefined;
  /** Guests on stage (user id → name), their tiles, and this viewer's own seat there. */
  stage = new Map<string, string>();
  guests: StageTile[] = [];
  readonly seat: StageSeat;
  /** After the end: the recording can be watched (its replay route). */
  recordingReady = false;
  readonly panel: ChatQaStore;
  readonly polls: PollsStore;
  readonly slides: SlidesStore;
  readonly audience: AudienceStore;
  /** An encore: the source's recording, played in step with the live clock instead of WebRTC media. */
  encore: EncorePlayer | undefined;

  private readonly conn: RoomConnection;
  private subscriber: Subscriber | undefined;
  private hlsPlayer: HlsPlayer | undefined;
  /** Which source each video element shows, so a re-layout only touches what changed. */
  private readonly shown = new Map<HTMLVideoElement, { source: string; track: MediaStreamTrack } | undefined>();
  // Producers announced for a join whose receive transport is not open yet. A rebuilt
  // room can announce the lecturer's new producers before this page's join is answered,
  // while the old room's subscriber is still in place: they wait here for the new one.
  private early: Array<{ info: ProducerInfo; generation: number }> = [];
  private subscriberGeneration = -1;
  private readonly observer: ResizeObserver;
  private closed = false;

  constructor(
    readonly seminarId: string,
    private readonly el: WatchElements,
  ) {
    const conn: RoomConnection = new RoomConnection(seminarId, {
      joined: (join, generation) => this.onJoined(join, generation),
      state: (s) => this.onState(s),
    });
    this.conn = conn;
    this.panel = new ChatQaStore(conn, false);
    this.polls = new PollsStore(conn, false);
    this.slides = new SlidesStore(conn, seminarId, false);
    this.audience = new AudienceStore(conn, false);
    this.seat = new StageSeat(conn, () => this.layout());

    conn.socket.on('room:producer-added', (p) => this.consume(p, conn.current));
    conn.socket.on('room:producer-closed', ({ producerId }) => {
      this.subscriber?.remove({ producerId });
      this.layout();
    });
    conn.socket.on('room:consumer-closed', ({ consumerId }) => {
      this.subscriber?.remove({ consumerId });
      this.layout();
    });
    conn.socket.on('room:producer-paused', ({ producerId, paused }) => {
      const sub = this.subscriber?.subscriptions.get(producerId);
      if (sub) sub.info = { ...sub.info, paused };
      this.layout();
    });
    conn.socket.on('room:viewers', ({ count }) => {
      this.viewers = count;
      this.changed();
    });
    conn.socket.on('room:status', ({ status }) => {
      // An encore going on air: a fresh join brings its live start, where playback begins.
      if (this.join?.seminar.encoreOf && status === 'live' && this.join.seminar.status !== 'live') conn.restart('encore on air');
      if (this.join) this.join.seminar.status = status;
      this.changed();
    });
    conn.socket.on('stage:updated', ({ userId, displayName, onStage }) => {
      if (onStage) this.stage.set(userId, displayName);
      else this.stage.delete(userId);
      this.layout();
    });
    // The lecturer may lower this viewer's hand.
    conn.socket.on('hand:updated', ({ userId, raised }) => {
      if (userId !== who.value?.userId || raised === this.handRaised) return;
      this.handRaised = raised;
      this.changed();
    });

    // The server sends the simulcast layer that fits the size the video is shown at.
    this.observer = new ResizeObserver(() => this.reportSizes());
    this.observer.observe(el.main);
    this.observer.observe(el.pip);
    this.exposeHooks();
  }

  /** Leaves the room and lets go of every stream (the page is going). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.close();
    this.observer.disconnect();
    this.seat.close();
    this.audience.close();
    this.dropMedia();
    this.stopHls();
    this.encore?.close();
    const w = window as { lectern?: { owner?: unknown } };
    if (w.lectern?.owner === this) delete w.lectern;
  }

  async toggleHand(): Promise<void> {
    try {
      await this.conn.request('hand:raise', { raised: !this.handRaised });
      this.handRaised = !this.handRaised;
    } finally {
      this.changed();
    }
  }

  async unmute(): Promise<void> {
    try {
      if (this.hls || this.encore) this.el.main.muted = false;
      else await this.el.audio.play();
      this.needsUnmute = false;
    } finally {
      this.changed();
    }
  }

  async register(): Promise<void> {
    await api('PUT', `/seminars/${this.seminarId}/registration`);
    location.reload();
  }

  private changed(): void {
    this.version.value++;
  }

  private onState(s: ConnectionState): void {
    this.connection = s;
    if (s.name === 'joined') {
      this.join = s.join;
      this.joins++;
    }
    if (s.name !== 'joined' && s.name !== 'connecting') {
      this.dropMedia();
      this.seat.dropped();
    }
    if (s.name === 'ended' || s.name === 'removed' || s.name === 'failed') {
      this.seat.close();
      this.encore?.stop();
    }
    // Ended while watching, or opened after the end: the recording follows.
    if ((s.name === 'ended' && !this.hls) || (s.name === 'failed' && s.error.code === 'seminar_over')) void this.awaitRecording();
    if (s.name === 'ended' || s.name === 'removed' || s.name === 'failed') this.panel.disable();
    if (s.name === 'ended' && this.hls) this.stopHls();
    if (s.name === 'failed' && s.error.code === 'seats_full') void this.watchHls();
    this.changed();
  }

  private consume(info: ProducerInfo, generation: number): void {
    // What this page sends on stage it shows from its own tracks.
    if (generation !== this.conn.current || info.peerId === this.join?.peerId) return;
    const subscriber = this.subscriberGeneration === generation ? this.subscriber : undefined;
    if (!subscriber) return void this.early.push({ info, generation });
    subscriber.consume(info).then(
      () => this.layout(),
      (err: unknown) => {
        if (generation === this.conn.current) toast(errorText(err));
      },
    );
  }

  private async onJoined(join: JoinResult, generation: number): Promise<void> {
    this.dropMedia();
    this.early = this.early.filter((e) => e.generation === generation);
    this.join = join;
    this.viewers = join.viewers;
    this.handRaised = false;
    this.stage = new Map(join.stage.map((m) => [m.userId, m.displayName]));
    this.panel.reset(join);
    void this.polls.reload().catch((err: unknown) => toast(errorText(err)));
    void this.slides.reload().catch((err: unknown) => toast(errorText(err)));
    this.audience.joined(join);
    if (join.seminar.encoreOf) return this.playEncore(join);
    const device = await loadDevice(join.routerRtpCapabilities);
    if (generation === this.conn.current) this.seat.joined(join, device, generation);
    const subscriber = new Subscriber(this.conn, device, () => this.conn.restart('receive transport failed'));
    if (generation !== this.conn.current) return;
    this.subscriber = subscriber;
    await subscriber.open();
    this.subscriberGeneration = generation;
    // The subscriber skips a producer it already consumes, so one both listed and announced is consumed once.
    for (const p of [...join.producers, ...this.early.map((e) => e.info)]) this.consume(p, generation);
    this.early = [];
  }

  private async playEncore(join: JoinResult): Promise<void> {
    this.encore ??= new EncorePlayer(this.seminarId, this.el.main, this.panel, this.slides, () => this.changed());
    if (join.seminar.status !== 'live' || !join.seminar.liveStartedAt) return;
    this.needsUnmute = this.el.main.muted;
    await this.encore.start(join.seminar.liveStartedAt).catch((err: unknown) => toast(errorText(err)));
  }

  private reportSizes(): void {
    for (const video of [this.el.main, this.el.pip]) {
      const current = this.shown.get(video);
      const sub = current && [...(this.subscriber?.subscriptions.values() ?? [])].find((s) => s.track === current.track);
      if (sub && video.clientHeight > 0) {
        void this.subscriber?.preferSize(sub.info.producerId, video.clientWidth * devicePixelRatio, video.clientHeight * devicePixelRatio);
      }
    }
  }

  /**
   * The lecturer's screen big and camera in the corner, or the camera big; their microphone to the
   * audio element. Guests on stage get tiles of their own, with their own audio.
   */
  private layout(): void {
    const all = [...(this.subscriber?.subscriptions.values() ?? [])];
    const subs = all.filter((s) => !this.stage.has(s.info.userId ?? ''));
    const me = who.value?.userId;
    this.guests = guestTiles(this.stage, all).map((tile) =>
      tile.userId === me
        ? {
            ...tile,
            self: true,
            ...(this.seat.tracks.camera ? { video: this.seat.tracks.camera } : {}),
            videoOff: this.seat.off.camera || !this.seat.live,
            micOff: this.seat.off.mic || !this.seat.live,
          }
        : tile,
    );
    const of = (source: string) => subs.find((s) => s.info.source === source);
    const camera = of('camera');
    const screen = of('screen');
    const mic = of('mic');
    this.main = screen ?? camera;
    this.pip = screen ? camera : undefined;
    this.show(this.el.main, this.main);
    this.show(this.el.pip, this.pip);
    const audio = this.el.audio;
    const audioTrack = (audio.srcObject as MediaStream | null)?.getAudioTracks()[0];
    if (mic?.track !== audioTrack) {
      audio.srcObject = mic ? new MediaStream([mic.track]) : null;
      if (mic) {
        audio
          .play()
          .then(
            () => (this.needsUnmute = false),
            () => (this.needsUnmute = true),
          )
          .finally(() => this.changed());
      }
    }
    this.changed();
    this.reportSizes();
  }

  private show(video: HTMLVideoElement, sub: Subscription | undefined): void {
    const current = this.shown.get(video);
    if (current?.track === sub?.track) return;
    this.shown.set(video, sub ? { source: sub.info.source, track: sub.track } : undefined);
    video.srcObject = sub ? new MediaStream([sub.track]) : null;
    if (sub) void video.play().catch(() => undefined);
  }

  private dropMedia(): void {
    this.subscriber?.close();
    this.subscriber = undefined;
    this.main = undefined;
    this.pip = undefined;
    this.show(this.el.main, undefined);
    this.show(this.el.pip, undefined);
    this.el.audio.srcObject = null;
  }

  /**
   * The seminar's live HLS in the main video: hls.js with low-latency settings (the browser's
   * own HLS where there is no Media Source Extensions). The label says it runs a few seconds behind.
   */
  private async watchHls(): Promise<void> {
    if (this.hlsPlayer) return;
    const video = this.el.main;
    try {
      // Loaded only here: most viewers never need it.
      const { attachHls, hlsSupported } = await import('../hls');
      if (!hlsSupported(video) || this.closed) return;
      const playback = await api<{ playlistUrl: string; title: string; live: boolean }>('GET', `/seminars/${this.seminarId}/playback`);
      if (this.closed) return;
      this.hls = true;
      this.hlsTitle = playback.title;
      this.needsUnmute = true;
      // The playlist gets its end mark when the seminar ends.
      video.addEventListener(
        'ended',
        () => {
          this.connection = { name: 'ended' };
          this.stopHls();
          void this.awaitRecording();
          this.changed();
        },
        { once: true },
      );
      this.hlsPlayer = attachHls(video, playback.playlistUrl, {
        live: true,
        onFatal: (code) => toast(t('room:watch.hlsFailed', { code })),
      });
      void video.play().catch(() => undefined);
    } catch (err) {
      toast(errorText(err));
    }
    this.changed();
  }

  /** After the end, the recording is finalized within seconds: then the page links to its replay. */
  private async awaitRecording(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!this.closed && Date.now() < deadline) {
      try {
        const playback = await api<{ live: boolean }>('GET', `/seminars/${this.seminarId}/playback`);
        if (!playback.live) {
          this.recordingReady = true;
          this.changed();
          return;
        }
      } catch (err) {
        // Not allowed to watch it (or no session for a private seminar): no link. Not there yet: wait.
        const status = (err as { status?: number }).status;
        if (status === 401 || status === 403 || (!hasSession() && status !== 404)) return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  private stopHls(): void {
    this.hlsPlayer?.destroy();
    this.hlsPlayer = undefined;
  }

  /** What the end-to-end tests read, instead of scraping the page. */
  private exposeHooks(): void {
    Object.assign(window, {
      lectern: {
        owner: this,
        page: 'watch',
        state: () => this.connection.name,
        joins: () => this.joins,
        status: () => this.join?.seminar.status ?? null,
        viewers: () => this.viewers,
        handRaised: () => this.handRaised,
        /** This viewer's invitation, stage and mute, and whether it is sending. */
        stage: () => ({ ...this.seat.self, live: this.seat.live, micOff: this.seat.off.mic }),
        stageProducerIds: () => this.seat.producerIds(),
        stageStats: () => this.seat.stats(),
        guests: () => this.guests.map((g) => ({ userId: g.userId, name: g.name, self: g.self, video: !!g.video, micOff: g.micOff })),
        recordingReady: () => this.recordingReady,
        /** 'hls.js' or 'native' while watching the live HLS (every WebRTC seat taken), else null. */
        hls: () => this.hlsPlayer?.engine ?? null,
        /** An encore's playback: whether it plays, where in the recording (seconds), and the ids of the original's entries shown. */
        encore: () =>
          this.encore ? { playing: this.encore.playing, position: this.encore.position, replayed: [...this.panel.replayed] } : null,
        /** Per received stream: source, codec, packets, bytes, framesDecoded (as frames) and frame size. */
        stats: (): Promise<StreamStats[]> => this.subscriber?.stats() ?? Promise.resolve([]),
        /** ICE restarts of the current receive transport (recovery after a network change). */
        iceRestarts: () => this.subscriber?.iceRestarts ?? 0,
        request: (event: string, payload: unknown) => this.conn.raw(event, payload),
        /** Reaction updates received (time, total), and the open presence check. */
        audience: () => ({ received: [...this.audience.received], check: this.audience.check?.checkId ?? null }),
      },
    });
  }
}
