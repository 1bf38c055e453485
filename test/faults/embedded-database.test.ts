import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Lectern } from '../../server/main';
import { Api } from '../support/api';
import { testConfig } from '../support/app';
import { alive, waitFor } from '../support/media';
import { liveRecordedSeminar, logger, sleep, type RecordedSeminar } from './support';

// The embedded FerretDB (no MONGODB_URI) is SIGKILLed under a running Lectern with a live,
// recorded seminar: it is started again on its own, the API never answers 500 meanwhile,
// and the room and its recording go on.
let app: Lectern;
let scene: RecordedSeminar;

beforeAll(async () => {
  app = await start(await testConfig({ MEDIASOUP_WORKERS: '1' }), logger);
  scene = await liveRecordedSeminar(app, 'Встроенная база падает');
});
afterAll(async () => {
  scene?.source.kill('SIGKILL');
  scene?.lecturer.close();
  await app?.stop();
});

describe('the embedded database killed while Lectern runs', () => {
  it('is restarted; the API answers 200 or 503 database_unavailable with Retry-After, never 500; the room goes on', async () => {
    const api = Api.of(app);
    const embedded = app.embeddedDb!;
    expect(embedded).toBeDefined();
    const before = embedded.pid!;

    for (let kill = 0; kill < 2; kill++) {
      const victim = embedded.pid!;
      process.kill(victim, 'SIGKILL');
      await waitFor(() => (!alive(victim) ? true : undefined), 5_000, 'the database process to die');
      const answers: Array<{ status: number; code?: string; retryAfter: string | null }> = [];
      await waitFor(
        async () => {
          const res = await api.call('GET', `/seminars/${scene.seminarId}`);
          answers.push({ status: res.status, code: res.body?.error?.code, retryAfter: res.headers.get('retry-after') });
          return res.status === 200 && embedded.pid !== victim ? true : undefined;
        },
        30_000,
        'the API to answer 200 from a restarted database',
      );
      for (const a of answers.filter((x) => x.status !== 200)) {
        expect(a).toEqual({ status: 503, code: 'database_unavailable', retryAfter: '5' });
      }
      expect(alive(embedded.pid!)).toBe(true);
    }
    expect(embedded.restarts).toBe(2);
    expect(embedded.pid).not.toBe(before);
    await waitFor(async () => ((await fetch(`${app.url}/readyz`)).status === 200 ? true : undefined), 20_000, '/readyz to recover');

    // The room and the recording went on; the lecturer ends the seminar normally.
    await sleep(1000);
    expect(scene.lecturer.socket.connected).toBe(true);
    expect((await app.repos.seminars.get(scene.seminarId))!.status).toBe('live');
    await scene.lecturer.ok('seminar:end', {});
    expect((await app.repos.recordings.get(scene.recordingId))!.status).toBe('ready');
  }, 90_000);
});
