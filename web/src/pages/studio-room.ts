import { signal } from '@preact/signals';
import type { Device } from 'mediasoup-client';
import type { JoinResult } from '../../../server/protocol/live';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import { LiveError, RoomConnection, type ConnectionState } from '../live';
import { loadDevice, preferredVideoCodec, Publisher, type Source, type StreamStats } from '../media';
import { ChatQaStore } from './chat-qa-store';

// The lecturer's side of a live room, apart from its view (studio.tsx): the
// preview, going live, the screen share, pausing each source, the end; the live
// viewer count and raised hands; the test hooks. The view re-renders when
// `version` moves.

export interface StudioElements {
  camera: HTMLVideoElement;
  screen: HTMLVideoElement;
}

/** Why the camera or microphone could not be opened, as a key of room:media. */
export type MediaProblem = 'denied' | 'notFound' | 'busy' | 'unsupported' | 'other';

function mediaProblem(err: unknown): MediaProblem {
  const name = err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'notFound';
  if (name === 'NotReadableError' || name === 'AbortError') return 'busy';
  if (name === 'TypeError' || !navigator.mediaDevices) return 'unsupported';
  return 'other';
}

export class StudioRoom {
  readonly version = signal(0);
  connection: ConnectionState = { name: 'connecting' };
  join: JoinResult | undefined;
  device: Device | undefined;
  publisher: Publisher | undefined;
  /** The lecturer pressed "go live" and has not ended: rejoins publish again by themselves. */
  broadcasting = false;
  tracks: Partial<Record<Source, MediaStreamTrack>> = {};
  paused: Record<Source, boolean> = { camera: false, mic: false, screen: false };
  viewers = 0;
  /** Joins so far: more than one after a reconnect or a room rebuild. */
  joins = 0;
  readonly hands = new Map<string, string>();
  mediaProblem: MediaProblem | undefined;
  lastStats: StreamStats[] = [];
  readonly panel: ChatQaStore;

