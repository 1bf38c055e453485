import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { start } from '../../server/main';
import { createLogger } from '../../server/logger';
import { readPlaylist } from '../../media';
import { Api, cast } from '../support/api';
import { startTestApp, testConfig, testDatabaseUri } from '../support/app';
import { avProducers } from '../support/av-producers';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { ffprobeJson } from '../support/probe';

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
const sources: ChildProcess[] = [];

beforeAll(async () => {
  app = await startTestApp('recording', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(async () => {
  for (const s of sources) s.kill('SIGKILL');
  await app.stop();
});

/**
 * A scheduled seminar in a course, with the learner registered; the lecturer's socket joined and
 * live, and (unless `media` is false) their camera and microphone handed to the recorder.
 */
async function liveSeminar({ media = true } = {}) {
  const course = await api.call('POST', '/courses', {
    token: people.lecturer.token,
    body: { title: 'Курс с записями', track: 'Recordings' },
  });
  const seminar = await api.call('POST', '/seminars', {
    token: people.lecturer.token,
    body: {
      title: 'Запись эфира',
      track: 'Recordings',
      startsAt: '2027-01-20T18:00',
      durationMinutes: 60,
      capacity: 20,
      courseId: course.body.id,
    },
  });
  const id = seminar.body.id as string;
  await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
  await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token });
  const lecturer = await LiveClient.connect(app.url, people.lecturer.token);
  await lecturer.ok('room:join', { seminarId: id });
  await lecturer.ok('seminar:go-live', {});
  if (!media) return { id, courseId: course.body.id as string, lecturer };
  // The lecturer's camera and microphone: a real ffmpeg source (H.264 + Opus) on the room's origin router.
  const room = (await app.rooms.peek(id))!;
  const { video, audio, ffmpeg } = await avProducers(room.origin);
  sources.push(ffmpeg);
  const seminarRecord = (await app.repos.seminars.get(id))!;
  app.recorder.producerAdded(room, seminarRecord, { producer: video, source: 'camera', role: 'lecturer' });
  app.recorder.producerAdded(room, seminarRecord, { producer: audio, source: 'mic', role: 'lecturer' });
  return { id, courseId: course.body.id as string, lecturer, ffmpeg };
}

const get = (url: string) => fetch(`${app.url}${url}`);

describe('recording a live seminar', () => {
  it('records while live (served as live HLS), and becomes a playable lesson within 5 s of the end', async () => {
    const { id, courseId, lecturer } = await liveSeminar();
    const liveFrom = Date.now();
    const playback = await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
        if (res.status !== 200) return undefined;
        const playlist = await get(res.body.playlistUrl);
        return playlist.status === 200 && (await playlist.text()).includes('seg_00002.ts') ? res.body : undefined;
      },
      30_000,
      'a live playlist with three segments',
    );
    expect(playback.live).toBe(true);
    const livePlaylist = await get(playback.playlistUrl);
    expect(livePlaylist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(livePlaylist.headers.get('cache-control')).toBe('no-cache');
    const text = await livePlaylist.text();
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    // A playlist changes several times a second: a validator with one-second resolution would let a
    // browser keep a stale copy (a 304 to If-Modified-Since), and then cache it under the finished
    // playlist's max-age, so a live viewer would never see the end.
    expect(livePlaylist.headers.get('last-modified')).toBeNull();
    expect(livePlaylist.headers.get('etag')).toBeNull();
    const revalidated = await fetch(`${app.url}${playback.playlistUrl}`, {
      headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() },
    });
    expect(revalidated.status).toBe(200);
    const segment = await get(playback.playlistUrl.replace('index.m3u8', 'seg_00000.ts'));
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    expect(segment.headers.get('cache-control')).toContain('immutable');

    await new Promise((r) => setTimeout(r, 2000));
    const liveSeconds = (Date.now() - liveFrom) / 1000;
    const endAt = Date.now();
    await lecturer.ok('seminar:end', {});
    const done = await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live ? res.body : undefined;
      },
      5_000,
      'the recording to be ready',
    );
    expect(Date.now() - endAt).toBeLessThan(5000);
    const final = await (await get(done.playlistUrl)).text();
    expect(final).toContain('#EXT-X-ENDLIST');
    expect((await get(done.posterUrl)).headers.get('content-type')).toBe('image/jpeg');

    const recording = (await app.repos.recordings.latestReady(id))!;
    const file = path.join(app.config.recordingsDir, recording.dir, 'index.m3u8');
    const probe = await ffprobeJson(file);
    expect(probe.streams.map((s: { codec_type: string }) => s.codec_type).sort()).toEqual(['audio', 'video']);
    // The recording starts once the media flows, a moment after "go live".
    expect(recording.durationSeconds!).toBeGreaterThan(liveSeconds - 3);
    expect(recording.durationSeconds!).toBeLessThanOrEqual(liveSeconds + 1);

    const course = await api.call('GET', `/courses/${courseId}`, { token: people.lecturer.token });
    const lessons = course.body.modules.flatMap((m: { lessons: unknown[] }) => m.lessons);
    expect(lessons).toEqual([
      expect.objectContaining({ kind: 'recording', seminarId: id, title: 'Запись эфира', durationSeconds: recording.durationSeconds }),
    ]);
    expect(recording.lessonId).toBe(lessons[0].id);
    lecturer.close();
  });

  it('makes a chapter of a question answered without "answering now", where it was answered', async () => {
    const { id, lecturer } = await liveSeminar();
    // The recording has begun (its writer lists a segment) before anything is asked: a seminar
    // ended sooner has nothing to play (the next test), and ffmpeg takes seconds to start on a busy machine.
    await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
        if (res.status !== 200) return undefined;
        return (await (await get(res.body.playlistUrl)).text()).includes('.ts') || undefined;
      },
      30_000,
      'a live playlist with a segment',
    );
    const learner = await LiveClient.connect(app.url, people.learner.token);
    await learner.ok('room:join', { seminarId: id });
    const asked = await learner.ok('question:ask', { text: 'Какие налоги платит ИП?' });
    await new Promise((r) => setTimeout(r, 1500));
    // A viewer watching live just before the answer: that fills the playback's timeline cache
    // with a timeline lacking the answer, which the replay must not be given.
    const watching = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
    expect(watching.body).toMatchObject({ live: true, chapters: [] });
    const liveStartedAt = (await app.repos.seminars.get(id))!.liveStartedAt!.getTime();
    const answeredAt = Date.now() - liveStartedAt;
    const answered = await lecturer.ok('question:status', { questionId: asked.id, status: 'answered' });
    expect(answered).toMatchObject({ status: 'answered', answeringOffsetMs: expect.any(Number) });
    await lecturer.ok('seminar:end', {});
    const playback = await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live ? res.body : undefined;
      },
      20_000,
      'the recording to be ready',
    );
    const chapter = playback.chapters.find(
      (c: { kind: string; title: string }) => c.kind === 'question' && c.title === 'Какие налоги платит ИП?',
    );
    expect(chapter).toBeDefined();
    expect(Math.abs(chapter.offsetMs - answeredAt)).toBeLessThan(500);
    learner.close();
    lecturer.close();
  });

  it('fails a recording ended before it wrote anything, and adds no lesson that cannot be played', async () => {
    // No camera or microphone ever on: the recorder never starts a writer. (A seminar ended within
    // a second or so of going live ends the same way, but how soon ffmpeg writes depends on the machine.)
    const { id, courseId, lecturer } = await liveSeminar({ media: false });
    await new Promise((r) => setTimeout(r, 1000));
    await lecturer.ok('seminar:end', {});
    const recording = await waitFor(
      async () => {
        const [r] = (await app.repos.recordings.list([id], 1)).items;
        return r && r.status !== 'recording' ? r : undefined;
      },
      20_000,
      'the recording to be finished',
    );
    expect(recording).toMatchObject({ status: 'failed', segments: 0, lessonId: null });
    const course = await api.call('GET', `/courses/${courseId}`, { token: people.lecturer.token });
    expect(course.body.modules.flatMap((m: { lessons: unknown[] }) => m.lessons)).toEqual([]);
    const playback = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
    expect(playback.status).toBe(404);
    expect(playback.body.error.code).toBe('recording_not_found');
    lecturer.close();
  });

  it('serves recording files only through a valid signed path, and never outside the recording', async () => {
    const { id, lecturer } = await liveSeminar();
    const playback = await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${id}/playback`, { token: people.learner.token });
        return res.status === 200 ? res.body : undefined;
      },
      20_000,
      'a recording',
    );
    const [, , recordingId, exp, sig] = playback.playlistUrl.split('/');
    await waitFor(async () => ((await get(playback.playlistUrl)).status === 200 ? true : undefined), 20_000, 'the playlist');

    expect((await get(`/media/${recordingId}/${exp}/${'A'.repeat(sig.length)}/index.m3u8`)).status).toBe(403);
    expect((await get(`/media/${recordingId}/${Math.floor(Date.now() / 1000) - 10}/${sig}/index.m3u8`)).status).toBe(403);
    expect((await get(`/media/${'0'.repeat(24)}/${exp}/${sig}/index.m3u8`)).status).toBe(403);
    for (const evil of [
      '..%2F..%2F..%2Fetc%2Fpasswd',
      '..%2Frecording.sdp',
      'recording.sdp',
      'screen-1%2F..%2F..%2Findex.m3u8',
      '%2Fetc%2Fpasswd',
    ]) {
      const res = await get(`/media/${recordingId}/${exp}/${sig}/${evil}`);
      expect([400, 404]).toContain(res.status);
      expect(await res.text()).not.toContain('root:');
    }
    const stranger = await api.call('GET', `/seminars/${id}/playback`, { token: people.otherLearner.token });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('not_allowed_to_watch');
    expect((await api.call('GET', `/seminars/${id}/playback`)).status).toBe(401);
    await lecturer.ok('seminar:end', {});
    lecturer.close();
  });
});

describe('after a crash', () => {
  it('finalizes unfinished recordings and ends seminars left live, on boot', async () => {
    const bootConfig = await testConfig({ MONGODB_URI: testDatabaseUri('recording-boot'), MEDIASOUP_WORKERS: '1' });
    const first = await start(bootConfig, createLogger('silent'));
    const a = Api.of(first);
    const crew = await cast(a);
    const s = await a.call('POST', '/seminars', {
      token: crew.lecturer.token,
      body: { title: 'Сбой сервера', track: 'Faults', startsAt: '2027-02-01T10:00', durationMinutes: 60, capacity: 5 },
    });
    await a.call('POST', `/seminars/${s.body.id}/transitions`, { token: crew.lecturer.token, body: { to: 'scheduled' } });
    const lecturer = await LiveClient.connect(first.url, crew.lecturer.token);
    await lecturer.ok('room:join', { seminarId: s.body.id });
    await lecturer.ok('seminar:go-live', {});
    const room = (await first.rooms.peek(s.body.id))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    sources.push(ffmpeg);
    const sem = (await first.repos.seminars.get(s.body.id))!;
    first.recorder.producerAdded(room, sem, { producer: video, source: 'camera', role: 'lecturer' });
    first.recorder.producerAdded(room, sem, { producer: audio, source: 'mic', role: 'lecturer' });
    const recording = (await first.repos.recordings.current(s.body.id))!;
    const playlist = path.join(bootConfig.recordingsDir, recording.dir, 'index.m3u8');
    // Segments are 1 s by default: wait for 4 s of listed media, not a count of segments.
    const listed = async () => (await readPlaylist(playlist)).segments.reduce((sum, seg) => sum + seg.duration, 0);
    await waitFor(async () => ((await listed()) >= 4 ? true : undefined), 20_000, '4 s of segments');
    const listedBeforeCrash = await listed();
    lecturer.close();
    await first.stop();
    // As a crash would leave it: no ENDLIST.
    const { writeFile } = await import('node:fs/promises');
    const text = (await readPlaylist(playlist)).text.replace('#EXT-X-ENDLIST', '');
    await writeFile(playlist, text);
    expect(first.db.connection.readyState).toBe(0);

    const second = await start(bootConfig, createLogger('silent'));
    try {
      await waitFor(
        async () => ((await second.repos.recordings.get(recording.id))?.status === 'ready' ? true : undefined),
        10_000,
        'the recording to be finalized',
      );
      expect((await readPlaylist(playlist)).ended).toBe(true);
      expect((await second.repos.seminars.get(s.body.id))!.status).toBe('ended');
      const segments = (await readPlaylist(playlist)).segments;
      for (const seg of segments) expect(existsSync(path.join(path.dirname(playlist), seg.uri))).toBe(true);
      const probe = await ffprobeJson(playlist);
      // Everything listed before the crash is still there and playable.
      expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(listedBeforeCrash - 0.5);
    } finally {
      await second.stop();
    }
  });
});
