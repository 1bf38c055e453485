import type {
  Consumer,
  DtlsParameters,
  MediaKind,
  Producer,
  Router,
  RtpCapabilities,
  RtpParameters,
  WebRtcTransport,
} from 'mediasoup/types';
import type { TransportListenInfo } from 'mediasoup/types';

export type Source = 'camera' | 'mic' | 'screen';

const MAX_TRANSPORTS = 4;
const MAX_CONSUMERS = 64;

export class MediaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/**
 * One participant's media: their transports, and the producers and consumers
 * on them. Closing the peer closes its transports, which closes everything on them.
 */
export class Peer {
  readonly transports = new Map<string, WebRtcTransport>();
  readonly producers = new Map<string, { producer: Producer; source: Source }>();
  readonly consumers = new Map<string, { consumer: Consumer; source: Source }>();
  private closed = false;

  constructor(
    readonly id: string,
    readonly userId: string | null,
    /** Where this peer sends (the room's origin router) and where it receives. */
    private readonly sendRouter: Router,
    readonly recvRouter: Router,
    private readonly listenInfos: TransportListenInfo[],
  ) {}

  async createTransport(direction: 'send' | 'recv'): Promise<WebRtcTransport> {
    // One of each is what a client needs; a few more cover renegotiation. Ports are finite.
    if (this.transports.size >= MAX_TRANSPORTS)
      throw new MediaError('too_many_transports', `At most ${MAX_TRANSPORTS} transports per participant`);
    const router = direction === 'send' ? this.sendRouter : this.recvRouter;
    const transport = await router.createWebRtcTransport({
      listenInfos: this.listenInfos,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_500_000,
      appData: { direction, peerId: this.id },
    });
    if (this.closed) {
      transport.close();
      throw new MediaError('peer_closed', 'The participant left');
    }
    this.transports.set(transport.id, transport);
    transport.observer.once('close', () => this.transports.delete(transport.id));
    // A client that never completes DTLS leaves nothing behind.
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') transport.close();
    });
    return transport;
  }

  async connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    await this.transport(transportId).connect({ dtlsParameters });
  }

  async produce(transportId: string, kind: MediaKind, rtpParameters: RtpParameters, source: Source): Promise<Producer> {
    const transport = this.transport(transportId);
    if (transport.appData.direction !== 'send') throw new MediaError('wrong_transport', 'Produce on a send transport');
    for (const { source: s } of this.producers.values()) {
      if (s === source) throw new MediaError('already_producing', `Already producing ${source}`);
    }
    const producer = await transport.produce({ kind, rtpParameters, appData: { source, peerId: this.id } });
    this.producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => this.producers.delete(producer.id));
    return producer;
  }

  async consume(transportId: string, producerId: string, source: Source, rtpCapabilities: RtpCapabilities): Promise<Consumer> {
    const transport = this.transport(transportId);
    if (transport.appData.direction !== 'recv') throw new MediaError('wrong_transport', 'Consume on a receive transport');
    if (this.consumers.size >= MAX_CONSUMERS)
      throw new MediaError('too_many_consumers', `At most ${MAX_CONSUMERS} streams per participant`);
    if (!this.recvRouter.canConsume({ producerId, rtpCapabilities })) {
      throw new MediaError('cannot_consume', 'This device cannot receive that stream');
    }
    // Paused until the client has its track wired up, so no key frame is lost.
    const consumer = await transport.consume({ producerId, rtpCapabilities, paused: true, appData: { source } });
    this.consumers.set(consumer.id, { consumer, source });
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
    return consumer;
  }

  producer(producerId: string): Producer {
    const entry = this.producers.get(producerId);
    if (!entry) throw new MediaError('producer_not_found', 'No such producer of yours');
    return entry.producer;
  }

  consumer(consumerId: string): Consumer {
    const entry = this.consumers.get(consumerId);
    if (!entry) throw new MediaError('consumer_not_found', 'No such consumer of yours');
    return entry.consumer;
  }

  transport(transportId: string): WebRtcTransport {
    const transport = this.transports.get(transportId);
    if (!transport) throw new MediaError('transport_not_found', 'No such transport of yours');
    return transport;
  }

  /** Closes the peer's media. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const transport of [...this.transports.values()]) transport.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
