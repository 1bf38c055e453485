import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { start, type Lectern } from '../../server/main';
import { createLogger } from '../../server/logger';
import { DEMO_ACCOUNTS, DEMO_TITLES } from '../../server/ops/demo';
import { Api } from '../support/api';
import { testConfig } from '../support/app';
import { decodeFrames, ffprobeJson } from '../support/probe';

// `npm run demo` on the embedded defaults (a fresh DATA_DIR, no MONGODB_URI): run the way a
// newcomer runs it (the CLI, as a process), twice, then Lectern started on the same data
// directory must hold each account, seminar and course once, and the course's recorded
// lesson must play: its segments probe as H.264 video with audio and decode.

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let dataDir: string;
let outputs: string[] = [];
let app: Lectern;
let api: Api;

async function demo(): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/ops/demo-cli.ts', '--seed-only', '--seconds', '6'], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', MONGODB_URI: '', NODE_ENV: 'test' },
    timeout: 150_000,
  });
  return stdout;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-demo-'));
  outputs = [await demo(), await demo()];
  const config = await testConfig({ DATA_DIR: dataDir, MONGODB_URI: '' });
  app = await start(config, createLogger('silent'));
  api = Api.of(app);
}, 400_000);
afterAll(async () => {
  await app?.stop();
});

describe('npm run demo', () => {
  it('prints the accounts with their passwords, and adds nothing the second time', () => {
    for (const a of DEMO_ACCOUNTS) {
      expect(outputs[0]).toContain(a.email);
      expect(outputs[0]).toContain(a.password);
    }
    expect(outputs[0]).toMatch(/demo: added account lecturer@demo\.lectern/);
    expect(outputs[1]).toContain('already seeded, nothing added');
  });

  it('holds each account, seminar and course once, with the first learner enrolled', async () => {
    const db = app.db.connection;
    for (const a of DEMO_ACCOUNTS) expect(await db.collection('users').countDocuments({ email: a.email })).toBe(1);
    const lecturer = await db.collection('users').findOne({ email: 'lecturer@demo.lectern' });
    expect(lecturer?.roles).toEqual(['lecturer']);
    expect(await db.collection('seminars').countDocuments({ title: DEMO_TITLES.upcoming })).toBe(1);
    expect(await db.collection('seminars').countDocuments({ title: DEMO_TITLES.recorded })).toBe(1);
    expect(await db.collection('courses').countDocuments({ title: DEMO_TITLES.course })).toBe(1);
    expect(await db.collection('recordings').countDocuments({})).toBe(1);

    const upcoming = await db.collection('seminars').findOne({ title: DEMO_TITLES.upcoming });
    expect(upcoming?.status).toBe('scheduled');
    expect(new Date(upcoming!.startsAt).getTime()).toBeGreaterThan(Date.now());

    // Signed in with the printed password, the first learner sees the course in "My learning".
    const login = await api.call('POST', '/auth/login', { body: { email: 'maria@demo.lectern', password: 'demo-learner-2026' } });
    expect(login.status).toBe(200);
    const learning = await api.call('GET', '/me/learning', { token: login.body.accessToken });
    expect(learning.body).toHaveLength(1);
    expect(learning.body[0].course.title).toBe(DEMO_TITLES.course);
    expect(learning.body[0].totalLessons).toBe(3);
    // Every lesson has a length, the recording's too: the share watched has a whole to count against.
    const lessons = learning.body[0].course.modules.flatMap((m: { lessons: unknown[] }) => m.lessons);
    for (const l of lessons) expect(l.durationSeconds).toBeGreaterThan(0);

    // A demo learner can take a seat at once: the address counts as confirmed.
    const seat = await api.call('PUT', `/seminars/${upcoming!._id.toString()}/registration`, { token: login.body.accessToken, body: {} });
    expect(seat.status).toBe(200);
    expect(seat.body.status).toBe('registered');
    const catalogue = await api.call('GET', '/courses');
    expect(catalogue.body.items.map((c: { title: string }) => c.title)).toContain(DEMO_TITLES.course);
  });

  it('has a recorded lesson that plays: a finished playlist whose segments probe and decode', async () => {
    const seminar = (await app.db.connection.collection('seminars').findOne({ title: DEMO_TITLES.recorded }))!;
    const id = String(seminar._id);
    const login = await api.call('POST', '/auth/login', { body: { email: 'ivan@demo.lectern', password: 'demo-learner-2026' } });
    const playback = await api.call('GET', `/seminars/${id}/playback`, { token: login.body.accessToken });
    expect(playback.status).toBe(200);
    expect(playback.body.live).toBe(false);
    expect(playback.body.durationSeconds).toBeGreaterThan(4);
    const playlist = await fetch(`${app.url}${playback.body.playlistUrl}`);
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toContain('#EXT-X-ENDLIST');

    const recording = (await app.repos.recordings.latestReady(id))!;
    const dir = path.join(app.config.recordingsDir, recording.dir);
    const parsed = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(parsed.ended).toBe(true);
    expect(parsed.segments.length).toBeGreaterThanOrEqual(4);
    let frames = 0;
    for (const segment of parsed.segments) {
      const probe = await ffprobeJson(path.join(dir, segment.uri));
      const kinds = probe.streams.map((s: { codec_type: string }) => s.codec_type).sort();
      expect(kinds).toEqual(['audio', 'video']);
      expect(probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video').codec_name).toBe('h264');
      frames += await decodeFrames(path.join(dir, segment.uri));
    }
    // About 25 frames a second over the recording.
    expect(frames).toBeGreaterThan(recording.durationSeconds! * 15);
    const segment = await fetch(`${app.url}${playback.body.playlistUrl.replace('index.m3u8', parsed.segments[0]!.uri)}`);
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
  });
});
