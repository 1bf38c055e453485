// The plumbing both fan-out benchmarks' lecturers share: the video sender as a child process of
// its own (so a busy event loop elsewhere does not bend its pacing), spoken to over IPC, and the
// microphone as a 440 Hz tone that ffmpeg encodes to Opus live into a PlainTransport.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import type { types } from 'mediasoup';

/** What a sender child (fanout/sender.ts, fanout-verified/sender.ts) says back. */
export type SenderMessage<Stats> =
  { type: 'bound'; port: number } | { type: 'playing' } | { type: 'stats'; id: number; stats: Stats } | { type: 'error'; message: string };

export interface SenderProcess<Stats> {
  child: ChildProcess;
  /** The UDP port the sender bound: connect the PlainTransport to it, so RTCP reaches it. */
  port: number;
  /** Settles once the sender plays what its `play` message named, or fails. */
  playing: Promise<void>;
  stats: () => Promise<Stats>;
}

/** Forks `script` and waits for its socket; `playing` resolves after a `play` message is sent to it. */
export async function forkSender<Stats>(script: string): Promise<SenderProcess<Stats>> {
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (s: Stats) => void>();
  let nextId = 1;
  let onBound!: (port: number) => void;
  const bound = new Promise<number>((resolve) => (onBound = resolve));
  const playing = new Promise<void>((resolve, reject) => {
    child.on('message', (msg: SenderMessage<Stats>) => {
      if (msg.type === 'bound') onBound(msg.port);
      else if (msg.type === 'playing') resolve();
      else if (msg.type === 'error') reject(new Error(`sender: ${msg.message}`));
      else if (msg.type === 'stats') {
        waiting.get(msg.id)?.(msg.stats);
        waiting.delete(msg.id);
      }
    });
    child.once('exit', (code) => reject(new Error(`sender exited (${code})`)));
  });
  playing.catch(() => undefined);
  const port = await Promise.race([bound, playing.then(() => -1)]);
  return {
    child,
    port,
    playing,
    stats: () =>
      new Promise<Stats>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ type: 'stats', id });
        setTimeout(() => reject(new Error('sender did not answer')), 5000).unref();
      }),
  };
}

/** H.264 constrained baseline as a browser offers it, with the feedback the SFU may send. */
export function h264Codec(payloadType: number): types.RtpCodecParameters {
  return {
    mimeType: 'video/H264',
    payloadType,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
  };
}

/** The lecturer's microphone: a tone, Opus 64 kb/s from ffmpeg, for `maxSeconds`; RTCP on its own socket. */
export async function produceOpusTone(
  router: types.Router,
  listenInfo: types.TransportListenInfo,
  ssrc: number,
  payloadType: number,
  maxSeconds: number,
): Promise<{ producer: types.Producer; process: ChildProcess }> {
  const audioIn = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
  const producer = await audioIn.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
      encodings: [{ ssrc }],
      rtcp: { cname: 'lecturer' },
    },
    appData: { source: 'mic' },
  });
  const ffmpeg = spawn(
    process.env.FFMPEG_BIN ?? 'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-t', String(maxSeconds), '-ac', '2', '-c:a', 'libopus', '-b:a', '64k', '-application', 'voip', '-frame_duration', '20'],
      ...['-ssrc', String(ssrc), '-payload_type', String(payloadType), '-f', 'rtp'],
      `rtp://127.0.0.1:${audioIn.tuple.localPort}?rtcpport=${audioIn.rtcpTuple!.localPort}&pkt_size=1200`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return { producer, process: ffmpeg };
}
