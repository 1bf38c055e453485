import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../server/accounts/grants';
import type { Lectern } from '../../server/main';
import { courseStructureBody, createSeminarBody } from '../../server/protocol';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { ffprobeJson } from '../support/probe';
import { readyRecording, recordingDir } from '../support/recordings';

// The workspace's recordings (issue 13): list, rename, cut, delete and download as MP4, each
// checked on disk, in the database and, for media, with ffprobe. Each test writes real HLS
// with ffmpeg (and remuxes it): on a loaded 2-core machine that takes far longer than the
// suite's 30 s, so the tests here get 180 s (a limit on waiting, not on what is asserted).
const SLOW = { timeout: 180_000 };

const run = promisify(execFile);

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

const actorOf = (user: TestUser): Extract<Actor, { kind: 'user' }> => app.domain.tokens.verifyAccess(user.token);

async function seminarOf(lecturer: TestUser, title = 'Налоги для ИП'): Promise<string> {
  const actor = actorOf(lecturer);
  const body = createSeminarBody.parse({ title, track: 'recordings', startsAt: '2031-03-14T18:30', durationMinutes: 60, capacity: 50 });
  const seminar = await app.domain.seminars.create(actor, body);
  await app.domain.seminars.transition(actor, seminar.id, 'scheduled');
  return seminar.id;
}

/** A course of the lecturer's with one lesson that plays the seminar's recording. */
async function courseWith(lecturer: TestUser, seminarId: string, published: boolean): Promise<string> {
  const actor = actorOf(lecturer);
  const course = await app.domain.courses.create(actor, {
    title: 'Курс с записью',
    description: '',
    track: 'recordings',
    completionThreshold: 0.9,
  });
  await app.domain.courses.setStructure(
    actor,
    course.id,
    courseStructureBody.parse({ modules: [{ title: 'Записи', lessons: [{ kind: 'recording', title: 'Запись', seminarId }] }] }),
  );
  if (published) await app.domain.courses.setPublished(actor, course.id, true);
  return course.id;
}

/** ffmpeg decodes the file's video and hashes the pictures: equal hashes are the same frames. */
async function videoFramesMd5(file: string): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-map', '0:v:0', '-f', 'md5', '-'], {
    timeout: 60_000,
  });
  return stdout.trim();
}

