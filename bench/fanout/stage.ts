// Sets the stage for the fan-out benchmark: Lectern in-process (one mediasoup worker, one router
// for the whole audience), a public live seminar, and the lecturer's stream injected on the
// room's origin router: H.264 720p from sender.ts and Opus from ffmpeg, each through a
// PlainTransport, announced with room.publish() as the lecturer's own producers would be.
import type { ChildProcess } from 'node:child_process';
import { ok } from '../lib/rest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminToken, benchConfig } from '../lib/lectern';
import { createLogger } from '../../server/logger';
import { start, type Lectern } from '../../server/main';
import { forkSender, h264Codec, produceOpusTone } from './lecturer-io';
import type { SenderStats, ToSender } from './sender';
import { DEFAULT_PRIVACY_POLICY } from '../../server/config';

const here = path.dirname(fileURLToPath(import.meta.url));
const ADMIN_EMAIL = 'admin@fanout.bench.lectern';
const PASSWORD = 'correct horse battery';

export async function startLectern(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Lectern> {
  // One router on one worker takes the whole audience: that worker is what is measured.
  const config = benchConfig(dataDir, { LIVE_ROUTER_MAX_CONSUMERS: '100000', ...env });
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
    const sender = await forkSender<SenderStats>(path.join(here, 'sender.ts'));
    children.push(sender.child);
    const videoIn = await room.origin.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
    await videoIn.connect({ ip: '127.0.0.1', port: sender.port });
    const ssrc = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);
    const video = await videoIn.produce({
      kind: 'video',
      rtpParameters: { codecs: [h264Codec(VIDEO_PT)], encodings: [{ ssrc }], rtcp: { cname: 'lecturer' } },
      appData: { source: 'camera' },
    });
    const play: ToSender = { type: 'play', clipFile, ip: '127.0.0.1', port: videoIn.tuple.localPort, payloadType: VIDEO_PT, ssrc };
    sender.child.send(play);
    await sender.playing;

    const audio = await produceOpusTone(room.origin, listenInfo, ssrc + 1, AUDIO_PT, maxSeconds);
    children.push(audio.process);

    await room.publish(peer, video, 'camera');
    await room.publish(peer, audio.producer, 'mic');
    return {
      videoProducerId: video.id,
      audioProducerId: audio.producer.id,
      senderPid: sender.child.pid,
      audioPid: audio.process.pid,
      senderStats: sender.stats,
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}
