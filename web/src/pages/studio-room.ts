import { signal } from '@preact/signals';
import type { Device } from 'mediasoup-client';
import type { JoinResult, ProducerInfo } from '../../../server/protocol/live';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { announce, toast } from '../kit/toast';
import { LiveError, RoomConnection, type ConnectionState } from '../live';
import {
  deviceOf,
  listDevices,
  mediaProblem,
  MicLevel,
  openBoth,
  openDevice,
  type DeviceChoice,
  type DeviceKind,
  type MediaProblem,
} from '../local-media';
import { loadDevice, preferredVideoCodec, Publisher, Subscriber, type Source, type StreamStats } from '../media';
import { uplinkHealth, uplinkSample, type UplinkHealth, type UplinkProblem, type UplinkSample } from '../uplink';
import { AudienceStore } from './audience-store';
import { ChatQaStore } from './chat-qa-store';
import { PollsStore } from './polls-store';
import { SlidesStore } from './slides-store';
import { ParticipantsStore } from './participants-store';
import { guestTiles, type StageTile } from './stage-tiles';

// The lecturer's side of a live room, apart from its view (studio.tsx): the
// preview and its devices, going live, the screen share, pausing each source, the
// end; the viewer count, the participant list and the guests on stage; the uplink's
// health; the test hooks. The view re-renders when `version` moves.

export type { MediaProblem };

export interface StudioElements {
  camera: HTMLVideoElement;
  screen: HTMLVideoElement;
}

export class StudioRoom {
  readonly version = signal(0);
  /** The microphone's level, 0–1: a signal of its own, so only the meter re-renders ten times a second. */
  readonly level = signal(0);
  connection: ConnectionState = { name: 'connecting' };
  join: JoinResult | undefined;
  device: Device | undefined;
  publisher: Publisher | undefined;
  /** The lecturer pressed "go live" and has not ended: rejoins publish again by themselves. */
  broadcasting = false;
  tracks: Partial<Record<Source, MediaStreamTrack>> = {};
  paused: Record<Source, boolean> = { camera: false, mic: false, screen: false };
  devices: Record<DeviceKind, DeviceChoice[]> = { camera: [], mic: [] };
  viewers = 0;
  /** Joins so far: more than one after a reconnect or a room rebuild. */
  joins = 0;
  readonly hands = new Map<string, string>();
  /** Guests on stage (user id → name) and their tiles. */
  stage = new Map<string, string>();
  guests: StageTile[] = [];
  mediaProblem: MediaProblem | undefined;
  lastStats: StreamStats[] = [];
  /** Chapter markers added from this page. */
  markers = 0;
  /** When the broadcast went on air (epoch ms), for the elapsed time. */
  liveSince: number | undefined;
  uplink: UplinkHealth | undefined;
  /** Uplink problems seen in two samples running (one alone is often a blip). */
  uplinkProblems: UplinkProblem[] = [];
  readonly panel: ChatQaStore;
  readonly polls: PollsStore;
  readonly slides: SlidesStore;
  readonly audience: AudienceStore;
  readonly participants: ParticipantsStore;

