import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { runAdminCli } from '../support/admin-cli';
import { Api, registerUser } from '../support/api';
import { testDatabaseUri } from '../support/app';
import { LiveClient } from '../support/live-client';
import { alive, waitFor } from '../support/media';
import { ffprobeJson } from '../support/probe';
import { listedSeconds, processesMentioning, sleep } from './support';
import { RetryingPlayer } from './retrying-player';

// Lectern SIGKILLed mid-seminar, as the kernel's OOM killer or a power cut would end it,
// then started again on the same data: the recording is finalized with every segment
// written before the kill, no recorder ffmpeg outlives the killed Lectern, the seminar is
// not left "live" with nobody running it, and the heartbeats that players send again
// (those in flight at the kill) all reach the database, none counted twice.

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
  it('leaves no recorder ffmpeg, and at the next start finalizes the recording, ends the seminar and takes every re-sent heartbeat once', async () => {
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
    const learners = await Promise.all([0, 1, 2, 3].map(() => registerUser(api)));
    const players = learners.map((u, i) => new RetryingPlayer(u.token, seminarId, i));
    const lecturer = await LiveClient.connect(first.url, teacher.token);
    await lecturer.ok('room:join', { seminarId });
    await lecturer.ok('seminar:go-live', {});
    first.child.stdin!.write(`record ${seminarId}\n`);
    await waitFor(() => (first.lines.includes(`RECORDING ${seminarId}`) ? true : undefined), 20_000, 'the recording to start');
    const source = Number(first.lines.find((l) => l.startsWith('SOURCE '))!.split(' ')[1]);
    strays.push(source);

    const seminarDir = path.join(dataDir, 'recordings', seminarId);
    // The recorder makes its directory once it has started, a moment after the hook answered.
    const recordingId = await waitFor(async () => (await readdir(seminarDir).catch(() => []))[0], 20_000, 'the recording directory');
    const playlist = path.join(seminarDir, recordingId, 'index.m3u8');
    // Learners watch meanwhile: a heartbeat a player each, every 100 ms, each answered 202.
    let watching = true;
    const playing = players.map(async (p) => {
      while (watching) {
        await p.send(first.url, p.next());
        await sleep(100);
      }
    });
    await waitFor(async () => ((await listedSeconds(playlist)) >= 4 ? true : undefined), 30_000, '4 s of recording');
    watching = false;
    await Promise.all(playing);
    expect(players.map((p) => p.unacked.length)).toEqual([0, 0, 0, 0]);
    // The recorder's ffmpeg, a child of Lectern (the source is the test's stand-in for a browser).
    const recorders = processesMentioning(path.join(seminarDir, recordingId));
    expect(recorders.length).toBeGreaterThan(0);
    strays.push(...recorders);

    // Each player's last heartbeat is half sent when the kill comes: in flight, never taken.
    const inFlight = players.map((p) => p.halfSend(first.url, p.next()).dropped);
    await sleep(200);
    first.child.kill('SIGKILL');
    await first.exited;
    lecturer.close();
    expect(await Promise.all(inFlight)).toEqual([false, false, false, false]);
    process.kill(source, 'SIGKILL');
    // The kernel ends the recorder with Lectern (setpriv --pdeathsig): nothing writes on.
    await waitFor(() => (recorders.every((p) => !alive(p)) ? true : undefined), 5_000, 'the recorder ffmpeg to die with Lectern');
    expect(processesMentioning(path.join(seminarDir, recordingId))).toEqual([]);
    const beforeRestart = await readPlaylist(playlist);
    expect(beforeRestart.ended).toBe(false);
    expect(beforeRestart.segments.length).toBeGreaterThan(2);
    // Segments ffmpeg finished and listed in its CSV that the recorder had not yet put in the
    // playlist (it reads the list a few times a second): the next start must add them.
    const recordingDir = path.dirname(playlist);
    const finishedUnlisted: string[] = [];
    for (const list of (await readdir(recordingDir)).filter((n) => /^w\d+\.csv$/.test(n))) {
      for (const line of (await readFile(path.join(recordingDir, list), 'utf8')).split('\n')) {
        const file = line.split(',')[0];
        if (file && line.split(',').length === 3 && existsSync(path.join(recordingDir, file))) finishedUnlisted.push(file);
      }
    }

    // The players send again what was not answered, to whichever Lectern answers: before the
    // restart they find nobody. One also sends an answered heartbeat again (its answer lost, as
    // far as it knows): counted once all the same.
    const again = players[0]!;
    again.unacked.unshift({ ...again.unacked[0]!, intervals: [[again.start, again.to - 3]], position: again.to - 3, sentAt: 1 });
    const target: { url?: string } = {};
    const resending = players.map((p) => p.resendUntilDone(() => target.url, Date.now() + 60_000));
    const second = await startLectern(env);
    target.url = second.url;
    try {
      await Promise.all(resending);
      for (const p of players) expect(p.refused).toEqual([]);
      expect(players.map((p) => p.unacked.length)).toEqual([0, 0, 0, 0]);
      expect(players.map((p) => p.resent)).toEqual([2, 1, 1, 1]);

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
      expect(after.segments.slice(0, beforeRestart.segments.length).map((s) => s.uri)).toEqual(beforeRestart.segments.map((s) => s.uri));
      expect(after.segments.length - beforeRestart.segments.length).toBe(finishedUnlisted.length);
      console.log(
        `sigkill: ${beforeRestart.segments.length} segments listed at the kill, ${finishedUnlisted.length} finished and listed at the restart`,
      );
      // Nothing of the writer is left beside the recording.
      expect((await readdir(recordingDir)).filter((n) => /^w\d+/.test(n))).toEqual([]);
      for (const seg of after.segments) expect(existsSync(path.join(path.dirname(playlist), seg.uri))).toBe(true);
      const probe = await ffprobeJson(playlist);
      const listed = after.segments.reduce((sum, s) => sum + s.duration, 0);
      expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(listed - 0.5);
      // The lecturer comes back to an ended seminar, not to a room that pretends to be live.
      const back = await LiveClient.connect(second.url, teacher.token);
      const join = await back.request('room:join', { seminarId });
      expect(join).toMatchObject({ ok: false, error: { code: 'seminar_over' } });
      back.close();
    } finally {
      // A clean stop flushes what the second Lectern buffered.
      second.child.kill('SIGTERM');
      await second.exited;
    }
    // Read straight from the database: each player's one interval, up to its last heartbeat
    // (the one in flight at the kill), no more and no less.
    const conn = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    try {
      for (const p of players) {
        const doc = await conn.collection('progress').findOne({ userId: learners[players.indexOf(p)]!.id, contentId: seminarId });
        expect(doc, `progress of player ${players.indexOf(p)}`).toMatchObject({
          intervals: [{ from: p.start, to: p.to }],
          coveredSeconds: p.to - p.start,
          resumePosition: p.to,
        });
      }
    } finally {
      await conn.close();
    }
  }, 150_000);
});
