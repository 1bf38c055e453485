import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerMediaCodecs, type WorkerPool } from '../../media';
import { recorderSdp, safeFmtp } from '../../media/sdp';
import { createTestPool } from '../support/media';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await createTestPool(1);
});
afterAll(() => pool.close());

const hostile = {
  'packetization-mode': 1,
  'profile-level-id': '42e01f',
  // A line break in a known key, and an unknown key carrying a whole media section.
  'sprop-parameter-sets': 'Z0IAH+kCgL\r\na=rtpmap:96 evil/90000',
  'x-google-evil': 'a\r\nm=video 9 RTP/AVP 96\r\na=rtcp:22',
};

describe("the recorder's SDP", () => {
  it('keeps only known format parameters with safe values', () => {
    expect(safeFmtp('video/H264', hostile)).toBe('packetization-mode=1;profile-level-id=42e01f');
    expect(safeFmtp('audio/opus', { useinbandfec: 1, stereo: 0, 'sprop-stereo': 'x;y=1', minptime: { a: 1 } })).toBe(
      'useinbandfec=1;stereo=0',
    );
    expect(safeFmtp('video/VP9', { 'profile-id': 0 })).toBe('');
    expect(safeFmtp('video/H264', { 'sprop-parameter-sets': 'Z0IAH+kCgLczBQBQbQ==,aM4G4g==' })).toBe(
      'sprop-parameter-sets=Z0IAH+kCgLczBQBQbQ==,aM4G4g==',
    );
  });

  it("a hostile producer's parameters reach the consumer, and never ffmpeg's SDP", async () => {
    const router = await pool.leastLoaded()!.createRouter({ mediaCodecs: routerMediaCodecs });
    const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
    const send = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    const producer = await send.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: hostile }],
        encodings: [{ ssrc: 1234 }],
      },
    });
    const recv = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: false });
    const consumer = await recv.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
      paused: true,
    });
    // mediasoup passes them on as they came: the SDP is where they must stop.
    expect(consumer.rtpParameters.codecs[0]!.parameters).toMatchObject({ 'x-google-evil': hostile['x-google-evil'] });

    const sdp = recorderSdp([{ kind: 'video', rtpPort: 5000, rtcpPort: 5001, rtpParameters: consumer.rtpParameters }]);
    const lines = sdp.split('\r\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('m='))).toEqual([`m=video 5000 RTP/AVP ${consumer.rtpParameters.codecs[0]!.payloadType}`]);
    expect(lines.filter((l) => l.startsWith('a=rtcp:'))).toEqual(['a=rtcp:5001']);
    expect(lines.filter((l) => l.startsWith('a=rtpmap:'))).toHaveLength(1);
    expect(sdp).not.toContain('evil');
    expect(sdp.split('\n').every((l) => l === '' || l.endsWith('\r'))).toBe(true);
    router.close();
  });
});