  private readonly conn: RoomConnection;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    readonly seminarId: string,
    private readonly el: StudioElements,
  ) {
    const conn: RoomConnection = new RoomConnection(seminarId, {
      joined: (join, generation) => this.onJoined(join, generation),
      state: (s) => this.onState(s),
    });
    this.conn = conn;
    this.panel = new ChatQaStore(conn, true);
    conn.socket.on('room:viewers', ({ count }) => {
      this.viewers = count;
      this.changed();
    });
    conn.socket.on('room:status', ({ status }) => {
      if (this.join) this.join.seminar.status = status;
      if (status === 'ended') this.panel.disable();
      this.changed();
    });
    conn.socket.on('hand:updated', ({ userId, displayName, raised }) => {
      if (raised) this.hands.set(userId, displayName);
      else this.hands.delete(userId);
      this.changed();
    });
    this.statsTimer = setInterval(() => void this.refreshStats(), 2000);
    this.exposeHooks();
    void this.startPreview().then(() => this.changed());
  }

  /** Leaves the room, stops the camera and microphone (the page is going). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    this.conn.close();
    this.stopEverything();
    const w = window as { lectern?: { owner?: unknown } };
    if (w.lectern?.owner === this) delete w.lectern;
  }

  get publishing(): boolean {
    return this.publisher !== undefined && this.publisher.producers.size > 0;
  }

  async goLive(): Promise<void> {
    try {
      const join = this.join;
      if (!join) return;
      if (join.seminar.status !== 'live') {
        await this.conn.request('seminar:go-live', {});
        join.seminar.status = 'live';
      }
      this.broadcasting = true;
      await this.publishAll(this.conn.current);
    } finally {
      this.changed();
    }
  }

  /** Ends the seminar for everyone; `confirmed` asks the lecturer first. */
  async end(confirmed: () => boolean): Promise<void> {
    try {
      if (!confirmed()) return;
      await this.conn.request('seminar:end', {});
    } finally {
      this.changed();
    }
  }

  async toggle(source: Source): Promise<void> {
    try {
      this.paused[source] = !this.paused[source];
      const track = this.tracks[source];
      if (track) track.enabled = !this.paused[source];
      if (this.paused[source]) await this.publisher?.pause(source);
      else await this.publisher?.resume(source);
    } finally {
      this.changed();
    }
  }

  async toggleScreenShare(): Promise<void> {
    try {
      if (this.tracks.screen) return await this.stopScreen();
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) return;
      track.contentHint = 'detail';
      track.addEventListener('ended', () => void this.stopScreen());
      this.tracks.screen = track;
      this.el.screen.srcObject = new MediaStream([track]);
      if (this.publisher) await this.publisher.publish('screen', track, { onEnded: () => void this.stopScreen() });
    } finally {
      this.changed();
    }
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
    if (s.name === 'reconnecting') {
      this.publisher?.close();
      this.publisher = undefined;
    }
    if (s.name === 'ended' || s.name === 'removed' || s.name === 'failed') this.stopEverything();
    this.changed();
  }

  private async onJoined(join: JoinResult, generation: number): Promise<void> {
    if (join.role !== 'lecturer') {
      this.conn.close();
      this.connection = { name: 'failed', error: new LiveError('not_lecturer', 'Not a lecturer of this seminar') };
      this.stopEverything();
      this.changed();
      return;
    }
    this.publisher?.close();
    this.publisher = undefined;
    this.join = join;
    this.viewers = join.viewers;
    this.hands.clear();
    this.device = await loadDevice(join.routerRtpCapabilities);
    this.panel.reset(join);
    if (this.broadcasting && join.seminar.status === 'live') await this.publishAll(generation);
  }

  /** A send transport, and a producer for every source we have. */
  private async publishAll(generation: number): Promise<void> {
    if (!this.device) return;
    this.publisher?.close();
    this.publisher = undefined;
    const publisher = new Publisher(this.conn, this.device, () => this.conn.restart('send transport failed'));
    await publisher.open();
    if (generation !== this.conn.current) return publisher.close();
    this.publisher = publisher;
    for (const source of ['camera', 'mic', 'screen'] as const) {
      const track = this.tracks[source];
      if (track && track.readyState === 'live') {
        await publisher.publish(source, track, {
          paused: this.paused[source],
          ...(source === 'screen' ? { onEnded: () => void this.stopScreen() } : {}),
        });
      }
    }
    this.changed();
  }

  private async stopScreen(): Promise<void> {
    const track = this.tracks.screen;
    delete this.tracks.screen;
    this.paused.screen = false;
    track?.stop();
    this.el.screen.srcObject = null;
    await this.publisher?.unpublish('screen');
    this.changed();
  }

  private async startPreview(): Promise<void> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      if (this.closed) return stream.getTracks().forEach((track) => track.stop());
      this.tracks.camera = stream.getVideoTracks()[0];
      this.tracks.mic = stream.getAudioTracks()[0];
      if (this.tracks.camera) this.el.camera.srcObject = new MediaStream([this.tracks.camera]);
    } catch (err) {
      console.warn(`[studio] no camera or microphone: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      this.mediaProblem = mediaProblem(err);
      toast(t('room:studio.noDevices', { reason: t(`room:media.${this.mediaProblem}`) }));
    }
  }

  private stopEverything(): void {
    this.broadcasting = false;
    this.publisher?.close();
    this.publisher = undefined;
    for (const track of Object.values(this.tracks)) track?.stop();
    this.tracks = {};
    this.el.camera.srcObject = null;
    this.el.screen.srcObject = null;
  }

  private async refreshStats(): Promise<void> {
    this.lastStats = (await this.publisher?.stats().catch(() => [])) ?? [];
    this.changed();
  }

  /** What the end-to-end tests read, instead of scraping the page. */
  private exposeHooks(): void {
    Object.assign(window, {
      lectern: {
        owner: this,
        page: 'studio',
        state: () => this.connection.name,
        joins: () => this.joins,
        status: () => this.join?.seminar.status ?? null,
        viewers: () => this.viewers,
        hands: () => [...this.hands.values()],
        codec: () => (this.device ? (preferredVideoCodec(this.device)?.mimeType ?? null) : null),
        sendCodecs: () => this.device?.sendRtpCapabilities.codecs?.map((c) => c.mimeType) ?? [],
        stats: () => this.publisher?.stats() ?? Promise.resolve([]),
        request: (event: string, payload: unknown) => this.conn.raw(event, payload),
      },
    });
  }
}
