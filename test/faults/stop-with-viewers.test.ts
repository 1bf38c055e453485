import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { start, type Lectern } from '../../server/main';
import { Api, registerUser } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { registerFor } from '../live/support';
import { listedSeconds, liveRecordedSeminar, logger } from './support';

// A deploy stops Lectern (SIGTERM) while people are in a live seminar. Their sockets are
// upgraded WebSockets, which the HTTP server no longer counts as its connections: stop()
// once waited on them forever, and what it closes after the server (the recordings, the
// progress buffer, the database) was never closed.

let app: Lectern | undefined;
const sources: ChildProcess[] = [];
afterAll(async () => {
  for (const s of sources) s.kill('SIGKILL');
  await app?.stop();
});

describe('stopping Lectern with people still in a live seminar', () => {
  it('closes their sockets, ends the recording and stops, without waiting for them to leave', async () => {
    app = await start(await testConfig({ MONGODB_URI: testDatabaseUri('stop_with_viewers') }), logger);
    const scene = await liveRecordedSeminar(app, 'Остановка с людьми в зале');
    sources.push(scene.source);
    const api = Api.of(app);
    const learner = await registerUser(api);
    await registerFor(api, scene.seminarId, learner);
    const viewer = await LiveClient.connect(app.url, learner.token);
    await viewer.ok('room:join', { seminarId: scene.seminarId });
    await waitFor(async () => ((await listedSeconds(scene.playlist)) >= 2 ? true : undefined), 20_000, '2 s of recording');
    const closed = [scene.lecturer, viewer].map((c) => new Promise<string>((resolve) => c.socket.once('disconnect', resolve)));

    const stopping = app.stop().then(() => 'stopped');
    const outcome = await Promise.race([stopping, new Promise((r) => setTimeout(() => r('still stopping after 30 s'), 30_000))]);

    expect(outcome).toBe('stopped');
    expect(await Promise.all(closed)).toEqual(['transport close', 'transport close']);
    const playlist = await readPlaylist(scene.playlist);
    expect(playlist.ended).toBe(true);
    expect(playlist.segments.length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
