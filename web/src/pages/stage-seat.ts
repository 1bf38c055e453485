import { signal } from '@preact/signals';
import type { Device } from 'mediasoup-client';
import type { JoinResult, StageSelf } from '../../../server/protocol/live';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { announce, toast } from '../kit/toast';
import type { RoomConnection } from '../live';
import { deviceOf, listDevices, mediaProblem, MicLevel, openBoth, openDevice, type DeviceChoice, type DeviceKind } from '../local-media';
import { Publisher, type StreamStats } from '../media';

// A viewer's seat on stage, on the watch page: the lecturer's invitation (accept or
// decline), then their own camera and microphone sent to everyone, with device
// pickers, a level meter, switching each off and on, and leaving the stage. A mute
// from the lecturer holds: the server refuses to resume the microphone until the
// lecturer lifts it, and this page says so.

const OFF: StageSelf = { invited: false, onStage: false, muted: false };

export class StageSeat {
  self: StageSelf = OFF;
  tracks: Partial<Record<DeviceKind, MediaStreamTrack>> = {};
  off: Record<DeviceKind, boolean> = { camera: false, mic: false };
  devices: Record<DeviceKind, DeviceChoice[]> = { camera: [], mic: [] };
  readonly level = signal(0);
  /** The lecturer lifted a mute since: the guest may switch the microphone on again. */
  mayUnmute = false;

  /**
   * The send transport of this join. It outlives a turn on stage: the server keeps one
   * send transport per connection, so a second invitation sends on the same one.
   */
  private publisher: Publisher | undefined;
  private join: { device: Device; generation: number } | undefined;
  private starting: Promise<void> | undefined;
  private meter: MicLevel | undefined;

  constructor(
    private readonly conn: RoomConnection,
    private readonly changed: () => void,
  ) {
    conn.socket.on('stage:self', (self) => this.update(self));
  }

  /** Sending now: the stage tile shows this page's own preview. */
  get live(): boolean {
    return (this.publisher?.producers.size ?? 0) > 0;
  }

  /** A fresh join: a guest still on stage sends again (muted if the lecturer muted them). */
  joined(join: JoinResult, device: Device, generation: number): void {
    this.join = { device, generation };
    this.update(join.self);
  }

  /** The connection dropped: what was sent went with it; the devices stay open for the rejoin. */
  dropped(): void {
    this.join = undefined;
    this.publisher?.close();
    this.publisher = undefined;
  }

  async accept(): Promise<void> {
    await this.conn.request('stage:accept', {});
    this.self = { invited: false, onStage: true, muted: this.self.muted };
    await this.start();
  }

  async decline(): Promise<void> {
    await this.conn.request('stage:decline', {});
    this.update({ ...this.self, invited: false });
  }

  async leave(): Promise<void> {
    await this.conn.request('stage:leave', {});
    this.update(OFF);
  }

  /** The guest's own switch; a mute from the lecturer is refused by the server (muted_by_moderator). */
  async toggle(kind: DeviceKind): Promise<void> {
    try {
      const producer = this.publisher?.producers.get(kind);
      if (!this.off[kind]) {
        this.off[kind] = true;
        await this.publisher?.pause(kind);
        return;
      }
      try {
        await this.publisher?.resume(kind);
      } catch (err) {
        producer?.pause(); // the server kept it paused: so does this page
        throw err;
      }
      this.off[kind] = false;
      if (kind === 'mic') this.mayUnmute = false;
    } finally {
      this.changed();
    }
  }

  /** Another camera or microphone, swapped into the same producer. */
  async switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    try {
      const old = this.tracks[kind];
      if (deviceOf(old) === deviceId && old?.readyState === 'live') return;
      const track = await openDevice(kind, deviceId);
      const producer = this.publisher?.producers.get(kind);
      if (producer) await producer.replaceTrack({ track });
      else track.enabled = !this.off[kind];
      this.tracks[kind] = track;
      old?.stop();
      if (kind === 'mic') this.startMeter();
    } catch (err) {
      toast(t('room:studio.noDevices', { reason: t(`room:media.${mediaProblem(err)}`) }));
    } finally {
      this.changed();
    }
  }

  async stats(): Promise<StreamStats[]> {
    return this.publisher?.stats() ?? [];
  }

  producerIds(): Record<string, string> {
    return Object.fromEntries([...(this.publisher?.producers ?? [])].map(([s, p]) => [s, p.id]));
  }

  close(): void {
    this.stop();
    this.publisher?.close();
    this.publisher = undefined;
  }

  private update(self: StageSelf): void {
    const was = this.self;
    this.self = self;
    if (self.invited && !was.invited) announce(t('room:stage.invitation'));
    if (self.muted && !was.muted) {
      // The server paused the microphone; this page stops sending it too.
      this.publisher?.producers.get('mic')?.pause();
      this.off.mic = true;
      toast(t('room:stage.mutedByLecturer'));
    }
    if (!self.muted && was.muted) {
      this.mayUnmute = true;
      toast(t('room:stage.unmutedByLecturer'));
    }
    if (self.onStage && this.join && !this.live) void this.start().catch((err: unknown) => toast(errorText(err)));
    if (!self.onStage && was.onStage) this.stop();
    this.changed();
  }

  /** Opens the camera and microphone (once) and sends them. */
  private start(): Promise<void> {
    this.starting ??= this.publish().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async publish(): Promise<void> {
    const join = this.join;
    if (!join || this.live) return;
    if (!this.tracks.camera && !this.tracks.mic) {
      try {
        this.tracks = await openBoth();
      } catch (err) {
        toast(t('room:studio.noDevices', { reason: t(`room:media.${mediaProblem(err)}`) }));
        throw err;
      }
      this.startMeter();
      this.devices = await listDevices().catch(() => ({ camera: [], mic: [] }));
    }
    let publisher = this.publisher;
    if (!publisher) {
      publisher = new Publisher(this.conn, join.device, () => this.conn.restart('send transport failed'));
      await publisher.open();
      if (this.join?.generation !== join.generation) return publisher.close();
      this.publisher = publisher;
    }
    if (!this.self.onStage) return;
    if (this.self.muted) this.off.mic = true;
    for (const kind of ['camera', 'mic'] as const) {
      const track = this.tracks[kind];
      if (track?.readyState === 'live') await publisher.publish(kind, track, { paused: this.off[kind] });
    }
    this.changed();
  }

  private startMeter(): void {
    this.meter?.close();
    this.meter = this.tracks.mic ? new MicLevel(this.tracks.mic, (level) => (this.level.value = level)) : undefined;
  }

  private stop(): void {
    // The server closed what we sent (or will, on producer:close); the transport stays for another turn.
    for (const kind of ['camera', 'mic'] as const) void this.publisher?.unpublish(kind);
    this.meter?.close();
    this.meter = undefined;
    this.level.value = 0;
    for (const track of Object.values(this.tracks)) track.stop();
    this.tracks = {};
    this.off = { camera: false, mic: false };
    this.mayUnmute = false;
    this.changed();
  }
}
