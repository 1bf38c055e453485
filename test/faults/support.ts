import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { readPlaylist } from '../../media';
import { createLogger } from '../../server/logger';
import type { Lectern } from '../../server/main';
import { defaultFerretDbBin, EmbeddedFerretDb } from '../../server/store/embedded-ferretdb';
import { Api, cast } from '../support/api';
import { avProducers } from '../support/av-producers';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';

// Shared by the fault-injection tests: real processes, real signals.

/** What Lectern logged lately (info and up), kept to explain a failure; TEST_LOG_LEVEL=debug prints everything instead. */
const recentLog: string[] = [];
const RECENT_LOG_LINES = 200;
export const logger =
  process.env.TEST_LOG_LEVEL === 'debug'
    ? createLogger('debug')
    : createLogger('info', {
        write(line: string) {
          recentLog.push(line);
          if (recentLog.length > RECENT_LOG_LINES) recentLog.shift();
        },
      });

/**
 * Waits as waitFor does; when it times out, the error says what the recorders were doing and
 * what Lectern logged last, since CI shows a failure's message and little else.
 */
export async function waitExplained<T>(
  app: Lectern,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  try {
    return await waitFor(probe, timeoutMs, what);
  } catch (err) {
    const recorders = app.recorder.status().recorders.map(({ kind, state, failure, writers, crashes, segments, durationSeconds }) => ({
      kind,
      state,
      failure,
      writers,
      crashes,
      segments,
      durationSeconds,
    }));
    const lines = recentLog.slice(-25).map((line) => {
      try {
        const { time, level, msg, component, service: _s, hostname: _h, pid: _p, err: e, ...rest } = JSON.parse(line);
        const detail = JSON.stringify({ ...rest, ...(e ? { err: e.message } : {}) }).slice(0, 240);
        return `${String(time).slice(11, 23)} ${pino.levels.labels[level] ?? level} ${component ?? ''} ${msg} ${detail}`;
      } catch {
        return line.slice(0, 300);
      }
    });
    throw new Error(`${(err as Error).message}\nrecorders: ${JSON.stringify(recorders)}\nlast log lines:\n${lines.join('\n')}`, {
      cause: err,
    });
  }
}

/** A FerretDB of the test's own, that it may SIGKILL and start again on the same port and SQLite files. */
export class KillableDatabase {
  private constructor(
    private ferret: EmbeddedFerretDb,
    private readonly dir: string,
    private readonly listenAddress: string,
  ) {}

  static async start(): Promise<KillableDatabase> {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-fault-db-'));
    const ferret = await EmbeddedFerretDb.start({ bin: process.env.FERRETDB_BIN ?? defaultFerretDbBin(), sqliteDir: dir, logger });
    return new KillableDatabase(ferret, dir, new URL(ferret.uri).host);
  }

  get uri(): string {
    return `mongodb://${this.listenAddress}/`;
  }

  async kill(): Promise<void> {
    process.kill(this.ferret.pid!, 'SIGKILL');
    await this.ferret.stop();
  }

  async restart(): Promise<void> {
    this.ferret = await EmbeddedFerretDb.start({
      bin: process.env.FERRETDB_BIN ?? defaultFerretDbBin(),
      sqliteDir: this.dir,
      logger,
      listenAddress: this.listenAddress,
    });
  }

  async dispose(): Promise<void> {
    await this.ferret.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface RecordedSeminar {
  seminarId: string;
  lecturer: LiveClient;
  lecturerToken: string;
  recordingId: string;
  playlist: string;
  source: ChildProcess;
}

/** One cast per app: its admin's e-mail is fixed. */
const crews = new WeakMap<Lectern, ReturnType<typeof cast>>();

/**
 * A live seminar whose lecturer is in the room and whose camera and microphone
 * (a real ffmpeg test pattern and tone) are being recorded.
 */
export async function liveRecordedSeminar(app: Lectern, title = 'Семинар под сбоем'): Promise<RecordedSeminar> {
  const api = Api.of(app);
  let crew = crews.get(app);
  if (!crew) crews.set(app, (crew = cast(api)));
  const { lecturer: teacher } = await crew;
  const created = await api.call('POST', '/seminars', {
    token: teacher.token,
    body: { title, track: 'Faults', startsAt: '2030-02-01T10:00', durationMinutes: 60, capacity: 10 },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const seminarId = created.body.id as string;
  await api.call('POST', `/seminars/${seminarId}/transitions`, { token: teacher.token, body: { to: 'scheduled' } });
  const lecturer = await LiveClient.connect(app.url, teacher.token);
  await lecturer.ok('room:join', { seminarId });
  await lecturer.ok('seminar:go-live', {});
  const room = (await app.rooms.peek(seminarId))!;
  const { video, audio, ffmpeg } = await avProducers(room.origin);
  const seminar = (await app.repos.seminars.get(seminarId))!;
  app.recorder.producerAdded(room, seminar, { producer: video, source: 'camera', role: 'lecturer' });
  app.recorder.producerAdded(room, seminar, { producer: audio, source: 'mic', role: 'lecturer' });
  const recording = (await app.repos.recordings.current(seminarId))!;
  return {
    seminarId,
    lecturer,
    lecturerToken: teacher.token,
    recordingId: recording.id,
    playlist: path.join(app.config.recordingsDir, recording.dir, 'index.m3u8'),
    source: ffmpeg,
  };
}

/** Seconds of media the playlist lists (0 while it does not exist yet). */
export async function listedSeconds(playlist: string): Promise<number> {
  try {
    return (await readPlaylist(playlist)).segments.reduce((sum, s) => sum + s.duration, 0);
  } catch {
    return 0;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pids of processes whose command line mentions every one of `needles` (a recording's directory: its ffmpeg). */
export function processesMentioning(...needles: string[]): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return needles.every((n) => line.includes(n));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The recording's live writers: ffmpeg reading SDPs in its directory (not a probe, black or silence it runs meanwhile). */
export function writersOf(dir: string): number[] {
  return processesMentioning(dir, '.sdp').filter((pid) => pid !== process.pid);
}
