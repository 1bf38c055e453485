import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerMediaCodecs, type WorkerPool } from '../../media';
import { createTestPool, rtpSink, spawnRtpSource, waitFor, type TestCodec } from '../support/media';

let pool: WorkerPool;
const children: ChildProcess[] = [];

beforeAll(async () => {
  pool = await createTestPool(1);
});
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  pool.close();
});

describe('router codecs', () => {
  it('offers Opus, VP8 and H.264', async () => {
    const router = await pool.leastLoaded()!.createRouter({ mediaCodecs: routerMediaCodecs });
    const mimeTypes = router.rtpCapabilities.codecs!.map((c) => c.mimeType);
    expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));
    router.close();
  });
});

describe.each<TestCodec>(['VP8', 'H264'])('%s RTP from a real ffmpeg through a PlainTransport', (codec) => {
  it('is received by a producer and sent on by a consumer on a second transport', async () => {
    const router = await pool.leastLoaded()!.createRouter({ mediaCodecs: routerMediaCodecs });
    const ingest = await router.createPlainTransport({ listenInfo: pool.listenInfo(), rtcpMux: false, comedia: true });
    const ssrc = 22_222_222;
    const payloadType = 102;
    const producer = await ingest.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          codec === 'VP8'
            ? { mimeType: 'video/VP8', payloadType, clockRate: 90000 }
            : {
                mimeType: 'video/H264',
                payloadType,
                clockRate: 90000,
                parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
              },
        ],
        encodings: [{ ssrc }],
      },
    });

    const sink = await rtpSink();
    const egress = await router.createPlainTransport({ listenInfo: pool.listenInfo(), rtcpMux: true, comedia: false });
    await egress.connect({ ip: '127.0.0.1', port: sink.port });
    const consumer = await egress.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });

    const ffmpeg = spawnRtpSource({
      codec,
      rtpPort: ingest.tuple.localPort,
      rtcpPort: ingest.rtcpTuple!.localPort,
      ssrc,
      payloadType,
    });
    children.push(ffmpeg);

    const byteCount = async () => (await producer.getStats())[0]?.byteCount ?? 0;
    const first = await waitFor(async () => ((await byteCount()) > 0 ? byteCount() : undefined), 10_000, 'first bytes');
    const later = await waitFor(
      async () => {
        const now = await byteCount();
        return now > first + 10_000 ? now : undefined;
      },
      10_000,
      'producer byte count to grow',
    );
    expect(later).toBeGreaterThan(first);

    const consumerSsrc = consumer.rtpParameters.encodings![0]!.ssrc!;
    const consumerPt = consumer.rtpParameters.codecs[0]!.payloadType;
    // mediasoup also sends bandwidth-probation packets on an SSRC of its own; count the consumer's stream.
    const forwarded = () => sink.packets.filter((p) => p.ssrc === consumerSsrc && p.payloadType === consumerPt);
    await waitFor(() => (forwarded().length >= 50 ? true : undefined), 10_000, "the consumer's RTP at the sink");
    expect(consumer.rtpParameters.codecs[0]!.mimeType).toBe(`video/${codec}`);
    const [consumerStats] = (await consumer.getStats()).filter((s) => s.type === 'outbound-rtp');
    expect(consumerStats!.byteCount).toBeGreaterThan(0);

    ffmpeg.kill('SIGKILL');
    sink.socket.close();
    router.close();
    expect(ingest.closed && egress.closed && producer.closed && consumer.closed).toBe(true);
  });
});
