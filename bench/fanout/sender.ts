// Child process: plays the lecturer's clip (clip.ts) as H.264 RTP into a mediasoup
// PlainTransport (rtcpMux, the transport connected to this socket), paced at the clip's frame
// rate, with an RTCP sender report every second. A PLI or FIR from mediasoup (sent when a
// viewer's consumer resumes) makes the next frame sent the clip's next key frame, as a live
// encoder would answer it. Its own process, so a busy event loop elsewhere does not bend the pacing.
import { createSocket } from 'node:dgram';
import { loadClip, type Clip } from './clip';
import { h264Fragments, parseFeedback, rtpHeader, senderReport } from './rtp';
import type { SenderMessage } from './lecturer-io';

export type ToSender =
  | { type: 'play'; clipFile: string; ip: string; port: number; payloadType: number; ssrc: number }
  | { type: 'stats'; id: number }
  | { type: 'stop' };
export type FromSender = SenderMessage<SenderStats>;

export interface SenderStats {
  framesSent: number;
  keyFramesSent: number;
  packetsSent: number;
  bytesSent: number;
  keyFrameRequests: number;
  /** Frame slots skipped because the process was late by more than 100 ms. */
  framesSkipped: number;
}

function send(msg: FromSender): void {
  process.send?.(msg);
}

const socket = createSocket('udp4');
const stats: SenderStats = { framesSent: 0, keyFramesSent: 0, packetsSent: 0, bytesSent: 0, keyFrameRequests: 0, framesSkipped: 0 };
let keyFrameWanted = false;
let timer: NodeJS.Timeout | undefined;
let srTimer: NodeJS.Timeout | undefined;

socket.on('message', (msg) => {
  for (const f of parseFeedback(msg)) {
    if (f.kind !== 'keyframe') continue;
    keyFrameWanted = true;
    stats.keyFrameRequests++;
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
    const header = rtpHeader(payloadType, marker, seq, ts, ssrc);
    seq = (seq + 1) & 0xffff;
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
      for (const f of h264Fragments(nal)) packets.push(packet(f.parts, lastNal && f.endsNal, ts));
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
    socket.send(senderReport(ssrc, lastRtpTs, lastSendMs, stats.packetsSent, stats.bytesSent), port, ip);
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
