import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { makePdf } from '../support/pdf';

// Where the replay puts what happened live, when the recorder started late (as it does under
// load): the recording's time 0 is its timeline origin, the live start (what came before the
// first picture is black), so chat, questions and their answers, markers, polls and slides all
// sit at (moment − live start − cut start), the same as the video. None of them may follow the
// moment the recording's record was stored.

const LATE_MS = 3000;

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
const sources: ChildProcess[] = [];

beforeAll(async () => {
  app = await startTestApp('replay_clock', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(async () => {
  for (const s of sources) s.kill('SIGKILL');
  await app.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When a request was handled, as the bounds of milliseconds since the live start it can have been stored at. */
async function during<T>(liveStartedAt: number, request: () => Promise<T>): Promise<{ result: T; from: number; to: number }> {
  const from = Date.now() - liveStartedAt;
  const result = await request();
  return { result, from, to: Date.now() - liveStartedAt };
}

/** An offset on the replay, for a moment [from, to] of the session on a replay that starts `cutMs` into it. */
function expectAt(offsetMs: number | null | undefined, moment: { from: number; to: number }, cutMs: number) {
  expect(offsetMs).toBeGreaterThanOrEqual(moment.from - cutMs - 2);
  expect(offsetMs).toBeLessThanOrEqual(moment.to - cutMs + 2);
}

describe('the replay of a recording whose recorder started late', () => {
  it('places chat, questions, markers, polls and slides where the video has them, also after a cut', async () => {
    const { lecturer: lecturerUser, learner: learnerUser } = people;
    const created = await api.call('POST', '/seminars', {
      token: lecturerUser.token,
      body: { title: 'Часы записи', track: 'Recordings', startsAt: '2027-02-10T18:00', durationMinutes: 60, capacity: 20 },
    });
    const id = created.body.id as string;
    await api.call('POST', `/seminars/${id}/transitions`, { token: lecturerUser.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${id}/registration`, { token: learnerUser.token });
    const deck = await api.call('POST', `/seminars/${id}/decks?name=deck.pdf`, {
      token: lecturerUser.token,
      rawBody: makePdf(['Market size', 'Unit economics']),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(deck.status, deck.text).toBe(201);

    const lecturer = await LiveClient.connect(app.url, lecturerUser.token);
    const learner = await LiveClient.connect(app.url, learnerUser.token);
    try {
      await lecturer.ok('room:join', { seminarId: id });
      await learner.ok('room:join', { seminarId: id });
      await lecturer.ok('seminar:go-live', {});
      const liveStartedAt = (await app.repos.seminars.get(id))!.liveStartedAt!.getTime();

      // The recorder starts late: its record is stored seconds after the live start, and the
      // lecturer's camera and microphone reach it later still.
      const record = (await app.repos.recordings.current(id))!;
      await app.repos.recordings.update(record.id, { startedAt: new Date(liveStartedAt + LATE_MS) });
      await sleep(LATE_MS);
      const room = (await app.rooms.peek(id))!;
      const { video, audio, ffmpeg } = await avProducers(room.origin);
      sources.push(ffmpeg);
      const seminar = (await app.repos.seminars.get(id))!;
      app.recorder.producerAdded(room, seminar, { producer: video, source: 'camera', role: 'lecturer' });
      app.recorder.producerAdded(room, seminar, { producer: audio, source: 'mic', role: 'lecturer' });
      await sleep(1000);

      const at = <T>(request: () => Promise<T>) => during(liveStartedAt, request);
      const slide1 = await at(() => lecturer.ok('slide:show', { deckId: deck.body.id, page: 1 }));
      const chat = await at(() => learner.ok('chat:send', { text: 'Здравствуйте!' }));
      const asked = await at(() => learner.ok('question:ask', { text: 'Как считать LTV?' }));
      const poll = await lecturer.ok('poll:create', {
        question: 'Есть выручка?',
        options: ['да', 'нет'],
        multiple: false,
        showResults: 'after_vote',
      });
      const opened = await at(() => lecturer.ok('poll:open', { pollId: poll.id }));
      await sleep(1200);
      const marker = await at(() => lecturer.ok('marker:add', { label: 'Разбор кейса' }));
      const slide2 = await at(() => lecturer.ok('slide:show', { deckId: deck.body.id, page: 2 }));
      await learner.ok('poll:vote', { pollId: poll.id, choices: [0] });
      const closed = await at(() => lecturer.ok('poll:close', { pollId: poll.id }));
      await sleep(1200);
      const answered = await at(() => lecturer.ok('question:status', { questionId: asked.result.id, status: 'answered' }));
      await sleep(2000);
      // Through REST: the answer waits for the recording to be finished, longer than a socket's ack under load.
      const ended = await api.call('POST', `/seminars/${id}/transitions`, { token: lecturerUser.token, body: { to: 'ended' } });
      expect(ended.status, ended.text).toBe(200);

      const playback = async () => {
        const res = await api.call('GET', `/seminars/${id}/playback`, { token: learnerUser.token });
        expect(res.status, res.text).toBe(200);
        return res.body;
      };
      const whole = await waitFor(async () => ((await playback()).live ? undefined : playback()), 15_000, 'the recording to be ready');

      // The video counts from the live start: as long as the session, not LATE_MS shorter.
      const endedAt = (await app.repos.seminars.get(id))!.endedAt!.getTime();
      expect(Math.abs(whole.durationSeconds - (endedAt - liveStartedAt) / 1000)).toBeLessThanOrEqual(0.5);

      const check = (p: typeof whole, cutMs: number) => {
        expect(p.chat.map((m: { text: string }) => m.text)).toEqual(['Здравствуйте!']);
        expectAt(p.chat[0].offsetMs, chat, cutMs);
        const question = p.questions.find((q: { id: string }) => q.id === asked.result.id);
        expectAt(question.offsetMs, asked, cutMs);
        expectAt(question.answeringOffsetMs, answered, cutMs);
        expectAt(p.polls[0].openedOffsetMs, opened, cutMs);
        expectAt(p.polls[0].closedOffsetMs, closed, cutMs);
        expect(p.polls[0].counts).toEqual([1, 0]);
        expect(p.slides.map((s: { page: number }) => s.page)).toEqual([1, 2]);
        expectAt(p.slides[0].offsetMs, slide1, cutMs);
        expectAt(p.slides[1].offsetMs, slide2, cutMs);
        const chapter = (kind: string, title: string) =>
          p.chapters.find((c: { kind: string; title: string }) => c.kind === kind && c.title === title)?.offsetMs;
        expectAt(chapter('question', 'Как считать LTV?'), answered, cutMs);
        expectAt(chapter('marker', 'Разбор кейса'), marker, cutMs);
        expectAt(chapter('poll', 'Есть выручка?'), opened, cutMs);
        expectAt(chapter('slide', 'Market size'), slide1, cutMs);
        expectAt(chapter('slide', 'Unit economics'), slide2, cutMs);
      };
      check(whole, 0);

      // Cut 2 s off the start (a segment boundary): everything moves with the video.
      const cut = await api.call('PUT', `/recordings/${record.id}/trim`, {
        token: lecturerUser.token,
        body: { startSeconds: 2, endSeconds: null },
      });
      expect(cut.status, cut.text).toBe(200);
      const trim = (await app.repos.recordings.get(record.id))!.trim!;
      expect(trim.startSeconds).toBeCloseTo(2, 3);
      const trimmed = await playback();
      expect(trimmed.durationSeconds).toBeCloseTo(whole.durationSeconds - trim.startSeconds, 2);
      check(trimmed, Math.round(trim.startSeconds * 1000));
    } finally {
      learner.close();
      lecturer.close();
    }
  }, 90_000);
});
