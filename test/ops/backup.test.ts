import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../server/config';
import { createLogger } from '../../server/logger';
import { start, type Lectern } from '../../server/main';
import { Api, cast, login, type TestUser } from '../support/api';
import { testConfig } from '../support/app';
import { avProducers } from '../support/av-producers';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { decodeFrames, ffprobeJson } from '../support/probe';

// `npm run backup` while a seminar is live and heartbeats keep coming, `npm run
// restore` onto a fresh DATA_DIR, and a second Lectern started on it: every account,
// seminar and progress record is there, and the recordings play.

const exec = promisify(execFile);
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Runs `npm run <script> -- <dir>` with Lectern's environment; resolves with the exit code and output. */
async function npmRun(script: 'backup' | 'restore', dir: string, env: NodeJS.ProcessEnv) {
  const clean = { ...process.env };
  for (const name of ['MONGODB_URI', 'JWT_SECRET', 'RECORDINGS_DIR', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete clean[name];
  return exec('npm', ['run', '--silent', script, '--', dir], { cwd: repo, env: { ...clean, NODE_ENV: 'test', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
  );
}

/** Every document of every collection, by collection and _id. */
async function everything(app: Lectern): Promise<Map<string, Map<string, any>>> {
  const all = new Map<string, Map<string, any>>();
  for (const { name } of await app.db.connection.db!.listCollections().toArray()) {
    // A node's lease is its liveness, renewed on a timer: each Lectern has its own.
    if (name === 'node_leases') continue;
    const docs = await app.db.connection.collection(name).find({}).toArray();
    all.set(name, new Map(docs.map((d) => [String(d._id), d])));
  }
  return all;
}

describe('backup and restore', () => {
  let configA: Config;
  let a: Lectern;
  let b: Lectern | undefined;
  const sources: ChildProcess[] = [];
  const lecturers: LiveClient[] = [];
  const temp: string[] = [];

  beforeAll(async () => {
    // The embedded database (no MONGODB_URI) and the secret generated into DATA_DIR (no JWT_SECRET).
    configA = await testConfig({ MONGODB_URI: '', JWT_SECRET: '', MEDIASOUP_WORKERS: '1', PROGRESS_FLUSH_MS: '200' });
    a = await start(configA, createLogger('silent'));
    temp.push(configA.dataDir);
  }, 60_000);

  afterAll(async () => {
    for (const s of sources) s.kill('SIGKILL');
    for (const l of lecturers) l.close();
    await b?.stop();
    await a?.stop();
    await Promise.all(temp.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('backs up a running Lectern mid-seminar; the restored copy has every account, seminar, progress record and recording', async () => {
    const api = Api.of(a);
    const people = await cast(api);
    const course = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Резервные копии', track: 'ops' } });

    /** A seminar on air with a real ffmpeg source, recorded; the learners registered. */
    async function onAir(title: string) {
      const created = await api.call('POST', '/seminars', {
        token: people.lecturer.token,
        body: { title, track: 'ops', startsAt: '2030-06-01T18:00', durationMinutes: 60, capacity: 20, courseId: course.body.id },
      });
      const id: string = created.body.id;
      await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
      for (const learner of [people.learner, people.otherLearner])
        expect((await api.call('PUT', `/seminars/${id}/registration`, { token: learner.token })).status).toBe(200);
      const lecturer = await LiveClient.connect(a.url, people.lecturer.token);
      lecturers.push(lecturer);
      await lecturer.ok('room:join', { seminarId: id });
      await lecturer.ok('seminar:go-live', {});
      const room = (await a.rooms.peek(id))!;
      const { video, audio, ffmpeg } = await avProducers(room.origin);
      sources.push(ffmpeg);
      const record = (await a.repos.seminars.get(id))!;
      a.recorder.producerAdded(room, record, { producer: video, source: 'camera', role: 'lecturer' });
      a.recorder.producerAdded(room, record, { producer: audio, source: 'mic', role: 'lecturer' });
      return { id, lecturer, ffmpeg };
    }
    const playbackOn = async (app: Lectern, id: string, user: TestUser) =>
      (await Api.of(app).call('GET', `/seminars/${id}/playback`, { token: user.token })).body;
    const recordedSeconds = async (id: string) => {
      const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
      if (res.status !== 200) return 0;
      const text = await (await fetch(`${a.url}${res.body.playlistUrl}`)).text();
      return [...text.matchAll(/^#EXTINF:([\d.]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };

    // One seminar recorded and ended, one still on air during the backup.
    const ended = await onAir('Записанный семинар');
    await waitFor(async () => ((await recordedSeconds(ended.id)) >= 3 ? true : undefined), 30_000, 'three recorded seconds');
    await ended.lecturer.ok('seminar:end', {});
    ended.ffmpeg.kill('SIGKILL');
    await waitFor(
      async () => ((await playbackOn(a, ended.id, people.learner))?.live === false ? true : undefined),
      15_000,
      'the recording',
    );
    const endedPlayback = await playbackOn(a, ended.id, people.learner);
    const endedPlaylist = await (await fetch(`${a.url}${endedPlayback.playlistUrl}`)).text();
    const live = await onAir('Семинар в эфире');
    await waitFor(async () => ((await recordedSeconds(live.id)) >= 3 ? true : undefined), 30_000, 'three live seconds');

    // Heartbeats from both learners on both seminars, every 50 ms, until the backup is over.
    let beats = 0;
    let beating = true;
    const heartbeats = (async () => {
      for (let t = 1; beating; t++) {
        await Promise.all(
          [people.learner, people.otherLearner].flatMap((user) =>
            [ended.id, live.id].map(async (contentId) => {
              const res = await api.call('POST', '/progress/heartbeats', {
                token: user.token,
                body: { contentId, intervals: [[0, t * 0.5]], position: t * 0.5, sentAt: Date.now() },
              });
              expect(res.status).toBe(202);
              beats++;
            }),
          ),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor(() => (beats >= 40 ? true : undefined), 20_000, 'heartbeats');
    await a.domain.progress.flush();
    const before = await everything(a);

    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-backup-'));
    temp.push(dir);
    const backupDir = path.join(dir, 'backup');
    const beatsBefore = beats;
    const made = await npmRun('backup', backupDir, { DATA_DIR: configA.dataDir });
    const beatsDuring = beats - beatsBefore;
    beating = false;
    await heartbeats;
    await a.domain.progress.flush();
    const after = await everything(a);
    expect(made.code, made.out).toBe(0);
    expect(beatsDuring).toBeGreaterThan(0);
    expect(live.ffmpeg.exitCode).toBeNull();
    expect((await a.repos.seminars.get(live.id))!.status).toBe('live');

    // The manifest's checksums, checked by coreutils.
    const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'lectern-backup',
      jwtSecret: 'file',
      database: { kind: 'embedded', files: ['db/lectern.sqlite'] },
    });
    const { stdout: sums } = await exec('sha256sum', ['-c', 'SHA256SUMS'], { cwd: backupDir });
    expect(sums.trim().split('\n').length).toBe(manifest.files.length);
    expect(sums).not.toMatch(/FAILED/);
    expect(manifest.files.some((f: { path: string }) => /^recordings\/.+\/seg_\d+\.ts$/.test(f.path))).toBe(true);

    // Restore refuses a DATA_DIR in use, and a damaged backup, and changes nothing.
    const onUsed = await npmRun('restore', backupDir, { DATA_DIR: configA.dataDir });
    expect(onUsed.code).toBe(1);
    expect(onUsed.out).toContain(`DATA_DIR ${configA.dataDir} is not empty`);
    const damaged = path.join(dir, 'damaged');
    await cp(backupDir, damaged, { recursive: true });
    const segment = manifest.files.find((f: { path: string }) => f.path.endsWith('.ts')).path as string;
    const bytes = await readFile(path.join(damaged, segment));
    const middle = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await writeFile(path.join(damaged, segment), bytes);
    const fromDamaged = await npmRun('restore', damaged, { DATA_DIR: path.join(dir, 'never') });
    expect(fromDamaged.code).toBe(1);
    expect(fromDamaged.out).toContain(`${segment}: checksum mismatch`);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);

    // Restored elsewhere, and a second Lectern on it (the first one still runs).
    const restoredDir = path.join(dir, 'restored');
    const restored = await npmRun('restore', backupDir, { DATA_DIR: restoredDir });
    expect(restored.code, restored.out).toBe(0);
    b = await start(
      await testConfig({ MONGODB_URI: '', JWT_SECRET: '', DATA_DIR: restoredDir, MEDIASOUP_WORKERS: '1' }),
      createLogger('silent'),
    );
    const found = await everything(b);

    // Every document there before the backup began is there, accounts and seminars unchanged.
    for (const [collection, docs] of before) {
      for (const id of docs.keys()) expect(found.get(collection)?.has(id), `${collection} ${id}`).toBe(true);
    }
    expect(found.get('users')).toEqual(before.get('users'));
    expect(found.get('users')!.size).toBe(5);
    expect(found.get('seminars')!.get(ended.id)).toEqual(before.get('seminars')!.get(ended.id));
    // The seminar that was on air: the restored Lectern ended it, as after a crash.
    expect(found.get('seminars')!.get(live.id)).toMatchObject({ status: 'ended' });
    // ...and its recording became a lesson of the course, beside the one from before.
    const lessons = (c: any) => c.modules.flatMap((m: any) => m.lessons.map((l: any) => l.seminarId));
    expect(lessons(before.get('courses')!.get(course.body.id))).toEqual([ended.id]);
    expect(lessons(found.get('courses')!.get(course.body.id))).toEqual([ended.id, live.id]);

    // Progress: each learner's record of each seminar is between what was stored before and after the backup.
    const progress = found.get('progress')!;
    for (const id of progress.keys()) expect(after.get('progress')!.has(id)).toBe(true);
    for (const user of [people.learner, people.otherLearner]) {
      for (const contentId of [ended.id, live.id]) {
        const id = `${user.id}:${contentId}`;
        const [low, doc, high] = [before, found, after].map((docs) => docs.get('progress')!.get(id));
        expect(doc.coveredSeconds).toBeGreaterThan(0);
        expect(doc.coveredSeconds).toBeGreaterThanOrEqual(low.coveredSeconds);
        expect(doc.coveredSeconds).toBeLessThanOrEqual(high.coveredSeconds);
      }
    }

    // Accounts sign in with their passwords; tokens and media links signed before still hold (the secret came back).
    await login(Api.of(b), people.learner.email);
    expect((await Api.of(b).call('GET', '/me/learning', { token: people.learner.token })).status).toBe(200);
    expect((await fetch(`${b.url}${endedPlayback.playlistUrl}`)).status).toBe(200);

    // Both recordings play: the ended one as it was, the live one closed at what was copied.
    const endedAgain = await playbackOn(b, ended.id, people.learner);
    expect(await (await fetch(`${b.url}${endedAgain.playlistUrl}`)).text()).toBe(endedPlaylist);
    const liveAgain = await playbackOn(b, live.id, people.learner);
    expect(liveAgain.live).toBe(false);
    for (const playback of [endedAgain, liveAgain]) {
      const playlist = await (await fetch(`${b.url}${playback.playlistUrl}`)).text();
      expect(playlist).toContain('#EXT-X-ENDLIST');
      const segments = [...playlist.matchAll(/^seg_\d+\.ts$/gm)].map((m) => m[0]);
      expect(segments.length).toBeGreaterThanOrEqual(2);
      const file = path.join(dir, `${playback.recordingId}-${segments.at(-1)}`);
      const res = await fetch(`${b.url}${playback.playlistUrl.replace(/index\.m3u8$/, segments.at(-1)!)}`);
      expect(res.status).toBe(200);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      const probe = await ffprobeJson(file);
      expect(probe.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(await decodeFrames(file)).toBeGreaterThan(0);
    }
  }, 240_000);

  it('refuses a directory that is not a finished backup', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-backup-'));
    temp.push(dir);
    const res = await npmRun('restore', dir, { DATA_DIR: path.join(dir, 'data') });
    expect(res.code).toBe(1);
    expect(res.out).toContain('has no manifest.json');
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });
});
