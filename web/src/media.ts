import { Device } from 'mediasoup-client';
import type {
  Consumer,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  Producer,
  ProducerOptions,
  RtpCodecCapability,
  RtpEncodingParameters,
  RtpParameters,
  Transport,
} from 'mediasoup-client/types';
import type { ClientPayload, MediaSource, ProducerInfo } from '../../server/protocol/live';
import { LiveError, type Response, type RoomConnection } from './live';

// The mediasoup side of a page: one send transport for the lecturer, one
// receive transport for a viewer, both rebuilt from scratch on every join.

export type Source = MediaSource;

export async function loadDevice(routerRtpCapabilities: Record<string, unknown>): Promise<Device> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: routerRtpCapabilities });
  return device;
}

/** H.264 when this browser can send it through the router (the recorder copies it as is), else VP8. */
export function preferredVideoCodec(device: Device): RtpCodecCapability | undefined {
  const video = device.sendRtpCapabilities.codecs?.filter((c) => c.kind === 'video') ?? [];
  const h264 = video.filter((c) => c.mimeType.toLowerCase() === 'video/h264' && c.parameters?.['packetization-mode'] === 1);
  return (
    h264.find((c) => String(c.parameters?.['profile-level-id']).toLowerCase() === '42e01f') ??
    h264[0] ??
    video.find((c) => c.mimeType.toLowerCase() === 'video/vp8')
  );
}

/**
 * Camera simulcast: three layers, a quarter, half and full size, each at the full frame
 * rate (L1T1: no temporal layers). With temporal layers the SFU, short of bandwidth, picks
 * a bigger picture at a half or a quarter of the frames over a smaller one at all of them;
 * a lecture reads better smooth, so a weak link gets a smaller picture, never fewer frames.
 */
const CAMERA_LAYERS: RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T1' },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T1' },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000, scalabilityMode: 'L1T1' },
];

function producerOptions(source: Source, device: Device): ProducerOptions {
  const codec = preferredVideoCodec(device);
  switch (source) {
    case 'camera':
      return {
        encodings: CAMERA_LAYERS.map((e) => ({ ...e })),
        codecOptions: { videoGoogleStartBitrate: 1000 },
        ...(codec ? { codec } : {}),
      };
    case 'screen':
      return { encodings: [{ maxBitrate: 1_500_000, maxFramerate: 15 }], ...(codec ? { codec } : {}) };
    case 'mic':
      return { codecOptions: { opusStereo: false, opusFec: true, opusDtx: true } };
  }
}

type TransportInfo = Response<'transport:create'>;

function transportOptions(info: TransportInfo) {
  return {
    id: info.id,
    iceParameters: info.iceParameters as unknown as IceParameters,
    iceCandidates: info.iceCandidates as unknown as IceCandidate[],
    dtlsParameters: info.dtlsParameters as unknown as DtlsParameters,
    // TURN, with time-limited credentials, for networks that block the media server's ports.
    iceServers: info.iceServers,
    ...(info.iceTransportPolicy ? { iceTransportPolicy: info.iceTransportPolicy } : {}),
  };
}

/**
 * Delays between ICE restarts while a transport stays down: the first at once, then
 * backing off to one every few seconds, which the server's limit (20 a minute per
 * transport) allows. A restart's connectivity checks keep going for several seconds, so
 * a path that comes back is found within about one step: the last step bounds how long
 * media stays away after the network returns.
 */
const ICE_RESTART_BACKOFF_MS = [0, 1000, 2000, 3000];

/**
 * Wires a transport to the server: DTLS on its first use, and recovery when its path
 * breaks (a network change, a blocked port, a laptop waking up). On 'disconnected' or
 * 'failed' the transport restarts ICE with new credentials from the server, with backoff,
 * until it connects again: consumers and producers stay as they are, no reload, no rejoin.
 * Only when the server no longer has the transport does `onLost` start over (a rejoin).
 */
