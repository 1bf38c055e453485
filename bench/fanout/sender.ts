// Child process: plays the lecturer's clip (clip.ts) as H.264 RTP into a mediasoup
// PlainTransport (rtcpMux, the transport connected to this socket), paced at the clip's frame
// rate, with an RTCP sender report every second. A PLI or FIR from mediasoup (sent when a
// viewer's consumer resumes) makes the next frame sent the clip's next key frame, as a live
// encoder would answer it. Its own process, so a busy event loop elsewhere does not bend the pacing.
import { createSocket } from 'node:dgram';
import { loadClip, type Clip } from './clip';

export type ToSender =
  | { type: 'play'; clipFile: string; ip: string; port: number; payloadType: number; ssrc: number }
  | { type: 'stats'; id: number }
  | { type: 'stop' };
export type FromSender =
  | { type: 'bound'; port: number }
  | { type: 'playing' }
  | { type: 'stats'; id: number; stats: SenderStats }
  | { type: 'error'; message: string };

export interface SenderStats {
  framesSent: number;
  keyFramesSent: number;
  packetsSent: number;
  bytesSent: number;
  keyFrameRequests: number;
  /** Frame slots skipped because the process was late by more than 100 ms. */
  framesSkipped: number;
}

const MTU_PAYLOAD = 1200;

function send(msg: FromSender): void {
  process.send?.(msg);
}

const socket = createSocket('udp4');
const stats: SenderStats = { framesSent: 0, keyFramesSent: 0, packetsSent: 0, bytesSent: 0, keyFrameRequests: 0, framesSkipped: 0 };
let keyFrameWanted = false;
let timer: NodeJS.Timeout | undefined;
let srTimer: NodeJS.Timeout | undefined;

socket.on('message', (msg) => {
  // RTCP (possibly compound): look for PSFB (206) with FMT 1 (PLI) or 4 (FIR).
  let off = 0;
  while (off + 4 <= msg.length) {
    const fmt = msg[off]! & 0x1f;
    const pt = msg[off + 1]!;
    const len = (msg.readUInt16BE(off + 2) + 1) * 4;
    if (pt === 206 && (fmt === 1 || fmt === 4)) {
      keyFrameWanted = true;
      stats.keyFrameRequests++;
    }
    off += len;
  }
});

socket.bind(0, '127.0.0.1', () => send({ type: 'bound', port: socket.address().port }));

function play(clip: Clip, ip: string, port: number, payloadType: number, ssrc: number): void {
  const frameMs = 1000 / clip.fps;
  const tsStep = 90000 / clip.fps;
  const keyIndexes = clip.frames.flatMap((f, i) => (f.key ? [i] : []));
  let seq = Math.floor(Math.random() * 0x8000);
  let index = 0;
  let frameNo = 0;
  const tsBase = Math.floor(Math.random() * 0x7fffffff);
  const start = performance.now();
  let lastRtpTs = tsBase;
  let lastSendMs = Date.now();

  const packet = (payload: Buffer[], marker: boolean, ts: number): Buffer => {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = (marker ? 0x80 : 0) | payloadType;
    header.writeUInt16BE(seq, 2);
    seq = (seq + 1) & 0xffff;
    header.writeUInt32BE(ts >>> 0, 4);
    header.writeUInt32BE(ssrc >>> 0, 8);
    return Buffer.concat([header, ...payload]);
  };

  const sendFrame = () => {
    if (keyFrameWanted && !clip.frames[index]!.key) {
      index = keyIndexes.find((k) => k > index) ?? keyIndexes[0]!;
    }
    const frame = clip.frames[index]!;
    if (frame.key) keyFrameWanted = false;
    const ts = (tsBase + frameNo * tsStep) >>> 0;
    const packets: Buffer[] = [];
    frame.nals.forEach((nal, n) => {
      const lastNal = n === frame.nals.length - 1;
      if (nal.length <= MTU_PAYLOAD) {
        packets.push(packet([nal], lastNal, ts));
        return;
      }
      // FU-A
      const indicator = (nal[0]! & 0xe0) | 28;
      const type = nal[0]! & 0x1f;
      for (let off = 1; off < nal.length; off += MTU_PAYLOAD - 2) {
        const end = Math.min(off + MTU_PAYLOAD - 2, nal.length);
        const fuHeader = (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
        packets.push(packet([Buffer.from([indicator, fuHeader]), nal.subarray(off, end)], lastNal && end === nal.length, ts));
      }
    });
    for (const p of packets) {
      socket.send(p, port, ip);
      stats.packetsSent++;
      stats.bytesSent += p.length;
    }
    stats.framesSent++;
    if (frame.key) stats.keyFramesSent++;
    lastRtpTs = ts;
    lastSendMs = Date.now();
    index = (index + 1) % clip.frames.length;
    frameNo++;
  };

  const tick = () => {
    const now = performance.now();
    let due = Math.floor((now - start) / frameMs) + 1;
    // More than 100 ms behind: skip the missed slots, as a live encoder drops frames.
    if (due - frameNo > Math.ceil(100 / frameMs)) {
      stats.framesSkipped += due - frameNo - 1;
      frameNo = due - 1;
    }
    while (frameNo < due) sendFrame();
    due = frameNo;
    timer = setTimeout(tick, Math.max(0, start + due * frameMs - performance.now()));
  };
  tick();

  // RTCP sender report, so receivers can map RTP time to wall-clock time.
  srTimer = setInterval(() => {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(ssrc >>> 0, 4);
    const nowMs = Date.now();
    const ntpSec = Math.floor(nowMs / 1000) + 2208988800;
    const ntpFrac = Math.floor(((nowMs % 1000) / 1000) * 2 ** 32);
    sr.writeUInt32BE(ntpSec >>> 0, 8);
    sr.writeUInt32BE(ntpFrac >>> 0, 12);
    sr.writeUInt32BE((lastRtpTs + Math.round(((nowMs - lastSendMs) * 90000) / 1000)) >>> 0, 16);
    sr.writeUInt32BE(stats.packetsSent >>> 0, 20);
    sr.writeUInt32BE(stats.bytesSent >>> 0, 24);
    socket.send(sr, port, ip);
  }, 1000);
}

process.on('message', (msg: ToSender) => {
  if (msg.type === 'play') {
    loadClip(msg.clipFile).then(
      (clip) => {
        play(clip, msg.ip, msg.port, msg.payloadType, msg.ssrc);
        send({ type: 'playing' });
      },
      (err: Error) => send({ type: 'error', message: err.message }),
    );
  } else if (msg.type === 'stats') {
    send({ type: 'stats', id: msg.id, stats: { ...stats } });
  } else if (msg.type === 'stop') {
    clearTimeout(timer);
    clearInterval(srTimer);
    socket.close();
    process.disconnect?.();
  }
});
process.on('disconnect', () => process.exit(0));
