// A live seminar through Lectern as test/recordings/recording.test.ts runs it: the REST API for
// the course, seminar and registration, the lecturer's Socket.IO signalling (room:join,
// seminar:go-live, seminar:end), the stamped source's producers on the room's origin router
// announced to the recording controller, and the learner's playback API.
import { execFile } from 'node:child_process';
import { adminToken } from '../lib/lectern';
import { call, ok } from '../lib/rest';
import { io, type Socket } from 'socket.io-client';
import type { Lectern } from '../../server/main';
import type { Room } from '../../media';
import { startSource, type Source, type SourceCodec } from './source';
import { DEFAULT_PRIVACY_POLICY } from '../../server/config';

const PASSWORD = 'correct horse battery';
export const ADMIN_EMAIL = 'admin@recording.bench.lectern';

/** A Socket.IO client of /live that awaits acks (as test/support/live-client.ts). */
export class LiveClient {
  private constructor(private readonly socket: Socket) {}

  static async connect(baseUrl: string, token: string): Promise<LiveClient> {
    const socket = io(`${baseUrl}/live`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return new LiveClient(socket);
  }

  async ok<T = any>(event: string, payload?: unknown, timeoutMs = 30_000): Promise<T> {
    const ack = (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as {
      ok: boolean;
      data?: T;
      error?: { code: string; message: string };
    };
    if (!ack.ok) throw new Error(`${event} failed: ${ack.error?.code} ${ack.error?.message}`);
    return ack.data as T;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface Cast {
  lecturerToken: string;
  learnerToken: string;
  courseId: string;
}

/** An admin, a lecturer, a learner, and a course that takes the recordings as lessons. */
export async function seed(app: Lectern): Promise<Cast> {
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
  const lecturer = await register('lecturer@recording.bench.lectern', 'Лектор');
  await ok(base, 'PUT', `/users/${lecturer.user.id}/roles`, { token: admin.accessToken, body: { roles: ['lecturer'] } });
  const login = await ok(base, 'POST', '/auth/login', { body: { email: 'lecturer@recording.bench.lectern', password: PASSWORD } });
  const learner = await register('learner@recording.bench.lectern', 'Слушатель');
  // As if the learner had followed the mailed link: only a confirmed address may register for a seminar.
  await app.repos.users.confirmEmail(learner.user.id as string, new Date());
  const course = await ok(base, 'POST', '/courses', { token: login.accessToken, body: { title: 'Бенчмарк записи', track: 'Recordings' } });
  return { lecturerToken: login.accessToken as string, learnerToken: learner.accessToken as string, courseId: course.id as string };
}

export interface LiveSeminar {
  id: string;
  room: Room;
  source: Source;
  lecturer: LiveClient;
  /** When the producers were announced to the recording controller (epoch ms). */
  recordingFrom: number;
}

/** A scheduled seminar in the course, the learner registered, the lecturer live with a stamped camera and microphone. */
export async function goLive(app: Lectern, cast: Cast, codec: SourceCodec, n: number): Promise<LiveSeminar> {
  const base = app.url;
  const seminar = await ok(base, 'POST', '/seminars', {
    token: cast.lecturerToken,
    body: {
      title: `Запись эфира ${n} (${codec})`,
      track: 'Recordings',
      startsAt: '2030-01-20T18:00',
      durationMinutes: 60,
      capacity: 20,
      courseId: cast.courseId,
    },
  });
  const id = seminar.id as string;
  await ok(base, 'POST', `/seminars/${id}/transitions`, { token: cast.lecturerToken, body: { to: 'scheduled' } });
  await ok(base, 'PUT', `/seminars/${id}/registration`, { token: cast.learnerToken });
  const lecturer = await LiveClient.connect(base, cast.lecturerToken);
  await lecturer.ok('room:join', { seminarId: id });
  await lecturer.ok('seminar:go-live', {});
  const room = (await app.rooms.peek(id))!;
  const source = await startSource(room.origin, codec);
  const record = (await app.repos.seminars.get(id))!;
  app.recorder.producerAdded(room, record, { producer: source.video, source: 'camera', role: 'lecturer' });
  app.recorder.producerAdded(room, record, { producer: source.audio, source: 'mic', role: 'lecturer' });
  return { id, room, source, lecturer, recordingFrom: Date.now() };
}

export async function playback(base: string, cast: Cast, seminarId: string): Promise<{ status: number; body: any }> {
  const res = await call(base, 'GET', `/seminars/${seminarId}/playback`, { token: cast.learnerToken });
  return { status: res.status, body: res.body };
}

/** Frames ffprobe decodes from an MPEG-TS segment; throws when it reports errors. */
export function decodedFrames(bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        '-f',
        'mpegts',
        '-i',
        'pipe:0',
      ],
      (err, stdout, stderr) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an ExecFileException is an Error
        if (err) return reject(err);
        if (stderr.trim()) return reject(new Error(stderr.trim().slice(0, 300)));
        resolve(Number(stdout.split(/[\s,]+/).find((v) => /^\d+$/.test(v)) ?? 0));
      },
    );
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(bytes);
  });
}

