// Child process: the verified fan-out benchmark's audience. Joins each viewer through Lectern's
// own Socket.IO signalling, as the watch page does (room:join, transport:create, consume ×2,
// transport:connect, consumer:resume, consumer:preferences with the size the player shows), and
// hands each viewer's offer (built from the consumers' parameters) to the Go load client
// (bench/viewers: pion peers that count every packet), which answers in JSON lines.
import { io, type Socket } from 'socket.io-client';
import { offerSdp, type ConsumerInfo, type TransportInfo } from '../fanout/sdp';
import { GoViewers } from '../lib/go-viewers';
import { chromiumLikeCapabilities, HEIGHT_FOR_LAYER } from './capabilities';

export type ToSignaller =
  | {
      type: 'init';
      id: number;
      url: string;
      seminarId: string;
      viewersBin: string;
      routerRtpCapabilities: { codecs?: any[]; headerExtensions?: any[] };
      joinTimeoutMs: number;
      maxWaitMs: number;
    }
  | { type: 'add'; id: number; layers: number[]; concurrency: number; spacingMs: number }
  | { type: 'counters'; id: number }
  | { type: 'close'; id: number };

export interface JoinTiming {
  viewer: string;
  layer: number;
  /** ms from the socket's connect starting to: connected, room:join answered, the first decodable frame. */
  connectMs: number;
  joinedMs: number;
  firstFrameMs: number;
}
export interface Negotiated {
  videoFeedback: string[];
  videoHeaderExtensions: string[];
  audioFeedback: string[];
  rtx: boolean;
  encodings: unknown;
  answerFeedback: string[];
  answerExtensions: string[];
}
export interface CountersReply {
  atMs: number;
  names: string[];
  viewers: Record<string, number[]>;
  layerOf: Record<string, number>;
}
export type FromSignaller =
  | { type: 'ready' }
  | { type: 'inited'; id: number; fingerprint: string; goPid: number | undefined }
  | { type: 'added'; id: number; ok: number; failed: number; errors: string[]; joins: JoinTiming[]; negotiated?: Negotiated }
  | { type: 'counters'; id: number; counters: CountersReply }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export { chromiumLikeCapabilities } from './capabilities';

let init: Extract<ToSignaller, { type: 'init' }> | undefined;
let caps: ReturnType<typeof chromiumLikeCapabilities> | undefined;
let go: GoViewers | undefined;
let nextViewer = 0;
const sockets = new Map<string, Socket>();
const layerOf: Record<string, number> = {};
let negotiatedReported = false;

function send(msg: FromSignaller): void {
  process.send?.(msg);
}

const epochMs = () => performance.timeOrigin + performance.now();

