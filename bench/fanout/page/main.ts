// The benchmark's own viewer page (not Lectern's player): joins the live room through Lectern's
// Socket.IO signalling with mediasoup-client, as a viewer's browser does, and times
// room:join → first decoded video frame. bench/fanout/chromium.ts opens it in Chromium.
import { Device } from 'mediasoup-client';
import { io } from 'socket.io-client';
import type { JoinResult } from '../join-result';

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

async function benchJoin(opts: { url: string; seminarId: string; timeoutMs: number }): Promise<JoinResult> {
  const now = () => performance.now();
  const tConnect = now();
  const socket = io(`${opts.url}/live`, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  const socketConnectMs = now() - tConnect;
  const req = async <T>(event: string, payload: unknown): Promise<T> => {
    const ack = (await socket.timeout(opts.timeoutMs).emitWithAck(event, payload)) as Ack<T>;
    if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  };
  const marks: Record<string, number> = {};
  const t0 = now();
  const mark = (name: string) => (marks[name] = Math.round((now() - t0) * 10) / 10);
  try {
    const joined = await req<{ routerRtpCapabilities: any; producers: Array<{ producerId: string; kind: string }> }>('room:join', {
      seminarId: opts.seminarId,
    });
    mark('joinAck');
    const device = new Device();
    await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities });
    const info = await req<any>('transport:create', { direction: 'recv' });
    mark('transportCreated');
    const transport = device.createRecvTransport(info);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      mark('transportConnect');
      req('transport:connect', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected') mark('dtlsConnected');
    });
    const consumers = [];
    for (const p of joined.producers) {
      const c = await req<any>('consume', { producerId: p.producerId, rtpCapabilities: device.rtpCapabilities });
      consumers.push(await transport.consume({ id: c.consumerId, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters }));
    }
    mark('consumed');
    const videoConsumer = consumers.find((c) => c.kind === 'video');
    if (!videoConsumer) throw new Error('no video in the room');
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.append(video);
    video.srcObject = new MediaStream(consumers.map((c) => c.track));
    let framesDecoded = 0;
    let codec = '';
    const firstFrame = new Promise<JoinResult['firstFrameBy']>((resolve) => {
      video.requestVideoFrameCallback(() => resolve('requestVideoFrameCallback'));
      const poll = async () => {
        const stats = await videoConsumer.getStats();
        stats.forEach((s: any) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded ?? 0;
          if (s.type === 'codec' && String(s.mimeType).startsWith('video/')) codec = s.mimeType;
        });
        if (framesDecoded > 0) resolve('getStats');
        else setTimeout(poll, 10);
      };
      void poll();
    });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no decoded frame within ${opts.timeoutMs} ms`)), opts.timeoutMs),
    );
    for (const c of consumers) await req('consumer:resume', { consumerId: c.id });
    mark('resumed');
    void video.play().catch(() => undefined);
    const firstFrameBy = await Promise.race([firstFrame, timeout]);
    const firstFrameMs = now() - t0;
    const stats = await videoConsumer.getStats();
    stats.forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded ?? framesDecoded;
      if (s.type === 'codec' && String(s.mimeType).startsWith('video/')) codec = s.mimeType;
    });
    transport.close();
    return {
      firstFrameMs,
      firstFrameBy,
      socketConnectMs,
      marks,
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      framesDecoded,
      handler: device.handlerName,
      codec,
    };
  } finally {
    socket.disconnect();
  }
}

(window as unknown as { benchJoin: typeof benchJoin }).benchJoin = benchJoin;
