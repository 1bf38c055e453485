// Diagnostic, not part of the benchmark: does one DTLS handshake with the mediasoup worker complete?
// Uses mediasoup directly (no Lectern code): a WebRtcTransport, connect() with a libdatachannel
// peer's fingerprint, then that peer (node-datachannel) runs ICE and DTLS against it.
//   node --import tsx bench/fanout/dtls-probe.ts            # the worker's generated certificate
//   node --import tsx bench/fanout/dtls-probe.ts cert       # a certificate from files
//   node --import tsx bench/fanout/dtls-probe.ts nouring    # with liburing disabled
// Prints "RESULT handshake ok", or "RESULT worker died: ..." (SIGSEGV with the worker built by
// media/worker-build against Debian 12's libraries, when this was written).
import * as mediasoup from 'mediasoup';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodeDataChannel from 'node-datachannel';
import { makePeerCertificate } from './cert';
import { offerSdp } from './sdp';

const dir = mkdtempSync(path.join(tmpdir(), 'dtls-probe-'));
const cert = makePeerCertificate(dir);
const workerCert = process.argv[2] === 'cert' ? makePeerCertificate(mkdtempSync(path.join(tmpdir(), 'dtls-probe-w-'))) : undefined;
const worker = await mediasoup.createWorker({
  logLevel: 'warn',
  ...(process.argv.includes('nouring') ? { disableLiburing: true } : {}),
  ...(workerCert ? { dtlsCertificateFile: workerCert.certFile, dtlsPrivateKeyFile: workerCert.keyFile } : {}),
});
worker.on('died', (e) => {
  console.log('RESULT worker died:', e.message);
  process.exit(1);
});
const router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
const t = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
t.on('dtlsstatechange', (s) => {
  console.log('dtls', s);
  if (s === 'connected') {
    console.log('RESULT handshake ok');
    process.exit(0);
  }
});
await t.connect({ dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: cert.sha256 }] } });
const pc = new nodeDataChannel.PeerConnection('probe', {
  iceServers: [],
  bindAddress: '127.0.0.1',
  certificatePemFile: cert.certFile,
  keyPemFile: cert.keyFile,
});
const sdp = offerSdp({ id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters }, [
  {
    consumerId: 'x',
    producerId: 'y',
    kind: 'audio',
    rtpParameters: {
      mid: '0',
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 1111 }],
    },
  },
]);
pc.setRemoteDescription(sdp, 'offer');
setTimeout(() => {
  console.log('RESULT timeout', pc.state(), t.iceState, t.dtlsState);
  process.exit(2);
}, 5000);
