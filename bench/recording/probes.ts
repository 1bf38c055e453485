// Two viewers that read the burned-in capture time (stamp.ts) off what they decode.
//
// - WebRTC side: a consumer of the camera producer on a PlainTransport of the same router, into
//   an ffmpeg decoder that writes each frame's strip to a pipe as soon as it is decoded
//   (low_delay: no frame threading; nobuffer; flush per frame). Latency = arrival of the decoded
//   strip in this process − capture time. A browser adds its jitter buffer and rendering.
// - HLS side: polls the live playlist over HTTP as a player does; when a new segment is listed,
//   notes the time, fetches and decodes the segment and reads its first and last frames.
//   Availability latency = listed − capture time of the segment's last frame: how old the newest
//   picture a player can have is, at the moment it can have it.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Router } from 'mediasoup/types';
import { freeRtpPortPair } from '../../media/ports';
import { recorderSdp } from '../../media/sdp';
import { STRIP_OUTPUT, StripFrames, readStamp } from './stamp';

export interface WebRtcProbe {
  /** Latencies (ms) of frames decoded since the last take(). */
  take(): { latenciesMs: number[]; unreadable: number };
  stop(): Promise<void>;
}

export async function webrtcProbe(router: Router, producerId: string, dir: string): Promise<WebRtcProbe> {
  const { rtpPort, rtcpPort } = await freeRtpPortPair();
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: rtpPort, rtcpPort });
  const consumer = await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities, paused: true });
  const sdpPath = path.join(dir, `webrtc-probe-${rtpPort}.sdp`);
  await writeFile(sdpPath, recorderSdp([{ kind: 'video', rtpPort, rtcpPort, rtpParameters: consumer.rtpParameters }]));
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostats',
      '-protocol_whitelist',
      'file,udp,rtp',
      '-fflags',
      'nobuffer',
      '-flags',
      'low_delay',
      '-threads',
      '1',
      '-probesize',
      '32',
      '-analyzeduration',
      '0',
      '-f',
      'sdp',
      '-i',
      sdpPath,
      '-map',
      '0:v:0',
      ...STRIP_OUTPUT,
      '-flush_packets',
      '1',
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let latencies: number[] = [];
  let unreadable = 0;
  const frames = new StripFrames((frame) => {
    const now = Date.now();
    const t = readStamp(frame, 0, now);
    if (t === undefined) unreadable++;
    else latencies.push(now - t);
  });
  ffmpeg.stdout.on('data', (d: Buffer) => frames.push(d));
  await new Promise((r) => setTimeout(r, 300)); // ffmpeg binds its ports while it reads the SDP
  await consumer.resume();
  await consumer.requestKeyFrame();
  return {
    take() {
      const out = { latenciesMs: latencies, unreadable };
      latencies = [];
      unreadable = 0;
      return out;
    },
    async stop() {
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
        const exited = new Promise((r) => ffmpeg.once('exit', r));
        ffmpeg.kill('SIGKILL');
        await exited;
      }
      transport.close();
      if (stderr.trim() && process.env.BENCH_DEBUG) process.stderr.write(`[webrtc probe] ${stderr.trim().slice(-300)}\n`);
    },
  };
}

/** Capture times (epoch ms) of the first and last frames of a segment, and how many frames it holds. */
export async function segmentStamps(
  bytes: Buffer,
  now: number,
): Promise<{ first?: number; last?: number; frames: number; distinct: number; unreadable: number }> {
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'mpegts', '-i', 'pipe:0', '-map', '0:v:0', ...STRIP_OUTPUT, 'pipe:1'],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
  const stamps: Array<number | undefined> = [];
  const frames = new StripFrames((frame) => stamps.push(readStamp(frame, 0, now)));
  child.stdout.on('data', (d: Buffer) => frames.push(d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(bytes);
  await new Promise((r) => child.once('close', r));
  const readable = stamps.filter((s): s is number => s !== undefined);
  return {
    ...(stamps[0] !== undefined ? { first: stamps[0] } : {}),
    ...(stamps.at(-1) !== undefined ? { last: stamps.at(-1)! } : {}),
    frames: stamps.length,
    distinct: new Set(readable).size,
    unreadable: stamps.length - readable.length,
  };
}

export interface HlsSegmentSample {
  uri: string;
  /** The segment's duration from the playlist (s). */
  duration: number;
  /** Listed in the playlist − capture time of its last frame (ms): availability latency. */
  newestFrameAgeMs: number;
  /** Listed − capture time of its first frame (ms). */
  oldestFrameAgeMs: number;
  frames: number;
  /** EXT-X-TARGETDURATION of the playlist that listed it (s): hls.js stays at least this far behind the edge. */
  targetDuration: number;
  /** Different pictures among them (fewer than frames where the recorder repeated frames to keep a constant rate). */
  distinctFrames: number;
}

export interface HlsProbe {
  take(): Promise<{ segments: HlsSegmentSample[]; unreadable: number; polls: number }>;
  stop(): Promise<void>;
}

/**
 * Polls `playlistUrl` every `pollMs` (the interval bounds how late a new segment is seen).
 * Segments listed at the first poll are skipped: when they appeared is unknown.
 */
export function hlsProbe(playlistUrl: string, pollMs = 50): HlsProbe {
  const seen = new Set<string>();
  let first = true;
  let stopped = false;
  let polls = 0;
  let unreadable = 0;
  let samples: HlsSegmentSample[] = [];
  const pending = new Set<Promise<void>>();
  const base = playlistUrl.slice(0, playlistUrl.lastIndexOf('/') + 1);

  const measure = async (uri: string, duration: number, listedAt: number, targetDuration: number) => {
    const res = await fetch(base + uri);
    if (res.status !== 200) {
      unreadable++;
      return;
    }
    const s = await segmentStamps(Buffer.from(await res.arrayBuffer()), listedAt);
    if (s.first === undefined || s.last === undefined) {
      unreadable++;
      return;
    }
    unreadable += s.unreadable;
    samples.push({
      uri,
      duration,
      newestFrameAgeMs: listedAt - s.last,
      oldestFrameAgeMs: listedAt - s.first,
      frames: s.frames,
      distinctFrames: s.distinct,
      targetDuration,
    });
  };

  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const res = await fetch(playlistUrl, { headers: { 'cache-control': 'no-cache' } });
        const text = res.status === 200 ? await res.text() : '';
        const listedAt = Date.now();
        polls++;
        let duration = 0;
        const targetDuration = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)?.[1] ?? NaN);
        for (const line of text.split('\n').map((l) => l.trim())) {
          if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
          else if (line && !line.startsWith('#') && !seen.has(line)) {
            seen.add(line);
            if (first) continue;
            const p = measure(line, duration, listedAt, targetDuration).catch(() => void unreadable++);
            pending.add(p);
            void p.finally(() => pending.delete(p));
          }
        }
        if (res.status === 200) first = false;
      } catch {
        // the server is busy or the seminar just ended; try again
      }
      await new Promise((r) => setTimeout(r, Math.max(0, pollMs - (Date.now() - started))));
    }
  })();

  return {
    async take() {
      await Promise.all([...pending]);
      const out = { segments: samples, unreadable, polls };
      samples = [];
      unreadable = 0;
      polls = 0;
      return out;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...pending]);
    },
  };
}
