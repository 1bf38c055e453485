import { Device } from 'mediasoup-client';
import type { Producer, RtpCapabilities, Transport } from 'mediasoup-client/types';

// A viewer of the watch page going on stage, as the test drives it: a send transport with
// camera and microphone producers, signalled through the page's own connection
// (window.lectern.request), after the guest accepted the invitation. Written before the watch page
// had stage controls of its own; moving this test onto them is left to do.

type Ack = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

async function request<T>(event: string, payload: unknown): Promise<T> {
  const hooks = (window as unknown as { lectern: { request(event: string, payload: unknown): Promise<Ack> } }).lectern;
  const ack = await hooks.request(event, payload);
  if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
  return ack.data as T;
}

let transport: Transport | undefined;
const producers: Producer[] = [];

async function goOnStage(routerRtpCapabilities: RtpCapabilities): Promise<string[]> {
  const device = new Device();
  await device.load({ routerRtpCapabilities });
  const info = await request<Parameters<Device['createSendTransport']>[0]>('transport:create', { direction: 'send' });
  const t = device.createSendTransport(info);
  t.on('connect', ({ dtlsParameters }, callback, errback) => {
    request('transport:connect', { transportId: t.id, dtlsParameters }).then(() => callback(), errback);
  });
  t.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
    request<{ producerId: string }>('produce', { transportId: t.id, kind, rtpParameters, source: appData.source }).then(
      ({ producerId }) => callback({ id: producerId }),
      errback,
    );
  });
  transport = t;
  // The guest's own devices, unprocessed: the test listens for their tone in the recording.
  const media = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    video: { width: 640, height: 360, frameRate: 15 },
  });
  producers.push(await t.produce({ track: media.getVideoTracks()[0]!, appData: { source: 'camera' } }));
  producers.push(await t.produce({ track: media.getAudioTracks()[0]!, appData: { source: 'mic' }, codecOptions: { opusDtx: false } }));
  return producers.map((p) => p.id);
}

/** Packets the guest's producers sent so far, from getStats. */
async function sent(): Promise<{ video: number; audio: number }> {
  let video = 0;
  let audio = 0;
  for (const p of producers) {
    for (const s of (await p.getStats()).values() as IterableIterator<{ type: string; kind?: string; packetsSent?: number }>) {
      if (s.type !== 'outbound-rtp') continue;
      if (s.kind === 'video') video += s.packetsSent ?? 0;
      else audio += s.packetsSent ?? 0;
    }
  }
  return { video, audio };
}

Object.assign(window, { stage: { goOnStage, sent, closed: () => transport?.closed ?? true } });
