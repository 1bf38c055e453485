import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodeDataChannel from 'node-datachannel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerMediaCodecs, type WorkerPool } from '../../media';
import { makePeerCertificate } from '../../bench/fanout/cert';
import { offerSdp } from '../../bench/fanout/sdp';
import { avProducers } from '../support/av-producers';
import { createTestPool, waitFor } from '../support/media';

// A real ICE + DTLS + SRTP peer (libdatachannel, the fan-out benchmark's viewer)
// against the worker this project builds. This is the path that segfaulted
// before the BIO-callback patch in media/worker-build/build.sh.
let pool: WorkerPool;
beforeAll(async () => {
  pool = await createTestPool(1);
});
afterAll(() => pool.close());

describe('WebRTC transport with a real DTLS peer', () => {
  it('completes ICE and DTLS, and sends SRTP the peer receives, with the worker alive', async () => {
    const worker = pool.workers[0]!;
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
    const { audio, ffmpeg } = await avProducers(router);
    try {
      const transport = await router.createWebRtcTransport({ listenInfos: [pool.listenInfo('udp')], enableUdp: true });
      const consumer = await transport.consume({ producerId: audio.id, rtpCapabilities: router.rtpCapabilities });
      const cert = makePeerCertificate(mkdtempSync(path.join(tmpdir(), 'lectern-dtls-')));
      await transport.connect({ dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: cert.sha256 }] } });

      const peer = new nodeDataChannel.PeerConnection('test', {
        iceServers: [],
        bindAddress: '127.0.0.1',
        certificatePemFile: cert.certFile,
        keyPemFile: cert.keyFile,
      });
      let packets = 0;
      peer.onTrack((track) => track.onMessage(() => (packets += 1)));
      peer.setRemoteDescription(
        offerSdp(
          {
            id: transport.id,
            iceParameters: transport.iceParameters,
            iceCandidates: transport.iceCandidates,
            dtlsParameters: transport.dtlsParameters,
          },
          [{ consumerId: consumer.id, producerId: audio.id, kind: 'audio', rtpParameters: consumer.rtpParameters }],
        ),
        'offer',
      );
      await waitFor(() => (transport.dtlsState === 'connected' ? true : undefined), 10_000, 'DTLS to connect');
      expect(transport.iceState).toMatch(/connected|completed/);
      await waitFor(() => (packets > 20 ? true : undefined), 10_000, 'SRTP packets at the peer');
      expect(worker.died).toBe(false);
      expect((await consumer.getStats()).find((s) => s.type === 'outbound-rtp')!.byteCount).toBeGreaterThan(0);
      peer.close();
    } finally {
      ffmpeg.kill('SIGKILL');
      router.close();
    }
  });
});