export interface EndTiming {
  /** seminar:end emitted → the playback API's first answer with live:false whose playlist has ENDLIST and whose first segment decodes. */
  playableMs: number;
  /** seminar:end emitted → its ack (the gateway answers after the recording is complete). */
  ackMs: number;
  /** Answers of the playback API until then (polled back to back, at most every 25 ms). */
  polls: number;
  /** Checking the playlist and decoding the first segment after that answer (not in playableMs). */
  verifyMs: number;
  durationSeconds: number;
  segments: number;
  firstSegmentFrames: number;
  /** The first segment's EXTINF and the final EXT-X-TARGETDURATION (the largest segment, rounded). */
  firstSegmentSeconds: number;
  targetDuration: number;
}

/** Ends the seminar and times it until the replay is playable; a replay not playable within timeoutMs is a failure, with the reason. */
export async function endAndTime(
  app: Lectern,
  cast: Cast,
  live: LiveSeminar,
  timeoutMs = 30_000,
): Promise<EndTiming | { failure: string }> {
  const t0 = performance.now();
  let ackMs: number | undefined;
  const ack = live.lecturer.ok('seminar:end', {}).then(() => (ackMs = performance.now() - t0));
  let polls = 0;
  let lastProblem = 'no answer yet';
  while (performance.now() - t0 < timeoutMs) {
    const started = performance.now();
    const res = await playback(app.url, cast, live.id);
    const answeredMs = performance.now() - t0;
    polls++;
    if (res.status === 200 && res.body.live === false) {
      const v0 = performance.now();
      const playlist = await fetch(app.url + res.body.playlistUrl);
      const text = playlist.status === 200 ? await playlist.text() : '';
      const uris = text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      if (!text.includes('#EXT-X-ENDLIST')) lastProblem = `live:false but the playlist (${playlist.status}) has no ENDLIST`;
      else if (!uris[0]) lastProblem = 'live:false but the playlist lists no segment';
      else {
        const seg = await fetch(app.url + res.body.playlistUrl.replace(/index\.m3u8$/, uris[0]));
        try {
          const frames = await decodedFrames(Buffer.from(await seg.arrayBuffer()));
          if (frames > 0) {
            await ack;
            return {
              playableMs: answeredMs,
              ackMs: ackMs!,
              polls,
              verifyMs: performance.now() - v0,
              durationSeconds: res.body.durationSeconds,
              segments: uris.length,
              firstSegmentFrames: frames,
              firstSegmentSeconds: Number(/#EXTINF:([\d.]+)/.exec(text)?.[1] ?? NaN),
              targetDuration: Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)?.[1] ?? NaN),
            };
          }
          lastProblem = 'the first segment decodes to no frames';
        } catch (err) {
          lastProblem = `the first segment does not decode: ${(err as Error).message}`;
        }
      }
    } else if (res.status !== 200) lastProblem = `playback answered ${res.status}`;
    await new Promise((r) => setTimeout(r, Math.max(0, 25 - (performance.now() - started))));
  }
  await ack.catch(() => undefined);
  return {
    failure: `no playable replay ${timeoutMs} ms after the end (last: ${lastProblem}); seminar:end ack ${ackMs === undefined ? 'never came' : `after ${Math.round(ackMs)} ms`}`,
  };
}
