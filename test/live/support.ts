import type { ChildProcess } from 'node:child_process';
import type { Consumer, PlainTransport, Producer, Router } from 'mediasoup/types';
import { io } from 'socket.io-client';
import type { Peer, Room } from '../../media';
import type { Lectern } from '../../server/main';
import type { Ack } from '../../server/protocol';
import { Api, type TestUser } from '../support/api';
import { LiveClient } from '../support/live-client';
import { rtpSink, spawnRtpSource, waitFor } from '../support/media';

// Shared by the signalling-level tests of the /live gateway.

let seminarCounter = 0;

/** A seminar taught by `lecturer`, moved along to `status` through the REST API. */
export async function createSeminar(
  api: Api,
  lecturer: TestUser,
  opts: { isPublic?: boolean; status?: 'draft' | 'scheduled' | 'live'; capacity?: number } = {},
): Promise<string> {
  const created = await api.call('POST', '/seminars', {
    token: lecturer.token,
    body: {
      title: `Live seminar ${++seminarCounter}`,
      track: 'Live tests',
      startsAt: '2030-03-14T18:30',
      durationMinutes: 60,
      capacity: opts.capacity ?? 50,
      isPublic: opts.isPublic ?? false,
    },
  });
  if (created.status !== 201) throw new Error(`create seminar failed: ${created.status} ${created.text}`);
  const id = created.body.id as string;
  const status = opts.status ?? 'live';
  const steps = status === 'draft' ? [] : status === 'scheduled' ? ['scheduled'] : ['scheduled', 'live'];
  for (const to of steps) {
    const moved = await api.call('POST', `/seminars/${id}/transitions`, { token: lecturer.token, body: { to } });
    if (moved.status !== 200) throw new Error(`transition to ${to} failed: ${moved.status} ${moved.text}`);
  }
  return id;
}

export async function registerFor(
  api: Api,
  seminarId: string,
  user: TestUser,
  expected: 'registered' | 'waitlisted' = 'registered',
): Promise<void> {
  const res = await api.call('PUT', `/seminars/${seminarId}/registration`, { token: user.token });
  if (res.status !== 200 || res.body.status !== expected) throw new Error(`registration failed: ${res.status} ${res.text}`);
}

/** Opens /live clients and closes every one of them at the end of a test. */
export class Clients {
  private readonly open: LiveClient[] = [];

  constructor(private readonly app: Lectern) {}

  async connect(user?: TestUser): Promise<LiveClient> {
    const client = await LiveClient.connect(this.app.url, user?.token);
    this.open.push(client);
    return client;
  }

  /** Connects and joins the seminar's room; returns the client and its join result. */
  async join(seminarId: string, user?: TestUser): Promise<{ client: LiveClient; joined: any }> {
    const client = await this.connect(user);
    const joined = await client.ok('room:join', { seminarId });
    return { client, joined };
  }

  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}

/** An ack or, if none comes within `timeoutMs`, the string 'no ack'. */
export async function requestWithin<T = any>(
  client: LiveClient,
  event: string,
  payload: unknown,
  timeoutMs = 3000,
): Promise<Ack<T> | 'no ack'> {
  try {
    return (await client.socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
  } catch {
    return 'no ack';
  }
}

/** The error code of an ack, or 'ok' / 'no ack'. */
export function codeOf(ack: Ack<unknown> | 'no ack'): string {
  if (ack === 'no ack') return 'no ack';
  return ack.ok ? 'ok' : ack.error.code;
}

/** A connect_error from a handshake, or undefined if the handshake went through. */
export async function handshakeError(baseUrl: string, auth: Record<string, unknown>): Promise<{ message: string; data?: any } | undefined> {
  const socket = io(`${baseUrl}/live`, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('neither connect nor connect_error within 5 s')), 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.once('connect_error', (err: Error & { data?: unknown }) => {
        clearTimeout(timer);
        resolve({ message: err.message, data: err.data });
      });
    });
  } finally {
    socket.disconnect();
  }
}

export async function roomOf(app: Lectern, seminarId: string): Promise<Room> {
  const room = await app.rooms.peek(seminarId);
  if (!room) throw new Error(`no room for seminar ${seminarId}`);
  return room;
}

