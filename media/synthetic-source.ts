import { spawn, type ChildProcess } from 'node:child_process';
import type { PlainTransport, Producer, Router } from 'mediasoup/types';

// A lecturer made of ffmpeg test sources: a test pattern (H.264) and a tone (Opus) sent
// over RTP into plain transports on a room's router, so everything downstream (the
// recorder, HLS, playback) runs exactly as for a real camera. The demo portal's recorded
// lesson is made this way.

export interface SyntheticSource {
  video: Producer;
  audio: Producer;
  /** Stops ffmpeg and closes the transports (and so the producers). Safe twice. */
  close(): void;
}

const VIDEO_SSRC = 11111111;
const AUDIO_SSRC = 22222222;

export async function syntheticSource(
  router: Router,
  opts: { ffmpegBin: string; seconds: number; picture?: string; toneHz?: number },
): Promise<SyntheticSource> {
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  const transports: PlainTransport[] = [];
  let ffmpeg: ChildProcess | undefined;
  const close = () => {
    ffmpeg?.kill('SIGKILL');
    for (const t of transports) t.close();
  };
  try {
    const vt = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    transports.push(vt);
    const at = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    transports.push(at);
    const video = await vt.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: 102,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
          },
        ],
        encodings: [{ ssrc: VIDEO_SSRC }],
      },
    });
    const audio = await at.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: AUDIO_SSRC }],
      },
    });
    const rtp = (t: PlainTransport) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple!.localPort}&pkt_size=1200`;
    // -re: in real time, as a camera would send.
    const args = [
      ...['-hide_banner', '-loglevel', 'error', '-re'],
      ...['-f', 'lavfi', '-i', opts.picture ?? 'testsrc2=size=640x360:rate=25'],
      ...['-f', 'lavfi', '-i', `sine=frequency=${opts.toneHz ?? 440}:sample_rate=48000`],
      ...['-t', String(opts.seconds)],
      ...['-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline'],
      ...['-pix_fmt', 'yuv420p', '-g', '25', '-bsf:v', 'h264_mp4toannexb'],
      ...['-ssrc', String(VIDEO_SSRC), '-payload_type', '102', '-f', 'rtp', rtp(vt)],
      ...['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '64k'],
      ...['-ssrc', String(AUDIO_SSRC), '-payload_type', '111', '-f', 'rtp', rtp(at)],
    ];
    ffmpeg = spawn(opts.ffmpegBin, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    await flowing([video, audio], 15_000);
    return { video, audio, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Waits until every producer has received bytes. */
async function flowing(producers: Producer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bytes = await Promise.all(producers.map(async (p) => (await p.getStats())[0]?.byteCount ?? 0));
    if (bytes.every((b) => b > 0)) return;
    if (Date.now() > deadline) throw new Error(`the synthetic source sent nothing within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
