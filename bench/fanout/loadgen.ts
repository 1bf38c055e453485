// Child process: the load generator. Holds many viewers and counts what each receives.
// - webrtc: each viewer is a real WebRTC peer (viewer.ts: node-datachannel, through Lectern's signalling);
// - plain-srtp (fallback only, see fanout.ts): each viewer is a UDP socket that an SRTP-encrypted
//   mediasoup PlainTransport consumer sends to; SRTP leaves RTP headers in the clear, so sequence
//   numbers, marker bits and SSRCs are read without decrypting.
import { createSocket, type Socket } from 'node:dgram';
import type { PeerCertificate } from './cert';
import { viewerRtpCapabilities } from './sdp';
import { StreamCounter, Viewer } from './viewer';

export type ToLoadgen =
  | {
      type: 'init';
      url: string;
      seminarId: string;
      certificate: PeerCertificate;
      joinTimeoutMs: number;
      concurrency: number;
      countEvery: number;
    }
  | { type: 'add-webrtc'; id: number; count: number }
  | { type: 'open-sinks'; id: number; count: number }
  | { type: 'expect'; id: number; sinks: Array<{ port: number; videoSsrc: number; audioSsrc: number }> }
  | { type: 'counters'; id: number }
  | { type: 'close'; id: number };

/** Per viewer: [videoPackets, videoHighestSeq, videoFrames, videoBytes, audioPackets, audioHighestSeq]. */
export type Counters = number[][];

export type FromLoadgen =
  | { type: 'ready' }
  | { type: 'added'; id: number; ok: number; failed: number; errors: string[]; joinToFirstFrameMs: number[] }
  | { type: 'sinks'; id: number; ports: number[] }
  | { type: 'done'; id: number }
  | { type: 'counters'; id: number; counters: Counters }
  | { type: 'error'; id: number; message: string };

interface Counted {
  video: StreamCounter;
  audio: StreamCounter;
}

let init: Extract<ToLoadgen, { type: 'init' }> | undefined;
const viewers: Viewer[] = [];
/** The viewers that count packets (every countEvery-th): loss and frame rate come from these. */
const counting: Viewer[] = [];
const sinks: Array<{ socket: Socket; counted: Counted; videoSsrc: number; audioSsrc: number }> = [];
let nextName = 0;

function send(msg: FromLoadgen): void {
  process.send?.(msg);
}

async function addWebrtc(id: number, count: number): Promise<void> {
  if (!init) throw new Error('not initialised');
  const opts = init;
  const errors: string[] = [];
  const joinMs: number[] = [];
  let ok = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const index = nextName++;
        const counts = index % opts.countEvery === 0;
        const v = new Viewer(`viewer-${process.pid}-${index}`);
        try {
          await v.join({
            url: opts.url,
            seminarId: opts.seminarId,
            rtpCapabilities: viewerRtpCapabilities,
            timeoutMs: opts.joinTimeoutMs,
            certificate: opts.certificate,
            count: counts,
          });
          viewers.push(v);
          if (counts) {
            counting.push(v);
            joinMs.push(v.joinToFirstFrameMs);
          }
          ok++;
        } catch (err) {
          v.close();
          if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  send({ type: 'added', id, ok, failed: count - ok, errors, joinToFirstFrameMs: joinMs });
}

async function openSinks(id: number, count: number): Promise<void> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const sink = { socket, counted: { video: new StreamCounter(), audio: new StreamCounter() }, videoSsrc: -1, audioSsrc: -1 };
    socket.on('message', (buf) => {
      if (buf.length < 12) return;
      const pt = buf[1]!;
      if (pt >= 192 && pt <= 223) return; // SRTCP
      const ssrc = buf.readUInt32BE(8);
      if (ssrc === sink.videoSsrc) sink.counted.video.onRtp(buf);
      else if (ssrc === sink.audioSsrc) sink.counted.audio.onRtp(buf);
    });
    sinks.push(sink);
    ports.push(socket.address().port);
  }
  send({ type: 'sinks', id, ports });
}

function counters(): Counters {
  const all: Counted[] = [...counting, ...sinks.map((s) => s.counted)];
  return all.map(({ video, audio }) => [video.packets, video.highest, video.frames, video.bytes, audio.packets, audio.highest]);
}

process.on('message', (msg: ToLoadgen) => {
  const fail = (id: number) => (err: unknown) => send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  switch (msg.type) {
    case 'init':
      init = msg;
      send({ type: 'ready' });
      break;
    case 'add-webrtc':
      addWebrtc(msg.id, msg.count).catch(fail(msg.id));
      break;
    case 'open-sinks':
      openSinks(msg.id, msg.count).catch(fail(msg.id));
      break;
    case 'expect':
      for (const e of msg.sinks) {
        const sink = sinks.find((s) => s.socket.address().port === e.port);
        if (sink) Object.assign(sink, { videoSsrc: e.videoSsrc, audioSsrc: e.audioSsrc });
      }
      send({ type: 'done', id: msg.id });
      break;
    case 'counters':
      send({ type: 'counters', id: msg.id, counters: counters() });
      break;
    case 'close':
      for (const v of viewers) v.close();
      for (const s of sinks) s.socket.close();
      viewers.length = 0;
      counting.length = 0;
      sinks.length = 0;
      send({ type: 'done', id: msg.id });
      break;
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
