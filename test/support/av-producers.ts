import type { ChildProcess } from 'node:child_process';
import type { Producer, Router } from 'mediasoup/types';
import { spawnAvSource, waitFor } from './media';

/** Producers on a router, fed by a real ffmpeg test pattern (H.264) and tone (Opus). */
export async function avProducers(
  router: Router,
  source: { picture?: string; toneHz?: number } = {},
): Promise<{ video: Producer; audio: Producer; ffmpeg: ChildProcess }> {
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  const vt = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
  const at = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
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
      encodings: [{ ssrc: 11111111 }],
    },
  });
  const audio = await at.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 22222222 }],
    },
  });
  const ffmpeg = spawnAvSource({
    ...source,
    video: { rtpPort: vt.tuple.localPort, rtcpPort: vt.rtcpTuple!.localPort, ssrc: 11111111, payloadType: 102 },
    audio: { rtpPort: at.tuple.localPort, rtcpPort: at.rtcpTuple!.localPort, ssrc: 22222222, payloadType: 111 },
  });
  await waitFor(
    async () => (((await video.getStats())[0]?.byteCount ?? 0) > 0 && ((await audio.getStats())[0]?.byteCount ?? 0) > 0 ? true : undefined),
    10_000,
    'the source to flow',
  );
  return { video, audio, ffmpeg };
}