async function joinOne(name: string, layer: number, fingerprint: string): Promise<{ timing: JoinTiming; negotiated?: Negotiated }> {
  const opts = init!;
  const t0 = epochMs();
  const socket = io(`${opts.url}/live`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: opts.joinTimeoutMs });
  sockets.set(name, socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  const connectMs = epochMs() - t0;
  const req = async <T>(event: string, payload: unknown): Promise<T> => {
    const ack = (await socket.timeout(opts.joinTimeoutMs).emitWithAck(event, payload)) as Ack<T>;
    if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  };
  const joined = await req<{ producers: Array<{ producerId: string; kind: string }> }>('room:join', { seminarId: opts.seminarId });
  const joinedMs = epochMs() - t0;
  const transport = await req<TransportInfo>('transport:create', { direction: 'recv' });
  const consumers: ConsumerInfo[] = [];
  for (const p of [...joined.producers].sort((a, b) => a.kind.localeCompare(b.kind)))
    consumers.push(await req<ConsumerInfo>('consume', { producerId: p.producerId, rtpCapabilities: caps!.caps }));
  const video = consumers.find((c) => c.kind === 'video');
  const audio = consumers.find((c) => c.kind === 'audio');
  if (!video || !audio) throw new Error(`the room has ${consumers.length} producers, not the lecturer's camera and microphone`);
  await req('transport:connect', {
    transportId: transport.id,
    dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] },
  });
  const answer = await go!.add(name, offerSdp(transport, consumers, { probator: true }), opts.joinTimeoutMs);
  if (answer.setup !== 'active') throw new Error(`the Go viewer answered a=setup:${answer.setup}, not active (the DTLS client)`);
  for (const c of consumers) await req('consumer:resume', { consumerId: c.consumerId });
  const height = HEIGHT_FOR_LAYER[layer]!;
  await req('consumer:preferences', { consumerId: video.consumerId, width: Math.round((height * 16) / 9), height });
  layerOf[name] = layer;
  const timing = { viewer: name, layer, connectMs, joinedMs, firstFrameMs: (await answer.firstFrame) - t0 };
  if (negotiatedReported) return { timing };
  negotiatedReported = true;
  const fb = (c: ConsumerInfo) =>
    (c.rtpParameters.codecs[0]?.rtcpFeedback ?? []).map((f) => `${f.type}${f.parameter ? ` ${f.parameter}` : ''}`);
  const answerVideo = answer.answer.split('m=video')[1] ?? '';
  return {
    timing,
    negotiated: {
      videoFeedback: fb(video),
      videoHeaderExtensions: (video.rtpParameters.headerExtensions ?? []).map((h) => h.uri),
      audioFeedback: fb(audio),
      rtx: !!video.rtpParameters.encodings?.[0]?.rtx,
      encodings: video.rtpParameters.encodings,
      answerFeedback: [...answerVideo.matchAll(/^a=rtcp-fb:\d+ (.+?)\r?$/gm)].map((m) => m[1]!),
      answerExtensions: [...answerVideo.split('m=audio')[0]!.matchAll(/^a=extmap:\d+ (\S+)/gm)].map((m) => m[1]!),
    },
  };
}

function closeViewer(name: string): void {
  sockets.get(name)?.disconnect();
  sockets.delete(name);
  delete layerOf[name];
  go?.close(name);
}

async function add(id: number, layers: number[], concurrency: number, spacingMs: number, fingerprint: string): Promise<void> {
  const errors: string[] = [];
  const joins: JoinTiming[] = [];
  let negotiated: Negotiated | undefined;
  let ok = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, layers.length)) }, async () => {
      for (let i = next++; i < layers.length; i = next++) {
        // Spread arrivals: viewer i starts no earlier than i × spacing (the join storm's 500 in 10 s).
        const wait = started + i * spacingMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const name = `v${nextViewer++}`;
        try {
          const r = await joinOne(name, layers[i]!, fingerprint);
          joins.push(r.timing);
          negotiated ??= r.negotiated;
          ok++;
        } catch (err) {
          closeViewer(name);
          if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  send({ type: 'added', id, ok, failed: layers.length - ok, errors, joins, ...(negotiated ? { negotiated } : {}) });
}

let fingerprint = '';
process.on('message', (msg: ToSignaller) => {
  const fail = (err: unknown) => send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  switch (msg.type) {
    case 'init':
      try {
        init = msg;
        caps = chromiumLikeCapabilities(msg.routerRtpCapabilities);
        go = new GoViewers(
          msg.viewersBin,
          { h264Pt: caps.h264Pt, h264Fmtp: caps.h264Fmtp, rtxPt: caps.rtxPt, opusPt: caps.opusPt, maxWaitMs: msg.maxWaitMs },
          { debug: !!process.env.BENCH_FV_DEBUG },
        );
        go.ready.then((fp) => {
          fingerprint = fp;
          send({ type: 'inited', id: msg.id, fingerprint: fp, goPid: go?.pid });
        }, fail);
      } catch (err) {
        fail(err);
      }
      break;
    case 'add':
      add(msg.id, msg.layers, msg.concurrency, msg.spacingMs, fingerprint).catch(fail);
      break;
    case 'counters':
      go!.rawCounters().then(
        (m) =>
          send({
            type: 'counters',
            id: msg.id,
            counters: { atMs: m.atMs, names: go!.counterNames, viewers: m.viewers, layerOf: { ...layerOf } },
          }),
        fail,
      );
      break;
    case 'close':
      for (const name of [...sockets.keys()]) closeViewer(name);
      setTimeout(() => {
        go?.stop();
        send({ type: 'done', id: msg.id });
      }, 500);
      break;
  }
});
process.on('disconnect', () => {
  go?.kill();
  process.exit(0);
});
send({ type: 'ready' });
