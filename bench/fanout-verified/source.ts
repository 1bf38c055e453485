// The lecturer's stream for the verified fan-out benchmark: the camera as three simulcast
// layers with the studio page's sizes and bitrates (web/src/media.ts CAMERA_LAYERS: 320x180
// 150 kb/s, 640x360 500 kb/s, 1280x720 1.5 Mb/s, H.264 constrained baseline, L1T1), played by
// sender.ts into one PlainTransport producer with three encodings, and Opus from ffmpeg; both
// injected on the room's origin router and announced with room.publish(), as the lecturer's own
// producers are. Without a browser's rid header extension the layers are told apart by SSRC.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lectern } from '../../server/main';
import { encodeH264 } from '../fanout/clip';
import { forkSender, h264Codec, produceOpusTone } from '../fanout/lecturer-io';
import type { LayerSpec, SimulcastStats, ToSender } from './sender';

const here = path.dirname(fileURLToPath(import.meta.url));

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
  for (const l of layerSettings) {
    const out = path.join(dir, `layer-${l.height}p.h264`);
    await encodeH264(out, {
      input: `testsrc2=size=1280x720:rate=${clipSettings.fps}`,
      scale: `${l.width}:${l.height}`,
      seconds: clipSettings.seconds,
      bitrateKbps: l.bitrateKbps,
      gopFrames: clipSettings.fps * clipSettings.keyIntervalSeconds,
      ffmpeg,
    });
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
    const sender = await forkSender<SimulcastStats>(path.join(here, 'sender.ts'));
    children.push(sender.child);
    const videoIn = await room.origin.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
    await videoIn.connect({ ip: '127.0.0.1', port: sender.port });
    const base = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);
    const layers: LayerSpec[] = layerFiles.map((clipFile, i) => ({ clipFile, ssrc: base + i, rtxSsrc: base + 8 + i }));
    const video = await videoIn.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [h264Codec(VIDEO_PT), { mimeType: 'video/rtx', payloadType: RTX_PT, clockRate: 90000, parameters: { apt: VIDEO_PT } }],
        encodings: layers.map((l) => ({ ssrc: l.ssrc, rtx: { ssrc: l.rtxSsrc }, scalabilityMode: 'L1T1' })),
        rtcp: { cname: 'lecturer' },
      },
      // As a lecturer's camera gets it from Peer.produce: the viewers' key-frame requests held to one per layer a delay.
      ...(app.config.live.keyFrameRequestDelayMs ? { keyFrameRequestDelay: app.config.live.keyFrameRequestDelayMs } : {}),
      appData: { source: 'camera' },
    });
    const play: ToSender = {
      type: 'play',
      layers,
      fps: clipSettings.fps,
      ip: '127.0.0.1',
      port: videoIn.tuple.localPort,
      payloadType: VIDEO_PT,
      rtxPayloadType: RTX_PT,
    };
    sender.child.send(play);
    await sender.playing;

    const audio = await produceOpusTone(room.origin, listenInfo, base + 16, AUDIO_PT, maxSeconds);
    children.push(audio.process);

    await room.publish(peer, video, 'camera');
    await room.publish(peer, audio.producer, 'mic');
    return {
      videoProducerId: video.id,
      audioProducerId: audio.producer.id,
      pids: children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
      stats: sender.stats,
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}