class TransportLink {
  /** ICE restarts done: the pages' test hooks read it. */
  restarts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private step = 0;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly conn: RoomConnection,
    private readonly onLost: () => void,
  ) {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      conn.request('transport:connect', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected') {
        this.step = 0;
        clearTimeout(this.timer);
        this.timer = undefined;
      } else if ((state === 'disconnected' || state === 'failed') && this.timer === undefined) {
        console.warn(`[media] ${transport.direction} transport ${state}: restarting ICE`);
        this.schedule();
      }
    });
    transport.observer.once('close', () => {
      this.closed = true;
      clearTimeout(this.timer);
    });
  }

  private get connected(): boolean {
    return this.transport.connectionState === 'connected';
  }

  private schedule(): void {
    const delay = ICE_RESTART_BACKOFF_MS[Math.min(this.step, ICE_RESTART_BACKOFF_MS.length - 1)]!;
    this.step++;
    this.timer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    const { transport } = this;
    if (this.closed || this.connected) return void (this.timer = undefined);
    try {
      const { iceParameters, iceServers } = await this.conn.request('transport:restart-ice', { transportId: transport.id });
      if (this.closed) return;
      // Fresh TURN credentials first: the restart gathers new relay candidates with them.
      if (iceServers.length > 0) await transport.updateIceServers({ iceServers });
      await transport.restartIce({ iceParameters: iceParameters as unknown as IceParameters });
      this.restarts++;
    } catch (err) {
      if (this.closed) return;
      const code = err instanceof LiveError ? err.code : 'client_error';
      // The server closed the transport (or the room went): only a fresh join brings media back.
      if (code === 'transport_not_found' || code === 'not_in_room' || code === 'room_rebuilding') {
        this.timer = undefined;
        console.warn(`[media] ${transport.direction} transport lost (${code}): joining again`);
        return this.onLost();
      }
      console.warn(`[media] ICE restart failed: ${code}`);
    }
    if (this.closed || this.connected) this.timer = undefined;
    else this.schedule();
  }
}

/** What getStats says about one RTP stream, boiled down to what pages and tests read. */
export interface StreamStats {
  source: Source;
  /** Received streams: whose producer it is (a guest on stage, or the lecturer). */
  producerId?: string;
  userId?: string | null;
  kind: 'audio' | 'video';
  paused: boolean;
  codec: string | null;
  packets: number;
  bytes: number;
  frames: number;
  frameWidth: number;
  frameHeight: number;
  /** The local end of the path the stream takes: 'host', 'srflx', 'prflx' or 'relay' (through TURN); null before ICE connects. */
  candidateType: string | null;
  /** Received audio only: the sum of the decoded sound's energy (totalAudioEnergy); it grows only while there is sound. */
  audioEnergy: number;
  /** Simulcast layers (outbound only): one entry per encoding. */
  layers?: Array<{
    rid: string | null;
    frameWidth: number;
    frameHeight: number;
    frames: number;
    bytes: number;
    /**
     * Of `bytes`, those resent on a NACK. Not the padding Chromium sends as old packets on the
     * lowest layer's RTX stream to keep its estimate up: that counts in `bytes` only.
     */
    retransmittedBytes: number;
    /** What the encoder is asked for on this layer, bit/s. */
    targetBitrate: number;
    keyFrames: number;
    /** Keyframe requests (PLI) that reached this layer from the SFU. */
    pli: number;
    fir: number;
    nack: number;
    packets: number;
    /** RTP headers and padding (bytes carries the payloads, padding sent as old payloads included). */
    headerBytes: number;
    framesPerSecond: number;
    qualityLimitationReason: string | null;
    encoderImplementation: string | null;
    scalabilityMode: string | null;
  }>;
}

