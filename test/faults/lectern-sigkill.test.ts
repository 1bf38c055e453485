import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { runAdminCli } from '../support/admin-cli';
import { Api, registerUser } from '../support/api';
import { testDatabaseUri } from '../support/app';
import { LiveClient } from '../support/live-client';
import { alive, waitFor } from '../support/media';
import { ffprobeJson } from '../support/probe';
import { listedSeconds, processesMentioning } from './support';

// Lectern SIGKILLed mid-seminar, as the kernel's OOM killer or a power cut would end it,
// then started again on the same data: the recording is finalized with every segment
// written before the kill, and the seminar is not left "live" with nobody running it.

interface Running {
  child: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<unknown>;
}

const children: ChildProcess[] = [];
const strays: number[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function startLectern(env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/faults/lectern-process.ts'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const m = /^LISTENING (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`Lectern exited during start (${String(code)}): ${stderr.join('\n')}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, lines, exited };
}

describe('Lectern SIGKILLed mid-seminar', () => {
  it('finalizes the recording with every segment written before the kill, and ends the seminar, at the next start', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-sigkill-'));
    const env = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      MONGODB_URI: testDatabaseUri('sigkill'),
      MEDIASOUP_WORKERS: '1',
    };
    // The admin as an operator makes one: the CLI on the server, before the start.
    const made = await runAdminCli(['create', 'admin@test.lectern'], env);
    expect(made.code, made.stderr).toBe(0);
    const first = await startLectern(env);
    const api = new Api(first.url);
    const adminLogin = await api.call('POST', '/auth/login', { body: { email: 'admin@test.lectern', password: made.password } });
    expect(adminLogin.status).toBe(200);
    const lecturerUser = await registerUser(api);
    const grant = await api.call('PUT', `/users/${lecturerUser.id}/roles`, {
      token: adminLogin.body.accessToken as string,
      body: { roles: ['lecturer'] },
    });
    expect(grant.status).toBe(200);
    const relogin = await api.call('POST', '/auth/login', { body: { email: lecturerUser.email, password: 'correct horse battery' } });
    const teacher = { token: relogin.body.accessToken as string };
    const created = await api.call('POST', '/seminars', {
      token: teacher.token,
      body: { title: 'Сервер убит', track: 'Faults', startsAt: '2030-05-01T10:00', durationMinutes: 60, capacity: 10 },
    });
    const seminarId = created.body.id as string;
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: teacher.token, body: { to: 'scheduled' } });
    const lecturer = await LiveClient.connect(first.url, teacher.token);
    await lecturer.ok('room:join', { seminarId });
    await lecturer.ok('seminar:go-live', {});
    first.child.stdin!.write(`record ${seminarId}\n`);
    await waitFor(() => (first.lines.includes(`RECORDING ${seminarId}`) ? true : undefined), 20_000, 'the recording to start');
    const source = Number(first.lines.find((l) => l.startsWith('SOURCE '))!.split(' ')[1]);
    strays.push(source);

    const seminarDir = path.join(dataDir, 'recordings', seminarId);
    const [recordingId] = await readdir(seminarDir);
    const playlist = path.join(seminarDir, recordingId!, 'index.m3u8');
    await waitFor(async () => ((await listedSeconds(playlist)) >= 4 ? true : undefined), 30_000, '4 s of recording');

    first.child.kill('SIGKILL');
    await first.exited;
    lecturer.close();
    // What the kill leaves: the source (the test's) and a recorder ffmpeg with nothing left
    // to feed it. Only what was listed now is the recording's; the orphan is ended first.
    process.kill(source, 'SIGKILL');
    const orphans = processesMentioning(path.join(seminarDir, recordingId!));
    strays.push(...orphans);
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    await waitFor(() => (orphans.every((p) => !alive(p)) ? true : undefined), 5_000, 'the orphaned recorder to end');
    const beforeRestart = await readPlaylist(playlist);
    expect(beforeRestart.ended).toBe(false);
    expect(beforeRestart.segments.length).toBeGreaterThan(2);

    const second = await startLectern(env);
    try {
      const api2 = new Api(second.url);
      const playback = await waitFor(
        async () => {
          const res = await api2.call('GET', `/seminars/${seminarId}/playback`, { token: teacher.token });
          return res.status === 200 && !res.body.live ? res.body : undefined;
        },
        20_000,
        'the recording to be finalized',
      );
      expect(playback.recordingId).toBe(recordingId);
      const seminar = await api2.call('GET', `/seminars/${seminarId}`, { token: teacher.token });
      expect(seminar.body.status).toBe('ended');

      const after = await readPlaylist(playlist);
      expect(after.ended).toBe(true);
      expect(after.segments.map((s) => s.uri)).toEqual(beforeRestart.segments.map((s) => s.uri));
      for (const seg of after.segments) expect(existsSync(path.join(path.dirname(playlist), seg.uri))).toBe(true);
      const probe = await ffprobeJson(playlist);
      const listed = beforeRestart.segments.reduce((sum, s) => sum + s.duration, 0);
      expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(listed - 0.5);
      // The lecturer comes back to an ended seminar, not to a room that pretends to be live.
      const back = await LiveClient.connect(second.url, teacher.token);
      const join = await back.request('room:join', { seminarId });
      expect(join).toMatchObject({ ok: false, error: { code: 'seminar_over' } });
      back.close();
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 120_000);
});