export function peerOf(room: Room, client: LiveClient): Peer {
  const peer = room.peer(client.socket.id!);
  if (!peer) throw new Error(`socket ${client.socket.id} has no peer in the room`);
  return peer;
}

/** Every router of the room: the origin and each peer's receive router. */
export function routersOf(room: Room): Router[] {
  if (room.isClosed) return [];
  const byId = new Map<string, Router>([[room.origin.id, room.origin]]);
  for (const id of room.peerIds()) byId.set(room.peer(id)!.recvRouter.id, room.peer(id)!.recvRouter);
  return [...byId.values()];
}

/** Transport ids that mediasoup itself reports on the routers, from router.dump(). */
export async function transportIdsOn(routers: Router[]): Promise<string[]> {
  const ids: string[] = [];
  for (const router of routers) if (!router.closed) ids.push(...(await router.dump()).transportIds);
  return ids;
}

export { alive } from '../support/media';

export interface InjectedCamera {
  ingest: PlainTransport;
  producer: Producer;
  ffmpeg?: ChildProcess;
  stop(): void;
}

const VP8_PT = 101;
let ssrcCounter = 31_000_000;

/**
 * A camera producer on the room's origin router, as if the lecturer sent it:
 * a PlainTransport (comedia, RTCP not muxed) that a real ffmpeg feeds with
 * VP8 when `ffmpeg` is set, published into the room under the lecturer's peer.
 */
export async function injectCamera(app: Lectern, room: Room, peer: Peer, opts: { ffmpeg: boolean }): Promise<InjectedCamera> {
  const ssrc = ++ssrcCounter;
  const ingest = await room.origin.createPlainTransport({ listenInfo: app.pool.listenInfo('udp'), rtcpMux: false, comedia: true });
  const producer = await ingest.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PT, clockRate: 90000 }], encodings: [{ ssrc }] },
  });
  await room.publish(peer, producer, 'camera');
  const ffmpeg = opts.ffmpeg
    ? spawnRtpSource({ codec: 'VP8', rtpPort: ingest.tuple.localPort, rtcpPort: ingest.rtcpTuple!.localPort, ssrc, payloadType: VP8_PT })
    : undefined;
  return {
    ingest,
    producer,
    ...(ffmpeg ? { ffmpeg } : {}),
    stop() {
      ffmpeg?.kill('SIGKILL');
      ingest.close();
    },
  };
}

export interface MediaProbe {
  transport: PlainTransport;
  consumer: Consumer;
  /** Bytes the consumer has sent on so far (its outbound-rtp byteCount). */
  bytes(): Promise<number>;
  /** RTP packets of the consumer's stream that reached the probe's UDP socket. */
  packets(): number;
  close(): void;
}

/** A PlainTransport consumer of `producerId` on `router`, sending to a local UDP socket. */
export async function probeMedia(router: Router, producerId: string): Promise<MediaProbe> {
  const sink = await rtpSink();
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: sink.port });
  const consumer = await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
  const ssrc = consumer.rtpParameters.encodings![0]!.ssrc!;
  return {
    transport,
    consumer,
    async bytes() {
      if (consumer.closed) return 0;
      return (await consumer.getStats()).filter((s) => s.type === 'outbound-rtp').reduce((sum, s) => sum + s.byteCount, 0);
    },
    packets: () => sink.packets.filter((p) => p.ssrc === ssrc).length,
    close() {
      transport.close();
      sink.socket.close();
    },
  };
}

/** Waits until the probe's byte count is above zero and then grows by at least `growth` more bytes; returns both readings. */
export async function bytesFlow(probe: MediaProbe, timeoutMs: number, growth = 20_000): Promise<{ first: number; later: number }> {
  const first = await waitFor(
    async () => {
      const b = await probe.bytes();
      return b > 0 ? b : undefined;
    },
    timeoutMs,
    'the first bytes on the probe consumer',
  );
  const later = await waitFor(
    async () => {
      const b = await probe.bytes();
      return b >= first + growth ? b : undefined;
    },
    timeoutMs,
    'the probe consumer byte count to grow',
  );
  return { first, later };
}

export { waitFor };