type StatsEntry = Record<string, unknown> & { type: string; id: string };

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function summarize(
  report: RTCStatsReport,
  direction: 'inbound-rtp' | 'outbound-rtp',
  base: Pick<StreamStats, 'source' | 'kind' | 'paused' | 'producerId' | 'userId'>,
): StreamStats {
  const entries = [...(report as unknown as Map<string, StatsEntry>).values()];
  const rtp = entries.filter((e) => e.type === direction && e.kind === base.kind);
  const codecEntry = entries.find((e) => e.type === 'codec' && rtp.some((r) => r.codecId === e.id));
  const byRid = rtp.slice().sort((a, b) => num(a.frameWidth) - num(b.frameWidth));
  const biggest = byRid[byRid.length - 1];
  const transport = entries.find((e) => e.type === 'transport' && rtp.some((r) => r.transportId === e.id));
  const pair = entries.find((e) => e.type === 'candidate-pair' && e.id === transport?.selectedCandidatePairId);
  const local = entries.find((e) => e.type === 'local-candidate' && e.id === pair?.localCandidateId);
  return {
    ...base,
    candidateType: typeof local?.candidateType === 'string' ? local.candidateType : null,
    codec: typeof codecEntry?.mimeType === 'string' ? codecEntry.mimeType : null,
    packets: rtp.reduce((s, e) => s + num(direction === 'inbound-rtp' ? e.packetsReceived : e.packetsSent), 0),
    bytes: rtp.reduce((s, e) => s + num(direction === 'inbound-rtp' ? e.bytesReceived : e.bytesSent), 0),
    frames: rtp.reduce((s, e) => s + num(direction === 'inbound-rtp' ? e.framesDecoded : e.framesEncoded), 0),
    frameWidth: num(biggest?.frameWidth),
    frameHeight: num(biggest?.frameHeight),
    audioEnergy: rtp.reduce((s, e) => s + num(e.totalAudioEnergy), 0),
    ...(direction === 'outbound-rtp' && base.kind === 'video'
      ? {
          layers: rtp
            .map((e) => ({
              rid: typeof e.rid === 'string' ? e.rid : null,
              frameWidth: num(e.frameWidth),
              frameHeight: num(e.frameHeight),
              frames: num(e.framesEncoded),
              bytes: num(e.bytesSent),
              retransmittedBytes: num(e.retransmittedBytesSent),
              targetBitrate: num(e.targetBitrate),
              keyFrames: num(e.keyFramesEncoded),
              pli: num(e.pliCount),
              fir: num(e.firCount),
              nack: num(e.nackCount),
              packets: num(e.packetsSent),
              headerBytes: num(e.headerBytesSent),
              framesPerSecond: num(e.framesPerSecond),
              qualityLimitationReason: str(e.qualityLimitationReason),
              encoderImplementation: str(e.encoderImplementation),
              scalabilityMode: str(e.scalabilityMode),
            }))
            .sort((a, b) => String(a.rid).localeCompare(String(b.rid))),
        }
      : {}),
  };
}

/** The lecturer's sending side: camera, microphone and screen, each its own producer. */
export class Publisher {
  readonly producers = new Map<Source, Producer>();
  private transport?: Transport;
  private link?: TransportLink;

  constructor(
    private readonly conn: RoomConnection,
    readonly device: Device,
    private readonly onFailed: () => void,
  ) {}

  async open(): Promise<void> {
    const info = await this.conn.request('transport:create', { direction: 'send' });
    const transport = this.device.createSendTransport(transportOptions(info));
    this.link = new TransportLink(transport, this.conn, this.onFailed);
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.conn
        .request('produce', { transportId: transport.id, kind, rtpParameters, source: appData.source as Source })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    this.transport = transport;
  }

  /** ICE restarts of the send transport so far. */
  get iceRestarts(): number {
    return this.link?.restarts ?? 0;
  }

  async publish(source: Source, track: MediaStreamTrack, opts: { paused?: boolean; onEnded?: () => void } = {}): Promise<Producer> {
    if (!this.transport) throw new Error('The send transport is not open');
    // stopTracks: false: the tracks belong to the page (the preview), and survive a rejoin.
    const producer = await this.transport.produce({
      track,
      ...producerOptions(source, this.device),
      stopTracks: false,
      appData: { source },
    });
    this.producers.set(source, producer);
    producer.observer.once('close', () => {
      if (this.producers.get(source) === producer) this.producers.delete(source);
    });
    if (opts.onEnded) producer.on('trackended', opts.onEnded);
    if (opts.paused) await this.pause(source);
    return producer;
  }

  async pause(source: Source): Promise<void> {
    const p = this.producers.get(source);
    if (!p) return;
    p.pause();
    await this.conn.request('producer:pause', { producerId: p.id });
  }

  async resume(source: Source): Promise<void> {
    const p = this.producers.get(source);
    if (!p) return;
    p.resume();
    await this.conn.request('producer:resume', { producerId: p.id });
  }

  async unpublish(source: Source): Promise<void> {
    const p = this.producers.get(source);
    if (!p) return;
    p.close();
    await this.conn.request('producer:close', { producerId: p.id }).catch(() => undefined);
  }

