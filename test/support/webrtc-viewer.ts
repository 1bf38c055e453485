import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodeDataChannel, { type PeerConnection } from 'node-datachannel';
import { makePeerCertificate, type PeerCertificate } from '../../bench/fanout/cert';
import { offerSdp, type ConsumerInfo, type TransportInfo } from '../../bench/fanout/sdp';
import type { LiveClient } from './live-client';

let certificate: PeerCertificate | undefined;

/**
 * A real WebRTC receiver (libdatachannel: ICE, DTLS, SRTP) behind a joined
 * /live client, signalled as mediasoup-client would: transport:connect with
 * its DTLS fingerprint, the offer built from the server's answers, then
 * consumer:resume. It counts the RTP packets it decrypts.
 */
export class WebRtcViewer {
  private packets = 0;
  private readonly tracks: unknown[] = [];

  private constructor(private readonly pc: PeerConnection) {}

  static async receive(client: LiveClient, transport: TransportInfo, consumers: ConsumerInfo[]): Promise<WebRtcViewer> {
    certificate ??= makePeerCertificate(mkdtempSync(path.join(tmpdir(), 'lectern-webrtc-')));
    const pc = new nodeDataChannel.PeerConnection('viewer', {
      iceServers: [],
      bindAddress: '127.0.0.1',
      enableIceTcp: false,
      certificatePemFile: certificate.certFile,
      keyPemFile: certificate.keyFile,
    });
    const viewer = new WebRtcViewer(pc);
    pc.onTrack((track) => {
      // Held: node-datachannel drops the callbacks of a Track that is garbage-collected.
      viewer.tracks.push(track);
      track.onMessage((msg) => {
        const pt = msg[1]! & 0x7f;
        if (msg.length >= 12 && (pt < 72 || pt > 78)) viewer.packets += 1;
      });
    });
    await client.ok('transport:connect', {
      transportId: transport.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: certificate.sha256 }] },
    });
    pc.setRemoteDescription(offerSdp(transport, consumers), 'offer');
    for (const c of consumers) await client.ok('consumer:resume', { consumerId: c.consumerId });
    return viewer;
  }

  get rtpPackets(): number {
    return this.packets;
  }

  close(): void {
    try {
      this.pc.close();
    } catch {
      // already closed
    }
  }
}