  private readonly conn: RoomConnection;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private guestFeed: { subscriber: Subscriber; generation: number } | undefined;
  private meter: MicLevel | undefined;
  private lastSample: UplinkSample | undefined;
  private pendingProblems: UplinkProblem[] = [];
  private readonly onDeviceChange = () => void this.refreshDevices();
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
    this.polls = new PollsStore(conn, true);
    this.slides = new SlidesStore(conn, seminarId, true);
    this.audience = new AudienceStore(conn, true);
    this.participants = new ParticipantsStore(conn);
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
    conn.socket.on('stage:updated', ({ userId, displayName, onStage }) => {
      if (onStage) this.stage.set(userId, displayName);
      else this.stage.delete(userId);
      this.layoutGuests();
    });
    conn.socket.on('room:producer-added', (p) => this.consumeGuest(p, conn.current));
    conn.socket.on('room:producer-closed', ({ producerId }) => {
      this.guestFeed?.subscriber.remove({ producerId });
      this.layoutGuests();
    });
    conn.socket.on('room:consumer-closed', ({ consumerId }) => {
      this.guestFeed?.subscriber.remove({ consumerId });
      this.layoutGuests();
    });
    conn.socket.on('room:producer-paused', ({ producerId, paused }) => {
      const sub = this.guestFeed?.subscriber.subscriptions.get(producerId);
      if (sub) sub.info = { ...sub.info, paused };
      this.layoutGuests();
    });
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    this.statsTimer = setInterval(() => void this.refreshStats(), 2000);
    this.exposeHooks();
    void this.startPreview().then(() => this.changed());
  }

  /** Leaves the room, stops the camera and microphone (the page is going). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    this.conn.close();
    this.audience.close();
    this.stopEverything();
    const w = window as { lectern?: { owner?: unknown } };
    if (w.lectern?.owner === this) delete w.lectern;
  }

  get publishing(): boolean {
    return this.publisher !== undefined && this.publisher.producers.size > 0;
  }

  /** On air and sending: what the "on air · recording" indicator shows. */
  get onAir(): boolean {
    return this.connection.name === 'joined' && this.join?.seminar.status === 'live' && this.publishing;
  }

  async goLive(): Promise<void> {
    try {
      const join = this.join;
      if (!join) return;
      if (join.seminar.status !== 'live') {
        await this.conn.request('seminar:go-live', {});
        join.seminar.status = 'live';
        this.liveSince ??= Date.now();
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
      await this.conn.endSeminar();
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

  /**
   * Another camera or microphone: the new track goes into the same producer
   * (RTCRtpSender.replaceTrack, no renegotiation), so viewers keep their consumers.
   */
  async switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    try {
      const old = this.tracks[kind];
      if (deviceOf(old) === deviceId && old?.readyState === 'live') return;
      const track = await openDevice(kind, deviceId);
      if (this.closed) return track.stop();
      track.enabled = !this.paused[kind];
      await this.publisher?.producers.get(kind)?.replaceTrack({ track });
      this.tracks[kind] = track;
      old?.stop();
      if (kind === 'camera') this.el.camera.srcObject = new MediaStream([track]);
      else this.startMeter();
      this.mediaProblem = undefined;
    } catch (err) {
      toast(t('room:studio.noDevices', { reason: t(`room:media.${mediaProblem(err)}`) }));
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

  /** A chapter of the recording from this moment. */
  async addMarker(label: string): Promise<void> {
    await this.conn.request('marker:add', { label });
    this.markers++;
    const elapsed = this.liveSince ? Math.floor((Date.now() - this.liveSince) / 1000) : 0;
    announce(t('room:studio.markerAdded', { label, time: `${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}` }));
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
      this.dropGuests();
    }
    if (s.name === 'ended' || s.name === 'removed' || s.name === 'failed') {
      this.stopEverything();
      this.participants.clear();
    }
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
    this.dropGuests();
    this.join = join;
    this.viewers = join.viewers;
    if (join.seminar.liveStartedAt) this.liveSince = Date.parse(join.seminar.liveStartedAt);
    this.hands.clear();
    this.stage = new Map(join.stage.map((m) => [m.userId, m.displayName]));
    this.device = await loadDevice(join.routerRtpCapabilities);
    this.panel.reset(join);
    void this.polls.reload().catch((err: unknown) => toast(errorText(err)));
    void this.slides.reload().catch((err: unknown) => toast(errorText(err)));
    this.audience.joined(join);
    void this.participants.refresh().catch((err: unknown) => toast(errorText(err)));
    this.guestFeed = {
      subscriber: new Subscriber(this.conn, this.device, () => this.conn.restart('receive transport failed')),
      generation,
    };
    for (const p of join.producers) this.consumeGuest(p, generation);
    if (this.broadcasting && join.seminar.status === 'live') await this.publishAll(generation);
  }

  /** A guest's camera or microphone (never the studio's own), for the stage tiles. */
  private consumeGuest(info: ProducerInfo, generation: number): void {
    const feed = this.guestFeed;
    if (!feed || feed.generation !== generation || info.peerId === this.join?.peerId || !this.stage.has(info.userId ?? '')) return;
    feed.subscriber.consume(info).then(
      () => this.layoutGuests(),
      (err: unknown) => {
        if (generation === this.conn.current) toast(errorText(err));
      },
    );
  }

  private layoutGuests(): void {
    this.guests = guestTiles(this.stage, [...(this.guestFeed?.subscriber.subscriptions.values() ?? [])]);
    this.changed();
  }

  private dropGuests(): void {
    this.guestFeed?.subscriber.close();
    this.guestFeed = undefined;
    this.guests = [];
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
      const tracks = await openBoth();
      if (this.closed) return Object.values(tracks).forEach((track) => track.stop());
      this.tracks.camera = tracks.camera;
      this.tracks.mic = tracks.mic;
      if (this.tracks.camera) this.el.camera.srcObject = new MediaStream([this.tracks.camera]);
      this.startMeter();
      await this.refreshDevices();
    } catch (err) {
      console.warn(`[studio] no camera or microphone: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      this.mediaProblem = mediaProblem(err);
      toast(t('room:studio.noDevices', { reason: t(`room:media.${this.mediaProblem}`) }));
    }
  }

  private async refreshDevices(): Promise<void> {
    this.devices = await listDevices().catch(() => ({ camera: [], mic: [] }));
    this.changed();
  }

  private startMeter(): void {
    this.meter?.close();
    this.meter = this.tracks.mic ? new MicLevel(this.tracks.mic, (level) => (this.level.value = level)) : undefined;
  }

  private stopEverything(): void {
    this.broadcasting = false;
    this.publisher?.close();
    this.publisher = undefined;
    this.dropGuests();
    this.meter?.close();
    this.meter = undefined;
    this.level.value = 0;
    for (const track of Object.values(this.tracks)) track?.stop();
    this.tracks = {};
    this.el.camera.srcObject = null;
    this.el.screen.srcObject = null;
  }

  private async refreshStats(): Promise<void> {
    this.lastStats = (await this.publisher?.stats().catch(() => [])) ?? [];
    await this.checkUplink();
    this.changed();
  }

  /** The camera's and microphone's senders, sampled every two seconds while they send. */
  private async checkUplink(): Promise<void> {
    const producers = (['camera', 'mic'] as const).map((s) => this.publisher?.producers.get(s)).filter((p) => p !== undefined);
    if (producers.length === 0 || this.paused.camera) {
      this.lastSample = undefined;
      this.uplink = undefined;
      this.uplinkProblems = this.pendingProblems = [];
      return;
    }
    const reports = await Promise.all(producers.map((p) => p.getStats().catch(() => undefined)));
    const entries = reports.flatMap((r) => (r ? [...(r as unknown as Map<string, { type: string; id: string }>).values()] : []));
    const sample = uplinkSample(entries, performance.now());
    if (this.lastSample) {
      this.uplink = uplinkHealth(this.lastSample, sample);
      const now = this.uplink.problems;
      this.uplinkProblems = now.filter((p) => this.pendingProblems.includes(p));
      this.pendingProblems = now;
    }
    this.lastSample = sample;
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
        /** ICE restarts of the current send transport (recovery after a network change). */
        iceRestarts: () => this.publisher?.iceRestarts ?? 0,
        /** Per source, the producer's id: a device switch keeps it. */
        producerIds: () => Object.fromEntries([...(this.publisher?.producers ?? [])].map(([s, p]) => [s, p.id])),
        /** Per source, the device the track comes from and its label. */
        currentDevices: () =>
          Object.fromEntries((['camera', 'mic'] as const).map((k) => [k, { id: deviceOf(this.tracks[k]), label: this.tracks[k]?.label }])),
        devices: () => this.devices,
        micLevel: () => this.level.value,
        onAir: () => this.onAir,
        uplink: () => ({ health: this.uplink ?? null, warning: this.uplinkProblems }),
        participants: () => this.participants.people,
        guests: () => this.guests.map((g) => ({ userId: g.userId, name: g.name, video: !!g.video, audio: !!g.audio, micOff: g.micOff })),
        guestStats: () => this.guestFeed?.subscriber.stats() ?? Promise.resolve([]),
        request: (event: string, payload: unknown) => this.conn.raw(event, payload),
        audience: () => ({ received: [...this.audience.received], lastResult: this.audience.lastResult }),
      },
    });
  }
}
