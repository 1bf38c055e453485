import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { start, type Lectern } from '../../server/main';
import { Api } from '../support/api';
import { testConfig } from '../support/app';
import { waitFor } from '../support/media';
import { KillableDatabase, listedSeconds, liveRecordedSeminar, logger, sleep, type RecordedSeminar } from './support';

// The database goes away for 10 s under a live, recorded seminar, while a load balancer keeps
// asking /readyz (which reconnects). A reconnect is no crash: nothing may be "repaired" by it.
let db: KillableDatabase;
let app: Lectern;
let scene: RecordedSeminar;

beforeAll(async () => {
  db = await KillableDatabase.start();
  app = await start(await testConfig({ MONGODB_URI: `${db.uri}outage_live`, MEDIASOUP_WORKERS: '1' }), logger);
  scene = await liveRecordedSeminar(app);
});
afterAll(async () => {
  scene?.source.kill('SIGKILL');
  scene?.lecturer.close();
  await app?.stop();
  await db?.dispose();
});

describe('the database down for 10 s during a live, recorded seminar', () => {
  it('keeps the seminar live and the recording open, and the lecturer ends it normally afterwards', async () => {
    await waitFor(async () => ((await listedSeconds(scene.playlist)) >= 2 ? true : undefined), 20_000, '2 s of recording');
    await db.kill();
    const readiness: number[] = [];
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(500)) {
      readiness.push((await fetch(`${app.url}/readyz`)).status);
    }
    expect(readiness).toContain(503);
    const listedAtRestore = await listedSeconds(scene.playlist);
    await db.restart();
    await waitFor(async () => ((await fetch(`${app.url}/readyz`)).status === 200 ? true : undefined), 20_000, '/readyz to recover');
    // Give any reconnect work time to run, and the recorder time to write on.
    await waitFor(
      async () => ((await listedSeconds(scene.playlist)) >= listedAtRestore + 3 ? true : undefined),
      20_000,
      'the recording to go on after the outage',
    );

    expect((await app.repos.seminars.get(scene.seminarId))!.status).toBe('live');
    expect((await app.repos.recordings.get(scene.recordingId))!.status).toBe('recording');
    expect((await readPlaylist(scene.playlist)).ended).toBe(false);
    expect(app.recorder.isRecording(scene.seminarId)).toBe(true);
    const seen = await Api.of(app).call('GET', `/seminars/${scene.seminarId}`, { token: scene.lecturerToken });
    expect(seen.body.status).toBe('live');

    await scene.lecturer.ok('seminar:end', {});
    const recording = (await app.repos.recordings.get(scene.recordingId))!;
    expect(recording.status).toBe('ready');
    const playlist = await readPlaylist(scene.playlist);
    expect(playlist.ended).toBe(true);
    // Media from before, during and after the outage: one recording, nothing cut.
    expect(recording.durationSeconds!).toBeGreaterThanOrEqual(listedAtRestore + 3 - 0.5);
    expect((await app.repos.seminars.get(scene.seminarId))!.status).toBe('ended');
  }, 90_000);
});
