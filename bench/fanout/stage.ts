// Sets the stage for the fan-out benchmark: Lectern in-process (one mediasoup worker, one router
// for the whole audience), a public live seminar, and the lecturer's stream injected on the
// room's origin router: H.264 720p from sender.ts and Opus from ffmpeg, each through a
// PlainTransport, announced with room.publish() as the lecturer's own producers would be.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { ok } from '../lib/rest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminToken, benchConfig } from '../lib/lectern';
import { createLogger } from '../../server/logger';
import { start, type Lectern } from '../../server/main';
import type { FromSender, SenderStats, ToSender } from './sender';
import { DEFAULT_PRIVACY_POLICY } from '../../server/config';

const here = path.dirname(fileURLToPath(import.meta.url));
const ADMIN_EMAIL = 'admin@fanout.bench.lectern';
const PASSWORD = 'correct horse battery';

export async function startLectern(dataDir: string): Promise<Lectern> {
  // One router on one worker takes the whole audience: that worker is what is measured.
  const config = benchConfig(dataDir, { LIVE_ROUTER_MAX_CONSUMERS: '100000' });
  return start(config, createLogger(process.env.BENCH_FANOUT_DEBUG ? 'warn' : 'silent'));
}

/** An admin, a lecturer, and a public seminar taken live; viewers join it as guests. */
export async function seedLiveSeminar(app: Lectern): Promise<{ seminarId: string; lecturerId: string }> {
  const base = app.url;
  const register = (email: string, displayName: string) =>
    ok(base, 'POST', '/auth/register', {
      body: {
        email,
        password: PASSWORD,
        displayName,
        locale: 'ru',
        consent: { policyVersion: DEFAULT_PRIVACY_POLICY.version, accepted: true },
      },
    });
  await register(ADMIN_EMAIL, 'Администратор');
  const admin = { accessToken: await adminToken(app, ADMIN_EMAIL, PASSWORD) };
  const lecturer = await register('lecturer@fanout.bench.lectern', 'Лектор');
  await ok(base, 'PUT', `/users/${lecturer.user.id}/roles`, { token: admin.accessToken, body: { roles: ['lecturer'] } });
  const login = await ok(base, 'POST', '/auth/login', { body: { email: 'lecturer@fanout.bench.lectern', password: PASSWORD } });
  const token = login.accessToken as string;
  const seminar = await ok(base, 'POST', '/seminars', {
    token,
    body: {
      title: 'Бенчмарк: открытая лекция',
      track: 'bench',
      startsAt: '2030-03-01T18:30',
      durationMinutes: 90,
      capacity: 10000,
      isPublic: true,
    },
  });
  await ok(base, 'POST', `/seminars/${seminar.id}/transitions`, { token, body: { to: 'scheduled' } });
  await ok(base, 'POST', `/seminars/${seminar.id}/transitions`, { token, body: { to: 'live' } });
  return { seminarId: seminar.id as string, lecturerId: lecturer.user.id as string };
}

export interface LecturerStream {
  videoProducerId: string;
  audioProducerId: string;
  senderPid: number | undefined;
  audioPid: number | undefined;
  senderStats(): Promise<SenderStats>;
  stop(): void;
}

const VIDEO_PT = 102;
const AUDIO_PT = 100;

export async function startLecturerStream(
  app: Lectern,
  seminarId: string,
  lecturerId: string,
  clipFile: string,
  maxSeconds: number,
): Promise<LecturerStream> {
  const room = await app.rooms.get(seminarId);
  const peer = await room.join('bench-lecturer', lecturerId);
  const listenInfo = app.pool.listenInfo('udp');
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  try {
    // Video: our sender, RTP and RTCP on one socket, so PLI reaches it.
    const sender = fork(path.join(here, 'sender.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(sender);
    const waiting = new Map<number, (s: SenderStats) => void>();
    let nextId = 1;
    let onBound!: (port: number) => void;
    let onPlaying!: () => void;
    let onError!: (e: Error) => void;
    const bound = new Promise<number>((resolve, reject) => {
      onBound = resolve;
      onError = reject;
    });
    const playing = new Promise<void>((resolve, reject) => {
      onPlaying = resolve;
      const prev = onError;
      onError = (e) => {
        prev(e);
        reject(e);
      };
    });
    playing.catch(() => undefined);
    sender.on('message', (msg: FromSender) => {
      if (msg.type === 'bound') onBound(msg.port);
      else if (msg.type === 'playing') onPlaying();
      else if (msg.type === 'error') onError(new Error(`sender: ${msg.message}`));
      else if (msg.type === 'stats') {
        waiting.get(msg.id)?.(msg.stats);
        waiting.delete(msg.id);
      }
    });
    sender.once('exit', (code) => onError(new Error(`sender exited (${code})`)));
    const senderPort = await bound;
    const videoIn = await room.origin.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
    await videoIn.connect({ ip: '127.0.0.1', port: senderPort });
    const ssrc = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);
    const video = await videoIn.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: VIDEO_PT,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
          },
        ],
        encodings: [{ ssrc }],
        rtcp: { cname: 'lecturer' },
      },
      appData: { source: 'camera' },
    });
    sender.send({ type: 'play', clipFile, ip: '127.0.0.1', port: videoIn.tuple.localPort, payloadType: VIDEO_PT, ssrc } satisfies ToSender);
    await playing;

    // Audio: ffmpeg encodes a tone to Opus live; RTCP from a socket of its own (no mux, comedia).
    const audioIn = await room.origin.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    const audioSsrc = ssrc + 1;
    const audio = await audioIn.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
        encodings: [{ ssrc: audioSsrc }],
        rtcp: { cname: 'lecturer' },
      },
      appData: { source: 'mic' },
    });
    const ffmpeg = spawn(
      process.env.FFMPEG_BIN ?? 'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000',
        '-t',
        String(maxSeconds),
        '-ac',
        '2',
        '-c:a',
        'libopus',
        '-b:a',
        '64k',
        '-application',
        'voip',
        '-frame_duration',
        '20',
        '-ssrc',
        String(audioSsrc),
        '-payload_type',
        String(AUDIO_PT),
        '-f',
        'rtp',
        `rtp://127.0.0.1:${audioIn.tuple.localPort}?rtcpport=${audioIn.rtcpTuple!.localPort}&pkt_size=1200`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(ffmpeg);

    await room.publish(peer, video, 'camera');
    await room.publish(peer, audio, 'mic');
    return {
      videoProducerId: video.id,
      audioProducerId: audio.id,
      senderPid: sender.pid,
      audioPid: ffmpeg.pid,
      senderStats: () =>
        new Promise<SenderStats>((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, resolve);
          sender.send({ type: 'stats', id } satisfies ToSender);
          setTimeout(() => reject(new Error('sender did not answer')), 5000).unref();
        }),
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}
