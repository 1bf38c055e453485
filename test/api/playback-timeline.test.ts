import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Lectern } from '../../server/main';
import { PLAYBACK_TIMELINE_TTL_MS } from '../../server/recordings/service';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, createSeminar } from '../live/support';

// Playback's chat, questions and chapters are the same for every viewer: loaded once per
// seminar per few seconds, not on each (anonymous) call.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('playback_timeline', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

describe('playback timeline', () => {
  it('loads chat and questions once for a burst of anonymous calls, and again after the TTL', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const seminar = (await app.repos.seminars.get(seminarId))!;
    await app.domain.recordings.begin(seminar, 'VP8');
    const clients = new Clients(app);
    try {
      const { client: lecturer } = await clients.join(seminarId, people.lecturer);
      await lecturer.ok('chat:send', { text: 'Добро пожаловать' });
    } finally {
      clients.closeAll();
    }
    const chatLoads = vi.spyOn(app.repos.live, 'recentChat');
    const questionLoads = vi.spyOn(app.repos.live, 'questions');
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => api.call('GET', `/seminars/${seminarId}/playback`)));
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 30 }, () => 200));
      expect(answers.every((a) => a.body.chat.length === 1 && a.body.chat[0].text === 'Добро пожаловать')).toBe(true);
      expect(chatLoads).toHaveBeenCalledTimes(1);
      expect(questionLoads).toHaveBeenCalledTimes(1);

      await new Promise((r) => setTimeout(r, PLAYBACK_TIMELINE_TTL_MS + 200));
      expect((await api.call('GET', `/seminars/${seminarId}/playback`)).status).toBe(200);
      expect(chatLoads).toHaveBeenCalledTimes(2);
    } finally {
      chatLoads.mockRestore();
      questionLoads.mockRestore();
    }
  });
});
