import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, createSeminar, registerFor } from '../live/support';

// A ban from a seminar's room (moderation:ban) also takes away its live HLS and recording.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('playback_bans', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

describe('playback after a ban', () => {
  it('answers 403 banned to the banned learner only, on a public and on a registered seminar', async () => {
    const clients = new Clients(app);
    try {
      for (const isPublic of [true, false]) {
        const seminarId = await createSeminar(api, people.lecturer, { isPublic });
        await registerFor(api, seminarId, people.learner);
        await registerFor(api, seminarId, people.otherLearner);
        const playback = (token: string) => api.call('GET', `/seminars/${seminarId}/playback`, { token });
        // Allowed to watch: the live recording (going live through REST starts it), or, before its
        // first segment, only the recording is missing yet.
        const allowed = async (token: string) => {
          const res = await playback(token);
          return res.status === 200 ? 'allowed' : (res.body.error?.code as string);
        };
        expect(['allowed', 'recording_not_found']).toContain(await allowed(people.learner.token));

        const { client: lecturer } = await clients.join(seminarId, people.lecturer);
        await clients.join(seminarId, people.learner);
        await lecturer.ok('moderation:ban', { userId: people.learner.id });

        const banned = await playback(people.learner.token);
        expect(banned.status).toBe(403);
        expect(banned.body.error.code).toBe('banned');
        expect(['allowed', 'recording_not_found']).toContain(await allowed(people.otherLearner.token));
        expect(['allowed', 'recording_not_found']).toContain(await allowed(people.lecturer.token));
        clients.closeAll();
      }
    } finally {
      clients.closeAll();
    }
  });
});
