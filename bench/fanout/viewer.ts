// One load-generating viewer: a real WebRTC peer (node-datachannel, i.e. libdatachannel:
// ICE via libjuice, DTLS and SRTP), negotiated through Lectern's own Socket.IO signalling
// exactly as the browser client does: room:join, transport:create, consume ×2,
// transport:connect with this peer's DTLS fingerprint, consumer:resume. It does not decode;
// it counts what arrives (when asked to): RTP packets, bytes, sequence gaps (loss) and marker bits (frames).
import nodeDataChannel from 'node-datachannel';
import { io, type Socket } from 'socket.io-client';
import { dtlsFromAnswer, offerSdp, type ConsumerInfo, type TransportInfo } from './sdp';

const { PeerConnection, RtcpReceivingSession } = nodeDataChannel;

export class StreamCounter {
  packets = 0;
  bytes = 0;
  frames = 0;
  /** Extended highest sequence number seen; -1 before the first packet. */
  highest = -1;
  first = -1;

  onRtp(buf: Buffer): void {
    const seq = buf.readUInt16BE(2);
    this.packets++;
    this.bytes += buf.length;
    if ((buf[1]! & 0x80) !== 0) this.frames++;
    if (this.highest < 0) {
      this.highest = seq;
      this.first = seq;
      return;
    }
    const delta = (seq - (this.highest & 0xffff) + 0x10000) & 0xffff;
    if (delta !== 0 && delta < 0x8000) this.highest += delta;
  }
}

export interface ViewerOptions {
  url: string;
  seminarId: string;
  rtpCapabilities: Record<string, unknown> | ((router: Record<string, unknown>) => Record<string, unknown>);
  timeoutMs: number;
  /** The peer's DTLS certificate (PEM files) and its SHA-256 fingerprint, known before negotiating. */
  certificate: { certFile: string; keyFile: string; sha256: string };
  /**
   * Count every packet in JavaScript (loss, frames). A viewer that does not is still a full
   * peer (ICE, DTLS, SRTP decrypted by libdatachannel, RTCP reports); it skips only the
   * per-packet callback into JavaScript, which was most of the load generator's CPU.
   */
  count: boolean;
}

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export class Viewer {
  readonly video = new StreamCounter();
  readonly audio = new StreamCounter();
  /** ms from room:join being emitted to the first complete video frame (marker bit) arriving. */
  joinToFirstFrameMs = -1;
  private socket?: Socket;
  private pc?: InstanceType<typeof PeerConnection>;
  private tracks: unknown[] = [];
  private closed = false;

  constructor(readonly name: string) {}

  async join(opts: ViewerOptions): Promise<void> {
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        this.close();
        reject(new Error(`no first frame within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
    });
    try {
      await Promise.race([this.joinInner(opts), timedOut]);
    } finally {
      clearTimeout(deadline);
    }
  }

  private async joinInner(opts: ViewerOptions): Promise<void> {
    const socket = io(`${opts.url}/live`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: opts.timeoutMs });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    const req = async <T>(event: string, payload: unknown): Promise<T> => {
      if (this.closed) throw new Error('viewer timed out');
      const ack = (await socket.timeout(opts.timeoutMs).emitWithAck(event, payload)) as Ack<T>;
      if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
      return ack.data;
    };
    const t0 = performance.now();
    const joined = await req<{ routerRtpCapabilities: Record<string, unknown>; producers: Array<{ producerId: string; kind: string }> }>(
      'room:join',
      { seminarId: opts.seminarId },
    );
    const caps = typeof opts.rtpCapabilities === 'function' ? opts.rtpCapabilities(joined.routerRtpCapabilities) : opts.rtpCapabilities;
    const transport = await req<TransportInfo>('transport:create', { direction: 'recv' });
    const consumers: ConsumerInfo[] = [];
    for (const p of [...joined.producers].sort((a, b) => a.kind.localeCompare(b.kind))) {
      consumers.push(await req<ConsumerInfo>('consume', { producerId: p.producerId, rtpCapabilities: caps }));
    }
    const videoConsumer = consumers.find((c) => c.kind === 'video');
    if (!videoConsumer) throw new Error('no video producer in the room');
    const ssrcOf = (c: ConsumerInfo | undefined) => c?.rtpParameters.encodings?.[0]?.ssrc ?? -1;
    const videoSsrc = ssrcOf(videoConsumer);
    const audioSsrc = ssrcOf(consumers.find((c) => c.kind === 'audio'));

    let firstFrame!: () => void;
    const gotFirstFrame = new Promise<void>((resolve) => (firstFrame = resolve));
    const pc = new PeerConnection(this.name, {
      iceServers: [],
      bindAddress: '127.0.0.1',
      enableIceTcp: false,
      certificatePemFile: opts.certificate.certFile,
      keyPemFile: opts.certificate.keyFile,
    });
    this.pc = pc;

    const connected = new Promise<void>((resolve) => pc.onStateChange((state) => state === 'connected' && resolve()));
    pc.onTrack((track) => {
      // Hold the track: node-datachannel drops the native callbacks of a Track that is garbage-collected.
      this.tracks.push(track);
      track.setMediaHandler(new RtcpReceivingSession());
      if (!opts.count) return;
      track.onMessage((msg) => {
        const buf = msg;
        if (buf.length < 12) return;
        const pt = buf[1]!;
        if (pt >= 192 && pt <= 223) return; // RTCP
        const ssrc = buf.readUInt32BE(8);
        if (ssrc === videoSsrc) {
          this.video.onRtp(buf);
          if (this.joinToFirstFrameMs < 0 && this.video.frames > 0) {
            this.joinToFirstFrameMs = performance.now() - t0;
            firstFrame();
          }
        } else if (ssrc === audioSsrc) this.audio.onRtp(buf);
      });
    });
    // As mediasoup-client does: transport:connect before ICE starts. This peer answers the
    // offer with a=setup:active, so it is the DTLS client; its certificate is known up front.
    await req('transport:connect', {
      transportId: transport.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: opts.certificate.sha256 }] },
    });
    const answered = new Promise<string>((resolve) => pc.onLocalDescription((sdp) => resolve(sdp)));
    pc.setRemoteDescription(offerSdp(transport, consumers), 'offer');
    const answer = pc.localDescription()?.sdp ?? (await answered);
    const dtls = dtlsFromAnswer(answer);
    if (dtls.role !== 'client' || dtls.fingerprints[0]!.value !== opts.certificate.sha256.toUpperCase()) {
      throw new Error(`the peer answered with DTLS ${JSON.stringify(dtls)}, not what transport:connect said`);
    }
    for (const c of consumers) await req('consumer:resume', { consumerId: c.consumerId });
    await (opts.count ? gotFirstFrame : connected);
    if (this.closed) throw new Error('viewer timed out');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.pc?.close();
    } catch {
      /* already closed */
    }
    this.socket?.disconnect();
  }
}
