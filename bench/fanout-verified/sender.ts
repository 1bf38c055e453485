// Child process: the lecturer's camera as simulcast. Plays three pre-encoded H.264 layers
// (clips.ts) as RTP into one mediasoup PlainTransport (rtcpMux; the transport connected to this
// socket), each on its own SSRC, in lockstep: every frame slot sends one frame of each layer with
// the same RTP timestamp, as a browser's encoder does. A PLI or FIR for a layer's SSRC makes that
// layer's next frame slot (not an immediate packet) its clip's next key frame, as a live encoder
// answers one; requests are counted per layer. Sender reports every second per layer (mediasoup
// needs them to switch a consumer between layers). NACKs are answered from a history of sent
// packets as RTX, as a browser's sender does.
import { createSocket } from 'node:dgram';
import { loadClip, type Clip } from '../fanout/clip';
import { h264Fragments, parseFeedback, rtpHeader, senderReport } from '../fanout/rtp';
import type { SenderMessage } from '../fanout/lecturer-io';

export interface LayerSpec {
  clipFile: string;
  ssrc: number;
  /** Retransmissions (RFC 4588), as a browser answers the SFU's NACKs. */
  rtxSsrc: number;
}
export type ToSender =
  | { type: 'play'; layers: LayerSpec[]; fps: number; ip: string; port: number; payloadType: number; rtxPayloadType: number }
  | { type: 'stats'; id: number }
  | { type: 'stop' };
export type FromSender = SenderMessage<SimulcastStats>;

export interface LayerStats {
  framesSent: number;
  keyFramesSent: number;
  packetsSent: number;
  bytesSent: number;
  keyFrameRequests: number;
  /** Packets the SFU asked again for (NACK) and those resent from the history. */
  nacked: number;
  retransmitted: number;
}
export interface SimulcastStats {
  /** Frame slots played (each sends one frame of every layer). */
  frameSlots: number;
  /** Slots skipped because this process was late by more than 100 ms. */
  slotsSkipped: number;
  layers: LayerStats[];
}

const socket = createSocket('udp4');
const HISTORY = 1024;
let layerStates: Array<{
  clip: Clip;
  ssrc: number;
  rtxSsrc: number;
  seq: number;
  rtxSeq: number;
  index: number;
  keyWanted: boolean;
  stats: LayerStats;
  keys: number[];
  /** The last HISTORY packets sent, by sequence number modulo HISTORY. */
  history: Array<Buffer | undefined>;
}> = [];
let target = { ip: '127.0.0.1', port: 0, rtxPayloadType: 0 };
const totals = { frameSlots: 0, slotsSkipped: 0 };
let timer: NodeJS.Timeout | undefined;
let srTimer: NodeJS.Timeout | undefined;

function send(msg: FromSender): void {
  process.send?.(msg);
}

socket.on('message', (msg) => {
  for (const f of parseFeedback(msg)) {
    const layer = layerStates.find((l) => l.ssrc === f.ssrc);
    if (!layer) continue;
    if (f.kind === 'nack') for (const seq of f.seqs) retransmit(layer, seq);
    else {
      layer.keyWanted = true;
      layer.stats.keyFrameRequests++;
    }
  }
});

function retransmit(l: (typeof layerStates)[number], seq: number): void {
  l.stats.nacked++;
  const original = l.history[seq % HISTORY];
  if (!original || original.readUInt16BE(2) !== seq) return;
  const rtx = Buffer.alloc(original.length + 2);
  original.copy(rtx, 0, 0, 12);
  rtx[1] = (original[1]! & 0x80) | target.rtxPayloadType;
  rtx.writeUInt16BE(l.rtxSeq, 2);
  l.rtxSeq = (l.rtxSeq + 1) & 0xffff;
  rtx.writeUInt32BE(l.rtxSsrc >>> 0, 8);
  rtx.writeUInt16BE(seq, 12);
  original.copy(rtx, 14, 12);
  socket.send(rtx, target.port, target.ip);
  l.stats.retransmitted++;
}

socket.bind(0, '127.0.0.1', () => send({ type: 'bound', port: socket.address().port }));

