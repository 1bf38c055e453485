// The lecturer's camera and microphone for the benchmark: one ffmpeg making a 1280x720 30 fps
// test pattern with the capture time burned in (stamp.ts) and a tone, encoded as a browser would
// send it (H.264 constrained baseline, or VP8 realtime; Opus), as RTP into two PlainTransport
// producers on a router. Adapted from test/support/av-producers.ts. ffmpeg does not answer PLI,
// so a key frame is forced every 2 s of wall-clock time: the recorder asks for one every segment
// (2 s), and a consumer that starts waits at most that long for its first picture.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Producer, Router } from 'mediasoup/types';
import { FPS, HEIGHT, WIDTH, stampFilter } from './stamp';

export type SourceCodec = 'H264' | 'VP8';

/** What a browser sends for a 720p camera in this app (web/src/media.ts: top layer 1.5 Mbps). */
export const VIDEO_BITRATE = '1500k';
/**
 * A browser answers the recorder's key-frame request every segment (RECORDING_SEGMENT_SECONDS,
 * default 1); ffmpeg ignores such requests, so the source forces key frames at that rhythm.
 */
export const KEYFRAME_INTERVAL_SECONDS = 1;

export interface Source {
  codec: SourceCodec;
  video: Producer;
  audio: Producer;
  ffmpeg: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

const VIDEO_SSRC = 11111111;
const AUDIO_SSRC = 22222222;

function encoderArgs(codec: SourceCodec): string[] {
  return codec === 'H264'
    ? [
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-profile:v',
        'baseline',
        '-pix_fmt',
        'yuv420p',
        '-b:v',
        VIDEO_BITRATE,
        '-maxrate',
        VIDEO_BITRATE,
        '-bufsize',
        '750k',
        '-bsf:v',
        'h264_mp4toannexb',
      ]
    : ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-error-resilient', '1', '-b:v', VIDEO_BITRATE];
}

export async function startSource(router: Router, codec: SourceCodec, seconds = 900): Promise<Source> {
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  // ffmpeg sends RTCP from a socket of its own: no rtcp-mux, or comedia would latch onto RTCP.
  const vt = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
  const at = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
  const videoCodec =
    codec === 'H264'
      ? {
          mimeType: 'video/H264',
          payloadType: 102,
          clockRate: 90000,
          parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
        }
      : { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 };
  const video = await vt.produce({ kind: 'video', rtpParameters: { codecs: [videoCodec], encodings: [{ ssrc: VIDEO_SSRC }] } });
  const audio = await at.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: AUDIO_SSRC }],
    },
  });
  const rtp = (t: typeof vt) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple!.localPort}&pkt_size=1200`;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}`,
    '-re',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    '-filter_complex',
    stampFilter(),
    '-map',
    '[v]',
    ...encoderArgs(codec),
    '-fps_mode',
    'vfr',
    '-force_key_frames',
    `expr:gte(t,n_forced*${KEYFRAME_INTERVAL_SECONDS})`,
    '-g',
    String(10 * KEYFRAME_INTERVAL_SECONDS * FPS),
    '-ssrc',
    String(VIDEO_SSRC),
    '-payload_type',
    String(videoCodec.payloadType),
    '-f',
    'rtp',
    rtp(vt),
    '-map',
    '1:a',
    '-c:a',
    'libopus',
    '-ac',
    '2',
    '-b:a',
    '64k',
    '-ssrc',
    String(AUDIO_SSRC),
    '-payload_type',
    '111',
    '-f',
    'rtp',
    rtp(at),
  ];
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const stop = async () => {
    if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
      const exited = new Promise((r) => ffmpeg.once('exit', r));
      ffmpeg.kill('SIGKILL');
      await exited;
    }
    vt.close();
    at.close();
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = (await video.getStats())[0]?.byteCount ?? 0;
    const a = (await audio.getStats())[0]?.byteCount ?? 0;
    if (v > 0 && a > 0) break;
    if (ffmpeg.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the ${codec} source did not flow: ${stderr.trim().slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { codec, video, audio, ffmpeg, stderr: () => stderr, stop };
}
