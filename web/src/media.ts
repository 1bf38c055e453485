import { Device } from 'mediasoup-client';
import type {
  Consumer,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  Producer,
  ProducerOptions,
  RtpCodecCapability,
  RtpParameters,
  Transport,
} from 'mediasoup-client/types';
import type { ClientPayload, MediaSource, ProducerInfo } from '../../server/protocol/live';
import type { RoomConnection } from './live';

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

/** Camera simulcast: three layers, a quarter, half and full size. */
const CAMERA_LAYERS: RTCRtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
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

function transportOptions(info: {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}) {
  return {
    id: info.id,
    iceParameters: info.iceParameters as unknown as IceParameters,
    iceCandidates: info.iceCandidates as unknown as IceCandidate[],
    dtlsParameters: info.dtlsParameters as unknown as DtlsParameters,
  };
}

function wireConnect(transport: Transport, conn: RoomConnection, onFailed: () => void): void {
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    conn.request('transport:connect', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
  });
  transport.on('connectionstatechange', (state) => {
    if (state === 'failed') onFailed();
  });
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
  /** Received audio only: the sum of the decoded sound's energy (totalAudioEnergy); it grows only while there is sound. */
  audioEnergy: number;
  /** Simulcast layers (outbound only): one entry per encoding. */
  layers?: Array<{ rid: string | null; frameWidth: number; frameHeight: number; frames: number; bytes: number }>;
}

type StatsEntry = Record<string, unknown> & { type: string; id: string };

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
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
  return {
    ...base,
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

  constructor(
    private readonly conn: RoomConnection,
    readonly device: Device,
    private readonly onFailed: () => void,
  ) {}

  async open(): Promise<void> {
    const info = await this.conn.request('transport:create', { direction: 'send' });
    const transport = this.device.createSendTransport(transportOptions(info));
    wireConnect(transport, this.conn, this.onFailed);
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.conn
        .request('produce', { transportId: transport.id, kind, rtpParameters, source: appData.source as Source })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    this.transport = transport;
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
      wireConnect(transport, this.conn, this.onFailed);
      if (this.closed) transport.close();
      else this.transport = transport;
    })();
    return this.ready;
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
