import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { start, type Lectern } from '../../server/main';
import { testConfig, testDatabaseUri } from '../support/app';
import { avProducers } from '../support/av-producers';
import { alive, waitFor } from '../support/media';
import { ffprobeJson } from '../support/probe';
import { listedSeconds, liveRecordedSeminar, logger, waitExplained, writersOf } from './support';

// The media processes under a recording die, by a real SIGKILL: the recording goes on in
// the same playlist after a discontinuity, and everything written before stays in it.

let app: Lectern;
const sources: ChildProcess[] = [];

beforeAll(async () => {
  app = await start(await testConfig({ MONGODB_URI: testDatabaseUri('media_faults'), MEDIASOUP_WORKERS: '1' }), logger);
});
afterAll(async () => {
  for (const s of sources) s.kill('SIGKILL');
  await app?.stop();
});

/** What the finished recording holds: every segment listed before the fault still listed and on disk, and it plays. */
async function expectIntact(playlist: string, before: string[]): Promise<void> {
  const final = await readPlaylist(playlist);
  expect(final.ended).toBe(true);
  const uris = final.segments.map((s) => s.uri);
  for (const uri of before) expect(uris).toContain(uri);
  for (const uri of uris) expect(existsSync(path.join(path.dirname(playlist), uri))).toBe(true);
  const probe = await ffprobeJson(playlist);
  expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(final.segments.reduce((s, x) => s + x.duration, 0) - 1);
}

/** A live recorded seminar 3 s into its recording: what is listed so far, and its writer's pid. */
async function recordingUnderWay(title: string) {
  const scene = await liveRecordedSeminar(app, title);
  sources.push(scene.source);
  await waitFor(async () => ((await listedSeconds(scene.playlist)) >= 3 ? true : undefined), 20_000, '3 s of recording');
  const before = (await readPlaylist(scene.playlist)).segments.map((s) => s.uri);
  const dir = path.dirname(scene.playlist);
  const [writer] = writersOf(dir);
  expect(writer).toBeDefined();
  return { scene, before, dir, writer: writer! };
}

/** The recording goes on in a new writer after a discontinuity; the seminar ends and its recording is whole. */
async function goesOnAndEnds(
  { scene, before, dir, writer }: Awaited<ReturnType<typeof recordingUnderWay>>,
  listedAtFault: number,
  timeoutMs: number,
): Promise<void> {
  await waitExplained(
    app,
    async () => ((await listedSeconds(scene.playlist)) >= listedAtFault + 3 ? true : undefined),
    timeoutMs,
    'the recording to go on with a new ffmpeg',
  );
  const restarted = writersOf(dir);
  expect(restarted.length).toBe(1);
  expect(restarted[0]).not.toBe(writer);
  const during = await readPlaylist(scene.playlist);
  expect(during.ended).toBe(false);
  expect(during.discontinuities).toBeGreaterThanOrEqual(1);

  await scene.lecturer.ok('seminar:end', {});
  expect((await app.repos.recordings.get(scene.recordingId))!.status).toBe('ready');
  await expectIntact(scene.playlist, before);
  scene.lecturer.close();
}

describe('media faults during a recording', () => {
  it('a mediasoup worker killed: the room is rebuilt, and the recording goes on after a discontinuity', async () => {
    const scene = await liveRecordedSeminar(app, 'Воркер убит');
    sources.push(scene.source);
    await waitFor(async () => ((await listedSeconds(scene.playlist)) >= 3 ? true : undefined), 20_000, '3 s of recording');
    const before = (await readPlaylist(scene.playlist)).segments.map((s) => s.uri);
    const victim = app.pool.workers[0]!.pid;
    process.kill(victim, 'SIGKILL');
    await scene.lecturer.next('room:rebuild', () => true, 10_000);
    scene.source.kill('SIGKILL');

    // The lecturer's page joins again and sends its camera and microphone again.
    await waitFor(
      async () => ((await scene.lecturer.request('room:join', { seminarId: scene.seminarId })).ok ? true : undefined),
      20_000,
      'the lecturer to rejoin the rebuilt room',
    );
    const room = (await app.rooms.peek(scene.seminarId))!;
    expect(room.isClosed).toBe(false);
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    sources.push(ffmpeg);
    const seminar = (await app.repos.seminars.get(scene.seminarId))!;
    app.recorder.producerAdded(room, seminar, { producer: video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, seminar, { producer: audio, source: 'mic', role: 'lecturer' });
    const listedAtRebuild = await listedSeconds(scene.playlist);
    await waitExplained(
      app,
      async () => ((await listedSeconds(scene.playlist)) >= listedAtRebuild + 3 ? true : undefined),
      30_000,
      'the recording to go on in the rebuilt room',
    );
    const during = await readPlaylist(scene.playlist);
    expect(during.ended).toBe(false);
    expect(during.discontinuities).toBeGreaterThanOrEqual(1);

    await scene.lecturer.ok('seminar:end', {});
    const recording = (await app.repos.recordings.get(scene.recordingId))!;
    expect(recording.status).toBe('ready');
    expect(recording.discontinuities).toBeGreaterThanOrEqual(1);
    await expectIntact(scene.playlist, before);
    scene.lecturer.close();
  }, 120_000);

  it('the recording ffmpeg killed: it is started again and the recording goes on after a discontinuity', async () => {
    const run = await recordingUnderWay('ffmpeg убит');
    process.kill(run.writer, 'SIGKILL');
    await waitFor(() => (!alive(run.writer) ? true : undefined), 5_000, 'ffmpeg to die');
    await goesOnAndEnds(run, await listedSeconds(run.scene.playlist), 30_000);
  }, 120_000);

  it('the recording ffmpeg hangs (SIGSTOP): it is killed, started again, and the recording goes on after a discontinuity', async () => {
    const run = await recordingUnderWay('ffmpeg завис');
    // Alive, holding its sockets and files, writing nothing: as an ffmpeg that hangs.
    process.kill(run.writer, 'SIGSTOP');
    const hungAt = Date.now();
    const listedAtHang = await listedSeconds(run.scene.playlist);
    await waitExplained(app, () => (!alive(run.writer) ? true : undefined), 20_000, 'the hung ffmpeg to be killed');
    // Not before it had been quiet for 10 s, counted from its last segment, at most a second before
    // it hung: a busy ffmpeg is slow, not stuck.
    expect(Date.now() - hungAt).toBeGreaterThanOrEqual(8_500);
    await goesOnAndEnds(run, listedAtHang, 40_000);
  }, 120_000);
});
