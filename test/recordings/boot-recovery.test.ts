import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { carriesSound } from '../../media/segment-sound';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { listedByRecorder, openRecording, recordingDir, writerRun } from '../support/recordings';
import { createSeminar } from '../live/support';

// The repair at boot (domain.reconcile) makes a recording that a crash left open ready, with
// the segments its writer finished after the playlist's last: through the app's own wiring,
// which hands crash recovery ffmpeg, so a recovered segment without sound gets silence
// (test/media/crash-recovery.test.ts holds the recovery's rules on their own).

let app: Lectern;
beforeAll(async () => {
  app = await startTestApp('boot_recovery', { MEDIASOUP_WORKERS: '1' });
});
afterAll(async () => {
  await app?.stop();
});

describe('a recording left open by a crash, at the next boot', () => {
  it('becomes ready with every finished segment, each holding sound', async () => {
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const recording = await openRecording(app, seminarId);
    const id = recording.id;
    // The writer's 5 s, its sound gone 1.5 s in; the Recorder had listed two segments.
    const dir = recordingDir(app, recording);
    await mkdir(dir, { recursive: true });
    await cp(await writerRun(5, 1.5), dir, { recursive: true });
    await listedByRecorder(dir, 2);

    await app.domain.reconcile();

    const after = await app.repos.recordings.get(id);
    expect(after).toMatchObject({ status: 'ready', segments: 5 });
    const playlist = await readPlaylist(path.join(dir, 'index.m3u8'));
    expect(playlist.ended).toBe(true);
    for (const s of playlist.segments) expect(carriesSound(await readFile(path.join(dir, s.uri))), s.uri).toBe(true);
  }, 60_000);
});