beforeAll(async () => {
  app = await startTestApp('recordings_library', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

describe('GET /recordings', SLOW, () => {
  it('lists a lecturer’s own recordings, all of them to an admin, none to a learner', async () => {
    const mine = await readyRecording(app, await seminarOf(people.lecturer), 3);
    const theirs = await readyRecording(app, await seminarOf(people.otherLecturer), 3);
    const ids = async (user: TestUser) => {
      const res = await api.call('GET', '/recordings?limit=100', { token: user.token });
      expect(res.status, res.text).toBe(200);
      return res.body.items.map((r: { id: string }) => r.id) as string[];
    };
    expect(await ids(people.lecturer)).toContain(mine.id);
    expect(await ids(people.lecturer)).not.toContain(theirs.id);
    expect(await ids(people.otherLecturer)).toEqual([theirs.id]);
    expect(await ids(people.admin)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect((await api.call('GET', '/recordings', { token: people.learner.token })).body.error.code).toBe('missing_grant');
    expect((await api.call('GET', '/recordings')).status).toBe(401);
    const listed = (await api.call('GET', `/recordings/${mine.id}`, { token: people.lecturer.token })).body;
    expect(listed).toMatchObject({
      id: mine.id,
      title: 'Налоги для ИП',
      customTitle: null,
      status: 'ready',
      durationSeconds: 3,
      trim: null,
    });
    expect(listed.posterUrl).toMatch(/\/poster\.jpg$/);
  });

  it('pages with a cursor, and refuses one it did not issue', async () => {
    const seminarId = await seminarOf(people.otherLecturer);
    for (let i = 0; i < 2; i++) await readyRecording(app, seminarId, 2);
    const first = await api.call('GET', '/recordings?limit=1', { token: people.otherLecturer.token });
    expect(first.body.items).toHaveLength(1);
    const second = await api.call('GET', `/recordings?limit=1&cursor=${first.body.nextCursor}`, { token: people.otherLecturer.token });
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    for (const q of ['limit=0', 'limit=101', 'cursor=bm9wZQ', 'cursor=%2F%2F'])
      expect((await api.call('GET', `/recordings?${q}`, { token: people.otherLecturer.token })).status, q).toBe(400);
  });
});

describe('PATCH /recordings/:id', SLOW, () => {
  it('renames: the replay shows the name; an empty one brings back the seminar’s title', async () => {
    const seminarId = await seminarOf(people.lecturer, 'Маркетинг');
    const r = await readyRecording(app, seminarId, 2);
    const res = await api.call('PATCH', `/recordings/${r.id}`, {
      token: people.lecturer.token,
      body: { title: '  Маркетинг: запись для курса ' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ title: 'Маркетинг: запись для курса', customTitle: 'Маркетинг: запись для курса' });
    expect((await app.repos.recordings.get(r.id))!.title).toBe('Маркетинг: запись для курса');
    expect((await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.lecturer.token })).body.title).toBe(
      'Маркетинг: запись для курса',
    );

    await api.call('PATCH', `/recordings/${r.id}`, { token: people.lecturer.token, body: { title: '' } });
    expect((await app.repos.recordings.get(r.id))!.title).toBeNull();
    expect((await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.lecturer.token })).body.title).toBe('Маркетинг');
  });

  it('refuses bad input and other lecturers, changing nothing', async () => {
    const r = await readyRecording(app, await seminarOf(people.lecturer), 2);
    const bad: Array<[unknown, string]> = [
      [{ title: 'x'.repeat(201) }, 'invalid_request'],
      [{ title: 5 }, 'invalid_request'],
      [{}, 'invalid_request'],
    ];
    for (const [body, code] of bad) {
      const res = await api.call('PATCH', `/recordings/${r.id}`, { token: people.lecturer.token, body });
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, code]);
    }
    const malformed = await api.call('PATCH', `/recordings/${r.id}`, { token: people.lecturer.token, rawBody: '{"title":' });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'malformed_json']);
    expect((await api.call('PATCH', '/recordings/nope', { token: people.lecturer.token, body: { title: 'Новое' } })).status).toBe(400);
    const other = await api.call('PATCH', `/recordings/${r.id}`, { token: people.otherLecturer.token, body: { title: 'Чужое' } });
    expect([other.status, other.body.error.code]).toEqual([403, 'not_own_recording']);
    const missing = await api.call('PATCH', `/recordings/${'0'.repeat(24)}`, { token: people.lecturer.token, body: { title: 'Новое' } });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'recording_not_found']);
    expect((await app.repos.recordings.get(r.id))!.title).toBeNull();
  });

  it('is rate limited per user', async () => {
    // The admin has made no change yet: a full allowance.
    const r = await readyRecording(app, await seminarOf(people.otherLecturer), 2);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push((await api.call('PATCH', `/recordings/${r.id}`, { token: people.admin.token, body: { title: `Имя ${i}` } })).status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});

describe('PUT /recordings/:id/trim', SLOW, () => {
  it('cuts the replay at segment boundaries: playlist, playback, timeline and the course lesson follow', async () => {
    const seminarId = await seminarOf(people.lecturer, 'Финансовый учёт');
    const r = await readyRecording(app, seminarId, 12);
    const courseId = await courseWith(people.lecturer, seminarId, true);
    for (const [offsetMs, label] of [
      [1000, 'До начала'],
      [5000, 'Основная часть'],
      [10_500, 'После конца'],
    ] as const)
      await app.repos.live.addMarker({ seminarId, label, offsetMs });

    const res = await api.call('PUT', `/recordings/${r.id}/trim`, {
      token: people.lecturer.token,
      body: { startSeconds: 2.4, endSeconds: 8.6 },
    });
    expect(res.status, res.text).toBe(200);
    // 1 s segments: 2.4 → 2, 8.6 → 9.
    expect(res.body).toMatchObject({ trim: { startSeconds: 2, endSeconds: 9 }, durationSeconds: 7, totalSeconds: 12 });
    expect((await app.repos.recordings.get(r.id))!.trim).toEqual({ startSeconds: 2, endSeconds: 9, totalSeconds: 12 });

    const dir = recordingDir(app, r);
    const cut = path.join(dir, 'replay-2000-9000.m3u8');
    const probed = await ffprobeJson(cut);
    expect(Number(probed.format.duration)).toBeCloseTo(7, 1);
    // The recording's own playlist stays whole: a cut can be undone.
    expect(Number((await ffprobeJson(path.join(dir, 'index.m3u8'))).format.duration)).toBeCloseTo(12, 1);

    const playback = (await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.lecturer.token })).body;
    expect(playback.durationSeconds).toBe(7);
    expect(playback.playlistUrl).toMatch(/\/replay-2000-9000\.m3u8$/);
    expect(playback.chapters).toEqual([{ offsetMs: 3000, title: 'Основная часть', kind: 'marker' }]);
    // The playlist the replay is given, as served: seven segments, the first one the third recorded.
    const served = await fetch(`${app.url}${playback.playlistUrl}`);
    expect(served.status).toBe(200);
    const text = await served.text();
    expect(text.match(/^seg_\d{5}\.ts$/gm)).toEqual([
      'seg_00002.ts',
      'seg_00003.ts',
      'seg_00004.ts',
      'seg_00005.ts',
      'seg_00006.ts',
      'seg_00007.ts',
      'seg_00008.ts',
    ]);
    expect(text).toContain('#EXT-X-ENDLIST');

    // The lesson's length, which completion is counted against.
    const course = (await api.call('GET', `/courses/${courseId}`, { token: people.lecturer.token })).body;
    expect(course.modules[0].lessons[0].durationSeconds).toBe(7);

    // Completion is counted against the cut: 6.5 s watched of 7 passes the 0.9 threshold (of 12 it would not).
    const learner = people.otherLearner;
    expect((await api.call('PUT', `/courses/${courseId}/enrolment`, { token: learner.token })).status).toBe(204);
    const beat = await api.call('POST', '/progress/heartbeats', {
      token: learner.token,
      body: { contentId: seminarId, intervals: [[0, 6.5]], position: 6.5, durationSeconds: playback.durationSeconds, sentAt: Date.now() },
    });
    expect(beat.status, beat.text).toBe(202);
    await app.domain.progress.flush();
    const learning = (await api.call('GET', '/me/learning', { token: learner.token })).body;
    expect(learning[0].lessons[0]).toMatchObject({ durationSeconds: 7, coveredSeconds: 6.5, complete: true });

    // Undone: the whole recording plays again, the cut's playlist is gone.
    const undo = await api.call('PUT', `/recordings/${r.id}/trim`, {
      token: people.lecturer.token,
      body: { startSeconds: 0, endSeconds: null },
    });
    expect(undo.body).toMatchObject({ trim: null, durationSeconds: 12 });
    expect(existsSync(cut)).toBe(false);
    const whole = (await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.lecturer.token })).body;
    expect(whole.playlistUrl).toMatch(/\/index\.m3u8$/);
    expect(whole.chapters).toHaveLength(3);
    expect(
      (await api.call('GET', `/courses/${courseId}`, { token: people.lecturer.token })).body.modules[0].lessons[0].durationSeconds,
    ).toBe(12);
  });

  it('refuses bad cuts with a code and writes nothing', async () => {
    const r = await readyRecording(app, await seminarOf(people.lecturer), 6);
    const dir = recordingDir(app, r);
    const before = (await readdir(dir)).sort();
    const bad: Array<[unknown, string]> = [
      [{ startSeconds: 3, endSeconds: 2 }, 'invalid_request'],
      [{ startSeconds: -1, endSeconds: null }, 'invalid_request'],
      [{ startSeconds: 'a', endSeconds: null }, 'invalid_request'],
      [{ startSeconds: 1 }, 'invalid_request'],
      [{ startSeconds: 1, endSeconds: 1e9 }, 'invalid_request'],
      [{ startSeconds: 6, endSeconds: null }, 'trim_out_of_range'],
      [{ startSeconds: 1, endSeconds: 7 }, 'trim_out_of_range'],
      [{ startSeconds: 2.2, endSeconds: 2.4 }, 'trim_empty'],
    ];
    for (const [body, code] of bad) {
      const res = await api.call('PUT', `/recordings/${r.id}/trim`, { token: people.lecturer.token, body });
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, code]);
    }
    const other = await api.call('PUT', `/recordings/${r.id}/trim`, {
      token: people.otherLecturer.token,
      body: { startSeconds: 1, endSeconds: 3 },
    });
    expect([other.status, other.body.error.code]).toEqual([403, 'not_own_recording']);
    expect((await readdir(dir)).sort()).toEqual(before);
    expect(await app.repos.recordings.get(r.id)).toMatchObject({ trim: null, durationSeconds: 6 });
  });

  it('leaves a recording being written alone', async () => {
    const seminarId = await seminarOf(people.lecturer);
    const recording = await app.domain.recordings.begin((await app.repos.seminars.get(seminarId))!, 'video/H264');
    const res = await api.call('PUT', `/recordings/${recording.id}/trim`, {
      token: people.lecturer.token,
      body: { startSeconds: 1, endSeconds: null },
    });
    expect([res.status, res.body.error.code]).toEqual([409, 'recording_not_ready']);
    const del = await api.call('DELETE', `/recordings/${recording.id}`, { token: people.lecturer.token });
    expect([del.status, del.body.error.code]).toEqual([409, 'recording_in_progress']);
    expect(await app.repos.recordings.get(recording.id)).not.toBeNull();
  });
});