function rtpPacket(l: (typeof layerStates)[number], pt: number, payload: Buffer[], marker: boolean, ts: number): Buffer {
  const header = rtpHeader(pt, marker, l.seq, ts, l.ssrc);
  const packet = Buffer.concat([header, ...payload]);
  l.history[l.seq % HISTORY] = packet;
  l.seq = (l.seq + 1) & 0xffff;
  return packet;
}

function play(fps: number, ip: string, port: number, pt: number): void {
  const frameMs = 1000 / fps;
  const tsStep = 90000 / fps;
  const tsBase = Math.floor(Math.random() * 0x7fffffff);
  const start = performance.now();
  let slot = 0;
  let lastTs = tsBase;
  let lastSendMs = Date.now();

  const sendSlot = () => {
    const ts = (tsBase + slot * tsStep) >>> 0;
    for (const l of layerStates) {
      if (l.keyWanted && !l.clip.frames[l.index]!.key) l.index = l.keys.find((k) => k > l.index) ?? l.keys[0]!;
      const frame = l.clip.frames[l.index]!;
      if (frame.key) l.keyWanted = false;
      frame.nals.forEach((nal, n) => {
        const lastNal = n === frame.nals.length - 1;
        const out = h264Fragments(nal).map((f) => rtpPacket(l, pt, f.parts, lastNal && f.endsNal, ts));
        for (const p of out) {
          socket.send(p, port, ip);
          l.stats.packetsSent++;
          l.stats.bytesSent += p.length;
        }
      });
      l.stats.framesSent++;
      if (frame.key) l.stats.keyFramesSent++;
      l.index = (l.index + 1) % l.clip.frames.length;
    }
    totals.frameSlots++;
    lastTs = ts;
    lastSendMs = Date.now();
    slot++;
  };

  const tick = () => {
    const due = Math.floor((performance.now() - start) / frameMs) + 1;
    // More than 100 ms behind: skip the missed slots, as a live encoder drops frames.
    if (due - slot > Math.ceil(100 / frameMs)) {
      totals.slotsSkipped += due - slot - 1;
      slot = due - 1;
    }
    while (slot < due) sendSlot();
    timer = setTimeout(tick, Math.max(0, start + slot * frameMs - performance.now()));
  };
  tick();

  srTimer = setInterval(() => {
    for (const l of layerStates) socket.send(senderReport(l.ssrc, lastTs, lastSendMs, l.stats.packetsSent, l.stats.bytesSent), port, ip);
  }, 1000);
}

process.on('message', (msg: ToSender) => {
  if (msg.type === 'play') {
    Promise.all(msg.layers.map((l) => loadClip(l.clipFile))).then(
      (clips) => {
        target = { ip: msg.ip, port: msg.port, rtxPayloadType: msg.rtxPayloadType };
        layerStates = clips.map((clip, i) => ({
          clip,
          ssrc: msg.layers[i]!.ssrc,
          rtxSsrc: msg.layers[i]!.rtxSsrc,
          seq: Math.floor(Math.random() * 0x8000),
          rtxSeq: Math.floor(Math.random() * 0x8000),
          history: new Array<Buffer | undefined>(HISTORY),
          index: 0,
          keyWanted: false,
          keys: clip.frames.flatMap((f, k) => (f.key ? [k] : [])),
          stats: { framesSent: 0, keyFramesSent: 0, packetsSent: 0, bytesSent: 0, keyFrameRequests: 0, nacked: 0, retransmitted: 0 },
        }));
        play(msg.fps, msg.ip, msg.port, msg.payloadType);
        send({ type: 'playing' });
      },
      (err: Error) => send({ type: 'error', message: err.message }),
    );
  } else if (msg.type === 'stats') {
    send({ type: 'stats', id: msg.id, stats: { ...totals, layers: layerStates.map((l) => ({ ...l.stats })) } });
  } else if (msg.type === 'stop') {
    clearTimeout(timer);
    clearInterval(srTimer);
    socket.close();
    process.disconnect?.();
  }
});
process.on('disconnect', () => process.exit(0));
