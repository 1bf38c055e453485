import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { createLogger } from '../../server/logger';
import { WorkerPool, type WorkerAllocator } from '../../media';
import { liveH264, pictureAndTone, quiet } from './ffmpeg';

export const silentLogger = createLogger('silent');

/** A pool on loopback; WebRTC ports free ones (rtcPort 0) unless the test names a base port. */
export function createTestPool(size: number, opts: { rtcPort?: number; allocator?: WorkerAllocator } = {}): Promise<WorkerPool> {
  return WorkerPool.create({
    size,
    listenIp: '127.0.0.1',
    rtcPort: opts.rtcPort ?? 0,
    // As production runs them (MEDIASOUP_WORKER_ALLOCATOR's default).
    allocator: opts.allocator ?? 'mimalloc',
    rtcMinPort: 41000,
    rtcMaxPort: 49999,
    logger: silentLogger,
  });
}

export type TestCodec = 'VP8' | 'H264';

/**
 * A real ffmpeg sending a test pattern as RTP to a mediasoup PlainTransport.
 * ffmpeg sends RTCP from a socket of its own, so the transport must not mux
 * RTCP (its comedia tuple would latch onto the RTCP socket). Key frames every
 * 10 frames, so a consumer starts forwarding quickly.
 */
export function spawnRtpSource(opts: {
  codec: TestCodec;
  rtpPort: number;
  rtcpPort: number;
  ssrc: number;
  payloadType: number;
}): ChildProcess {
  const encoder = opts.codec === 'VP8' ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k'] : liveH264;
  const args = [
    ...[...quiet, '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '30', '-g', '10', ...encoder, '-an'],
    ...['-ssrc', String(opts.ssrc), '-payload_type', String(opts.payloadType), '-f', 'rtp'],
    `rtp://127.0.0.1:${opts.rtpPort}?rtcpport=${opts.rtcpPort}&pkt_size=1200`,
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A UDP socket on loopback that records the RTP headers it receives. */
export async function rtpSink(): Promise<{ socket: Socket; port: number; packets: Array<{ payloadType: number; ssrc: number }> }> {
  const socket = createSocket('udp4');
  const packets: Array<{ payloadType: number; ssrc: number }> = [];
  socket.on('message', (msg) => {
    const payloadType = msg[1]! & 0x7f;
    // RTCP packet types 200-206 show up as payload types 72-78 here; keep RTP only.
    if (msg.length >= 12 && (payloadType < 72 || payloadType > 78)) packets.push({ payloadType, ssrc: msg.readUInt32BE(8) });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, packets };
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A real ffmpeg sending H.264 video and Opus audio as two RTP streams (a test pattern and a 440 Hz tone unless told). */
export function spawnAvSource(opts: {
  video: { rtpPort: number; rtcpPort: number; ssrc: number; payloadType: number };
  audio: { rtpPort: number; rtcpPort: number; ssrc: number; payloadType: number };
  seconds?: number;
  /** A lavfi video source at 640x360, 25 fps. */
  picture?: string;
  toneHz?: number;
}): ChildProcess {
  const rtp = (t: { rtpPort: number; rtcpPort: number }) => `rtp://127.0.0.1:${t.rtpPort}?rtcpport=${t.rtcpPort}&pkt_size=1200`;
  const args = [
    ...[...quiet, '-re', ...pictureAndTone(opts.picture ?? 'testsrc2=size=640x360:rate=25', { toneHz: opts.toneHz })],
    ...['-t', String(opts.seconds ?? 60), '-map', '0:v', ...liveH264, '-g', '25'],
    ...['-ssrc', String(opts.video.ssrc), '-payload_type', String(opts.video.payloadType), '-f', 'rtp', rtp(opts.video)],
    ...['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '64k'],
    ...['-ssrc', String(opts.audio.ssrc), '-payload_type', String(opts.audio.payloadType), '-f', 'rtp', rtp(opts.audio)],
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Whether a process exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether UDP and TCP can both bind this port on loopback right now. */
export async function portFree(port: number): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!udp) return false;
  return new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A base port whose `count` ports are free for UDP and TCP, below the
 * kernel's ephemeral range and outside the internal range the test pools use.
 */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no run of ${count} free ports`);
}