  async stats(): Promise<StreamStats[]> {
    return Promise.all(
      [...this.producers].map(async ([source, p]) =>
        summarize(await p.getStats(), 'outbound-rtp', { source, kind: p.kind, paused: p.paused }),
      ),
    );
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
    this.producers.clear();
  }
}

export interface Subscription {
  info: ProducerInfo;
  consumer: Consumer;
  track: MediaStreamTrack;
}

/** A viewer's receiving side: one consumer per producer in the room. */
export class Subscriber {
  readonly subscriptions = new Map<string, Subscription>();
  private readonly pending = new Map<string, Promise<Subscription | undefined>>();
  private transport?: Transport;
  private link?: TransportLink;
  private ready?: Promise<void>;
  private closed = false;

  constructor(
    private readonly conn: RoomConnection,
    readonly device: Device,
    private readonly onFailed: () => void,
  ) {}

  open(): Promise<void> {
    this.ready ??= (async () => {
      const info = await this.conn.request('transport:create', { direction: 'recv' });
      const transport = this.device.createRecvTransport(transportOptions(info));
      this.link = new TransportLink(transport, this.conn, this.onFailed);
      if (this.closed) transport.close();
      else this.transport = transport;
    })();
    return this.ready;
  }

  /** ICE restarts of the receive transport so far. */
  get iceRestarts(): number {
    return this.link?.restarts ?? 0;
  }

  /** Receives a producer (once, however often it is asked); undefined when this side closed meanwhile. */
  consume(info: ProducerInfo): Promise<Subscription | undefined> {
    let pending = this.pending.get(info.producerId);
    if (!pending) {
      pending = this.subscribe(info).finally(() => this.pending.delete(info.producerId));
      this.pending.set(info.producerId, pending);
    }
    return pending;
  }

  private async subscribe(info: ProducerInfo): Promise<Subscription | undefined> {
    await this.open();
    if (!this.transport || this.subscriptions.has(info.producerId)) return this.subscriptions.get(info.producerId);
    const c = await this.conn.request('consume', {
      producerId: info.producerId,
      rtpCapabilities: this.device.recvRtpCapabilities as ClientPayload<'consume'>['rtpCapabilities'],
    });
    if (!this.transport || this.closed) return undefined;
    const consumer = await this.transport.consume({
      id: c.consumerId,
      producerId: c.producerId,
      kind: c.kind,
      rtpParameters: c.rtpParameters as unknown as RtpParameters,
      appData: { source: c.source },
    });
    const sub: Subscription = { info, consumer, track: consumer.track };
    this.subscriptions.set(info.producerId, sub);
    consumer.observer.once('close', () => this.subscriptions.delete(info.producerId));
    // The server created it paused so no key frame is lost before the track is wired up.
    await this.conn.request('consumer:resume', { consumerId: consumer.id });
    return sub;
  }

  /** Tells the server how big the video is shown, so it sends the right simulcast layer. */
  async preferSize(producerId: string, width: number, height: number): Promise<void> {
    const sub = this.subscriptions.get(producerId);
    if (!sub || sub.consumer.kind !== 'video') return;
    await this.conn
      .request('consumer:preferences', { consumerId: sub.consumer.id, width: Math.round(width), height: Math.round(height) })
      .catch(() => undefined);
  }

  remove(match: { producerId?: string; consumerId?: string }): Subscription | undefined {
    for (const [producerId, sub] of this.subscriptions) {
      if (producerId === match.producerId || sub.consumer.id === match.consumerId) {
        sub.consumer.close();
        this.subscriptions.delete(producerId);
        return sub;
      }
    }
    return undefined;
  }

  async stats(): Promise<StreamStats[]> {
    return Promise.all(
      [...this.subscriptions.values()].map(async ({ info, consumer }) =>
        summarize(await consumer.getStats(), 'inbound-rtp', {
          source: info.source,
          kind: consumer.kind,
          paused: info.paused,
          producerId: info.producerId,
          userId: info.userId,
        }),
      ),
    );
  }

  close(): void {
    this.closed = true;
    this.transport?.close();
    this.transport = undefined;
    this.subscriptions.clear();
  }
}