describe('download as MP4', SLOW, () => {
  it('remuxes the cut replay once for requests that arrive together, without transcoding, and serves ranges', async () => {
    const seminarId = await seminarOf(people.lecturer, 'Продажи: запись');
    const r = await readyRecording(app, seminarId, 10);
    await api.call('PUT', `/recordings/${r.id}/trim`, { token: people.lecturer.token, body: { startSeconds: 2, endSeconds: 8 } });
    const link = await api.call('GET', `/recordings/${r.id}/download`, { token: people.lecturer.token });
    expect(link.status, link.text).toBe(200);
    expect(link.body.fileName).toBe('Продажи_ запись.mp4');
    expect(link.body.url).toMatch(new RegExp(`^/api/v1/recordings/${r.id}/download\\.mp4\\?exp=\\d+&sig=[\\w-]{43}$`));

    const files = (app.domain.library as unknown as { deps: { files: { remux: (a: string, b: string) => Promise<void> } } }).deps.files;
    const remux = vi.spyOn(files, 'remux');
    let bodies: ArrayBuffer[];
    try {
      const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(`${app.url}${link.body.url}`)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect(answers[0]!.headers.get('content-type')).toBe('video/mp4');
      expect(answers[0]!.headers.get('content-disposition')).toContain("filename*=UTF-8''");
      bodies = await Promise.all(answers.map((a) => a.arrayBuffer()));
      expect(remux).toHaveBeenCalledTimes(1);
      // Made once, then served from disk.
      expect((await fetch(`${app.url}${link.body.url}`)).status).toBe(200);
      expect(remux).toHaveBeenCalledTimes(1);
    } finally {
      remux.mockRestore();
    }
    expect(new Set(bodies.map((b) => b.byteLength)).size).toBe(1);

    const out = path.join(await mkdtemp(path.join(tmpdir(), 'lectern-mp4-')), 'download.mp4');
    await writeFile(out, Buffer.from(bodies[0]!));
    const mp4 = await ffprobeJson(out);
    expect(mp4.format.format_name).toContain('mp4');
    expect(Number(mp4.format.duration)).toBeCloseTo(6, 0);
    const video = mp4.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    const audio = mp4.streams.find((s: { codec_type: string }) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
    expect(Number(video.duration)).toBeCloseTo(6, 0);
    expect(Number(audio.duration)).toBeCloseTo(6, 0);
    // No transcoding: the pictures decoded from the MP4 are those of the cut replay, frame for frame.
    const dir = recordingDir(app, r);
    const source = (await ffprobeJson(path.join(dir, 'replay-2000-8000.m3u8'))).streams.find(
      (s: { codec_type: string }) => s.codec_type === 'video',
    );
    expect({ profile: video.profile, level: video.level, pix_fmt: video.pix_fmt }).toEqual({
      profile: source.profile,
      level: source.level,
      pix_fmt: source.pix_fmt,
    });
    expect(Number(video.nb_frames)).toBe(150);
    expect(await videoFramesMd5(out)).toBe(await videoFramesMd5(path.join(dir, 'replay-2000-8000.m3u8')));
    // faststart: the index (moov) comes before the media (mdat).
    const head = (await readFile(out)).subarray(0, 64 * 1024).toString('latin1');
    expect(head.indexOf('moov')).toBeGreaterThan(-1);
    expect(head.indexOf('moov')).toBeLessThan(head.indexOf('mdat'));

    // Range requests, as players and download managers make them.
    const part = await fetch(`${app.url}${link.body.url}`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bodies[0]!.byteLength}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    const beyond = await api.call('GET', link.body.url, { headers: { range: `bytes=${bodies[0]!.byteLength + 10}-` } });
    expect([beyond.status, beyond.body.error.code]).toEqual([416, 'range_not_satisfiable']);

    // A new cut drops the MP4 of the old one; the next download is of the new cut.
    expect(existsSync(path.join(dir, 'download-2000-8000.mp4'))).toBe(true);
    await api.call('PUT', `/recordings/${r.id}/trim`, { token: people.lecturer.token, body: { startSeconds: 0, endSeconds: 5 } });
    expect(existsSync(path.join(dir, 'download-2000-8000.mp4'))).toBe(false);
    const again = await fetch(`${app.url}${link.body.url}`);
    expect(again.status).toBe(200);
    await writeFile(out, Buffer.from(await again.arrayBuffer()));
    expect(Number((await ffprobeJson(out)).format.duration)).toBeCloseTo(5, 0);
  });

  it('is for the seminar’s lecturers and admins, through a signed link', async () => {
    const r = await readyRecording(app, await seminarOf(people.lecturer), 2);
    const other = await api.call('GET', `/recordings/${r.id}/download`, { token: people.otherLecturer.token });
    expect([other.status, other.body.error.code]).toEqual([403, 'not_own_recording']);
    const learner = await api.call('GET', `/recordings/${r.id}/download`, { token: people.learner.token });
    expect([learner.status, learner.body.error.code]).toEqual([403, 'missing_grant']);
    expect((await api.call('GET', `/recordings/${r.id}/download`, { token: people.admin.token })).status).toBe(200);
    const { url } = (await api.call('GET', `/recordings/${r.id}/download`, { token: people.lecturer.token })).body;
    const forged = url.replace(/sig=([\w-])/, (_m: string, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    const refused = await api.call('GET', forged);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'bad_signature']);
    // Another recording's link does not open this one.
    const r2 = await readyRecording(app, await seminarOf(people.lecturer), 2);
    const swapped = await api.call('GET', url.replace(r.id, r2.id));
    expect([swapped.status, swapped.body.error.code]).toEqual([403, 'bad_signature']);
    const expired = await api.call('GET', url.replace(/exp=\d+/, 'exp=1000'));
    expect([expired.status, expired.body.error.code]).toEqual([403, 'bad_signature']);
    for (const q of ['', '?exp=1&sig=short', `?exp=abc&sig=${'a'.repeat(43)}`]) {
      const res = await api.call('GET', `/recordings/${r.id}/download.mp4${q}`);
      expect([res.status, res.body.error.code], q).toEqual([400, 'invalid_request']);
    }
    expect((await readdir(recordingDir(app, r))).filter((f) => f.endsWith('.mp4'))).toEqual([]);
  });
});

describe('DELETE /recordings/:id', SLOW, () => {
  it('is refused while a published course plays it; from a draft course the lesson is taken out; the files go', async () => {
    const seminarId = await seminarOf(people.lecturer);
    const r = await readyRecording(app, seminarId, 3);
    const dir = recordingDir(app, r);
    const courseId = await courseWith(people.lecturer, seminarId, true);

    const refused = await api.call('DELETE', `/recordings/${r.id}`, { token: people.lecturer.token });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'recording_in_published_course']);
    const other = await api.call('DELETE', `/recordings/${r.id}`, { token: people.otherLecturer.token });
    expect([other.status, other.body.error.code]).toEqual([403, 'not_own_recording']);
    expect(existsSync(path.join(dir, 'index.m3u8'))).toBe(true);
    expect(await app.repos.recordings.get(r.id)).not.toBeNull();

    await api.call('PUT', `/courses/${courseId}/publication`, { token: people.lecturer.token, body: { published: false } });
    const listed = (await api.call('GET', `/recordings/${r.id}`, { token: people.lecturer.token })).body;
    expect(listed.courses).toEqual([{ id: courseId, title: 'Курс с записью', published: false }]);
    const deleted = await api.call('DELETE', `/recordings/${r.id}`, { token: people.lecturer.token });
    expect(deleted.status, deleted.text).toBe(204);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(path.dirname(dir))).toBe(false);
    expect((await readdir(app.config.recordingsDir)).filter((f) => f.startsWith('.deleting-'))).toEqual([]);
    expect(await app.repos.recordings.get(r.id)).toBeNull();
    expect((await app.repos.courses.get(courseId))!.modules[0]!.lessons).toEqual([]);
    const playback = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.lecturer.token });
    expect([playback.status, playback.body.error.code]).toEqual([404, 'recording_not_found']);
    const again = await api.call('DELETE', `/recordings/${r.id}`, { token: people.lecturer.token });
    expect([again.status, again.body.error.code]).toEqual([404, 'recording_not_found']);
  });

  it('keeps the files when the record cannot be removed', async () => {
    const r = await readyRecording(app, await seminarOf(people.lecturer), 2);
    const dir = recordingDir(app, r);
    const remove = vi.spyOn(app.repos.recordings, 'remove').mockRejectedValueOnce(new Error('database went away'));
    try {
      expect((await api.call('DELETE', `/recordings/${r.id}`, { token: people.lecturer.token })).status).toBe(500);
    } finally {
      remove.mockRestore();
    }
    expect(existsSync(path.join(dir, 'index.m3u8'))).toBe(true);
    expect(await app.repos.recordings.get(r.id)).not.toBeNull();
  });
});
