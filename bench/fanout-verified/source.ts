// The lecturer's stream for the verified fan-out benchmark: the camera as three simulcast
// layers with the studio page's sizes and bitrates (web/src/media.ts CAMERA_LAYERS: 320x180
// 150 kb/s, 640x360 500 kb/s, 1280x720 1.5 Mb/s, H.264 constrained baseline, L1T1), played by
// sender.ts into one PlainTransport producer with three encodings, and Opus from ffmpeg; both
// injected on the room's origin router and announced with room.publish(), as the lecturer's own
// producers are. Without a browser's rid header extension the layers are told apart by SSRC.
import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Lectern } from '../../server/main';
import type { FromSender, LayerSpec, SimulcastStats, ToSender } from './sender';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

export const layerSettings = [
  { width: 320, height: 180, bitrateKbps: 150 },
  { width: 640, height: 360, bitrateKbps: 500 },
  { width: 1280, height: 720, bitrateKbps: 1500 },
];
/** A browser's encoder sends a key frame only when asked; the clip's own come once per loop. */
export const clipSettings = { fps: 30, seconds: 12, keyIntervalSeconds: 12 };

/** Encodes the three layers (same picture, three sizes) under `dir`; returns their paths, low to high. */
export async function encodeLayers(dir: string, ffmpeg = process.env.FFMPEG_BIN ?? 'ffmpeg'): Promise<string[]> {
  const files: string[] = [];
  const gop = clipSettings.fps * clipSettings.keyIntervalSeconds;
  for (const l of layerSettings) {
    const out = path.join(dir, `layer-${l.height}p.h264`);
    await run(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1280x720:rate=${clipSettings.fps}`,
      '-t',
      String(clipSettings.seconds),
      '-vf',
      `scale=${l.width}:${l.height}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-profile:v',
      'baseline',
      '-level',
      '3.1',
      '-pix_fmt',
      'yuv420p',
      '-b:v',
      `${l.bitrateKbps}k`,
      '-maxrate',
      `${l.bitrateKbps}k`,
      '-bufsize',
      `${l.bitrateKbps}k`,
      '-g',
      String(gop),
      '-keyint_min',
      String(gop),
      '-sc_threshold',
      '0',
      '-x264-params',
      'repeat-headers=1:aud=1',
      '-bsf:v',
      'h264_mp4toannexb',
      '-f',
      'h264',
      out,
    ]);
    files.push(out);
  }
  return files;
}

export interface SimulcastSource {
  videoProducerId: string;
  audioProducerId: string;
  pids: number[];
  stats(): Promise<SimulcastStats>;
  stop(): void;
}

const VIDEO_PT = 102;
const RTX_PT = 103;
const AUDIO_PT = 100;

export async function startSimulcastSource(
  app: Lectern,
  seminarId: string,
  lecturerId: string,
  layerFiles: string[],
  maxSeconds: number,
): Promise<SimulcastSource> {
  const room = await app.rooms.get(seminarId);
  const peer = await room.join('bench-lecturer', lecturerId);
  const listenInfo = app.pool.listenInfo('udp');
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  try {
    const sender = fork(path.join(here, 'sender.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(sender);
    const waiting = new Map<number, (s: SimulcastStats) => void>();
    let nextId = 1;
    const events = new Promise<void>((resolve, reject) => {
      sender.on('message', (msg: FromSender) => {
        if (msg.type === 'playing') resolve();
        else if (msg.type === 'error') reject(new Error(`sender: ${msg.message}`));
        else if (msg.type === 'stats') {
          waiting.get(msg.id)?.(msg.stats);
          waiting.delete(msg.id);
        }
      });
      sender.once('exit', (code) => reject(new Error(`sender exited (${code})`)));
    });
    events.catch(() => undefined);
    const senderPort = await Promise.race([
      new Promise<number>((resolve) => sender.on('message', (m: FromSender) => m.type === 'bound' && resolve(m.port))),
      events.then(() => -1),
    ]);
    const videoIn = await room.origin.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
    await videoIn.connect({ ip: '127.0.0.1', port: senderPort });
    const base = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);
    const layers: LayerSpec[] = layerFiles.map((clipFile, i) => ({ clipFile, ssrc: base + i, rtxSsrc: base + 8 + i }));
    const video = await videoIn.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: VIDEO_PT,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
          },
          { mimeType: 'video/rtx', payloadType: RTX_PT, clockRate: 90000, parameters: { apt: VIDEO_PT } },
        ],
        encodings: layers.map((l) => ({ ssrc: l.ssrc, rtx: { ssrc: l.rtxSsrc }, scalabilityMode: 'L1T1' })),
        rtcp: { cname: 'lecturer' },
      },
      appData: { source: 'camera' },
    });
    sender.send({
      type: 'play',
      layers,
      fps: clipSettings.fps,
      ip: '127.0.0.1',
      port: videoIn.tuple.localPort,
      payloadType: VIDEO_PT,
      rtxPayloadType: RTX_PT,
    } satisfies ToSender);
    await events;

    const audioIn = await room.origin.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    const audioSsrc = base + 16;
    const audio = await audioIn.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
        encodings: [{ ssrc: audioSsrc }],
        rtcp: { cname: 'lecturer' },
      },
      appData: { source: 'mic' },
    });
    const ffmpeg = spawn(
      process.env.FFMPEG_BIN ?? 'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
        ...['-t', String(maxSeconds), '-ac', '2', '-c:a', 'libopus', '-b:a', '64k', '-application', 'voip', '-frame_duration', '20'],
        ...['-ssrc', String(audioSsrc), '-payload_type', String(AUDIO_PT), '-f', 'rtp'],
        `rtp://127.0.0.1:${audioIn.tuple.localPort}?rtcpport=${audioIn.rtcpTuple!.localPort}&pkt_size=1200`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(ffmpeg);

    await room.publish(peer, video, 'camera');
    await room.publish(peer, audio, 'mic');
    return {
      videoProducerId: video.id,
      audioProducerId: audio.id,
      pids: children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
      stats: () =>
        new Promise<SimulcastStats>((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, resolve);
          sender.send({ type: 'stats', id } satisfies ToSender);
          setTimeout(() => reject(new Error('sender did not answer')), 5000).unref();
        }),
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}
