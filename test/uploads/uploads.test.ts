import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { ffprobeJson } from '../support/probe';
import { codeOf, filesUnder, makeJunk, makeVideo, tusCreate, tusHead, tusPatch, waitForUpload } from '../support/uploads';

// Uploaded lesson videos over the API: tus with the API's token, resumed after a partial
// PATCH, packaged to HLS (copied when H.264/AAC, transcoded otherwise), a recording that
// becomes a course lesson with signed playback; a broken file leaves nothing behind; and
// packaging left unfinished by a stop is done again at the next boot.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let dir: string;

beforeAll(async () => {
  app = await startTestApp('uploads', { MEDIASOUP_WORKERS: '1', UPLOAD_MAX_BYTES: String(64 * 1024 * 1024) });
  api = Api.of(app);
  people = await cast(api);
  dir = await mkdtemp(path.join(tmpdir(), 'lectern-uploads-'));
}, 120_000);
afterAll(() => app?.stop());

const incoming = () => app.config.uploads.incomingDir;
const uploadsDir = () => path.join(app.config.recordingsDir, 'uploads');

/** Uploads a file in two PATCHes with a HEAD between them, as a client resuming after a dropped connection does. */
async function uploadInTwo(token: string, file: string, name = path.basename(file)): Promise<string> {
  const bytes = await readFile(file);
  const created = await tusCreate(app, token, name, bytes.length);
  expect(created.status).toBe(201);
  const location = created.headers.get('location')!;
  expect(location).toMatch(/^\/api\/v1\/uploads\/files\/[0-9a-f]{32}$/);
  const half = Math.floor(bytes.length / 2);
  expect((await tusPatch(app, token, location, 0, bytes.subarray(0, half))).status).toBe(204);
  const head = await tusHead(app, token, location);
  expect(head.status).toBe(200);
  expect(Number(head.headers.get('upload-offset'))).toBe(half);
  expect((await tusPatch(app, token, location, half, bytes.subarray(half))).status).toBe(204);
  return location.split('/').pop()!;
}

describe('uploaded lessons', () => {
  it('refuses anonymous callers and learners, and hides one lecturer’s upload from another', async () => {
    expect((await tusCreate(app, undefined, 'a.mp4', 1000)).status).toBe(401);
    const learner = await tusCreate(app, people.learner.token, 'a.mp4', 1000);
    expect(learner.status).toBe(403);
    expect(await codeOf(learner)).toBe('missing_grant');
    expect((await api.call('GET', '/uploads')).status).toBe(401);
    expect((await api.call('GET', '/uploads', { token: people.learner.token })).status).toBe(403);
    expect((await api.call('GET', '/uploads/settings', { token: people.learner.token })).status).toBe(403);

    const created = await tusCreate(app, people.lecturer.token, 'mine.mp4', 1000);
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const id = location.split('/').pop()!;
    const other = await tusHead(app, people.otherLecturer.token, location);
    expect(other.status).toBe(404);
    const otherPatch = await tusPatch(app, people.otherLecturer.token, location, 0, Buffer.alloc(10));
    expect(otherPatch.status).toBe(404);
    expect(await codeOf(otherPatch)).toBe('upload_not_found');
    expect((await tusHead(app, people.learner.token, location)).status).toBe(403);
    expect((await tusHead(app, undefined, location)).status).toBe(401);
    expect((await api.call('DELETE', `/uploads/${id}`, { token: people.otherLecturer.token })).status).toBe(404);
    expect((await api.call('DELETE', `/uploads/${id}`, { token: people.learner.token })).status).toBe(403);
    // Reading a file back through tus is no part of the service.
    const get = await fetch(`${app.url}${location}`, { headers: { authorization: `Bearer ${people.lecturer.token}` } });
    expect(get.status).toBe(405);
    // The owner cancels it: job and file gone.
    expect((await api.call('DELETE', `/uploads/${id}`, { token: people.lecturer.token })).status).toBe(204);
    expect(await app.repos.uploads.get(id)).toBeNull();
    expect(await filesUnder(incoming())).not.toContain(id);
  });

  it('refuses a file of another type, one too large and one of unknown length, creating nothing', async () => {
    const before = await filesUnder(incoming());
    const type = await tusCreate(app, people.lecturer.token, 'slides.pdf', 1000);
    expect(type.status).toBe(415);
    expect(await codeOf(type)).toBe('upload_unsupported_type');
    const large = await tusCreate(app, people.lecturer.token, 'big.mp4', 65 * 1024 * 1024);
    expect(large.status).toBe(413);
    expect(await codeOf(large)).toBe('upload_too_large');
    const pathName = await tusCreate(app, people.lecturer.token, '../../etc/x.mp4', 1000);
    expect(pathName.status).toBe(400);
    expect(await codeOf(pathName)).toBe('upload_bad_name');
    const deferred = await fetch(`${app.url}/api/v1/uploads/files`, {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Defer-Length': '1',
        'Upload-Metadata': `filename ${Buffer.from('a.mp4').toString('base64')}`,
        authorization: `Bearer ${people.lecturer.token}`,
      },
    });
    expect(deferred.status).toBe(400);
    expect(await codeOf(deferred)).toBe('upload_length_required');
    expect((await api.call('DELETE', '/uploads/not-an-id', { token: people.lecturer.token })).status).toBe(400);
    expect(await filesUnder(incoming())).toEqual(before);
    expect((await api.call('GET', '/uploads', { token: people.lecturer.token })).body).toEqual([]);
  });

  it('resumes an H.264/AAC upload, copies it to HLS, and it plays as a course lesson', async () => {
    const source = await makeVideo(dir, 'h264', { seconds: 4 });
    const sourceDuration = Number((await ffprobeJson(source)).format.duration);
    const id = await uploadInTwo(people.lecturer.token, source, 'Введение.mp4');
    const ready = await waitForUpload(api, people.lecturer.token, id, 'ready');
    expect(ready).toMatchObject({ fileName: 'Введение.mp4', progress: 1, errorCode: null });
    const recordingId = ready.recordingId!;

    const recording = (await app.repos.recordings.get(recordingId))!;
    expect(recording).toMatchObject({ origin: 'upload', seminarId: null, uploaderId: people.lecturer.id, status: 'ready' });
    expect(recording.durationSeconds).toBeCloseTo(sourceDuration, 0);
    const playlist = path.join(app.config.recordingsDir, recording.dir, 'index.m3u8');
    const probed = await ffprobeJson(playlist);
    expect(probed.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Math.abs(Number(probed.format.duration) - sourceDuration)).toBeLessThan(0.5);
    // Copied, not transcoded: the source's own H.264 stream (ultrafast's Constrained Baseline, no B-frames).
    expect(probed.streams.find((s: { codec_type: string }) => s.codec_type === 'video').profile).toBe(
      (await ffprobeJson(source)).streams.find((s: { codec_type: string }) => s.codec_type === 'video').profile,
    );
    // The received file is gone, and nothing half-made is left beside the recording.
    expect(await filesUnder(incoming())).not.toContain(id);
    expect((await filesUnder(uploadsDir())).filter((f) => f.startsWith('.partial'))).toEqual([]);

    const unattached = await api.call('GET', '/recordings/unattached', { token: people.lecturer.token });
    expect(unattached.body).toContainEqual(expect.objectContaining({ id: recordingId, origin: 'upload', seminarId: null }));

    // Another lecturer's course cannot take it; the uploader's can.
    const foreign = await api.call('POST', '/courses', {
      token: people.otherLecturer.token,
      body: { title: 'Чужой курс', track: 'sales' },
    });
    const refused = await api.call('PUT', `/courses/${foreign.body.id}/structure`, {
      token: people.otherLecturer.token,
      body: { modules: [{ title: 'М', lessons: [{ kind: 'upload', title: 'Видео', recordingId }] }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('recording_not_found');

    const course = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Видеокурс', track: 'marketing' } });
    const structured = await api.call('PUT', `/courses/${course.body.id}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Модуль', lessons: [{ kind: 'upload', title: 'Введение', recordingId }] }] },
    });
    expect(structured.status).toBe(200);
    const lesson = structured.body.modules[0].lessons[0];
    expect(lesson).toMatchObject({ kind: 'upload', recordingId, seminarId: null });
    expect(lesson.durationSeconds).toBeCloseTo(sourceDuration, 0);
    expect((await app.repos.recordings.get(recordingId))!.lessonId).toBe(lesson.id);
    const after = await api.call('GET', '/recordings/unattached', { token: people.lecturer.token });
    expect(after.body.map((r: { id: string }) => r.id)).not.toContain(recordingId);

    await api.call('PUT', `/courses/${course.body.id}/publication`, { token: people.lecturer.token, body: { published: true } });
    await api.call('PUT', `/courses/${course.body.id}/enrolment`, { token: people.learner.token });
    const content = await api.call('GET', `/courses/${course.body.id}/lessons/${lesson.id}`, { token: people.learner.token });
    expect(content.status).toBe(200);
    const signed = await fetch(`${app.url}${content.body.video.playlistUrl}`);
    expect(signed.status).toBe(200);
    expect(await signed.text()).toMatch(/#EXT-X-ENDLIST/);
    // Not enrolled: no lesson, no links.
    const outsider = await api.call('GET', `/courses/${course.body.id}/lessons/${lesson.id}`, { token: people.otherLearner.token });
    expect(outsider.status).toBe(403);
  }, 180_000);

  it('transcodes a VP9/Opus MKV to H.264/AAC', async () => {
    const source = await makeVideo(dir, 'vp9', { seconds: 3 });
    const sourceDuration = Number((await ffprobeJson(source)).format.duration);
    const id = await uploadInTwo(people.lecturer.token, source);
    const ready = await waitForUpload(api, people.lecturer.token, id, 'ready', 180_000);
    const recording = (await app.repos.recordings.get(ready.recordingId!))!;
    const probed = await ffprobeJson(path.join(app.config.recordingsDir, recording.dir, 'index.m3u8'));
    expect(probed.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Math.abs(Number(probed.format.duration) - sourceDuration)).toBeLessThan(0.5);
  }, 240_000);

  it('refuses a file that is no video, and leaves nothing of it on disk or in the database', async () => {
    const recordingsBefore = await app.db.connection.collection('recordings').countDocuments();
    const partsBefore = await filesUnder(uploadsDir());
    const junk = await makeJunk(dir);
    const id = await uploadInTwo(people.lecturer.token, junk);
    const failed = await waitForUpload(api, people.lecturer.token, id, 'failed');
    expect(failed.errorCode).toBe('upload_unreadable');
    expect(failed.recordingId).toBeNull();
    expect(await filesUnder(incoming())).toEqual([]);
    expect(await filesUnder(uploadsDir())).toEqual(partsBefore);
    expect(await app.repos.recordings.get((await app.repos.uploads.get(id))!.recordingId)).toBeNull();
    expect(await app.db.connection.collection('recordings').countDocuments()).toBe(recordingsBefore);
    // Its line, with the reason, goes when the lecturer removes it: then nothing is left at all.
    expect((await api.call('DELETE', `/uploads/${id}`, { token: people.lecturer.token })).status).toBe(204);
    expect(await app.repos.uploads.get(id)).toBeNull();

    // A PDF renamed .mp4 fails the same way; a sound file is a media file but no video.
    const audio = path.join(dir, 'voice.mkv');
    await import('node:child_process').then(({ execFileSync }) =>
      execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=300', '-t', '2', '-c:a', 'libopus', audio]),
    );
    const silentId = await uploadInTwo(people.lecturer.token, audio);
    expect((await waitForUpload(api, people.lecturer.token, silentId, 'failed')).errorCode).toBe('upload_no_video');
    expect(await filesUnder(incoming())).toEqual([]);

    // A video cut short: its index (at the front) whole, two thirds of its media missing.
    const whole = await readFile(await makeVideo(dir, 'h264', { seconds: 4, name: 'whole.mp4' }));
    const cut = path.join(dir, 'cut.mp4');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 3)));
    const cutId = await uploadInTwo(people.lecturer.token, cut);
    expect((await waitForUpload(api, people.lecturer.token, cutId, 'failed')).errorCode).toBe('upload_truncated');
    expect(await filesUnder(incoming())).toEqual([]);
    expect(await filesUnder(uploadsDir())).toEqual(partsBefore);
    expect(await app.db.connection.collection('recordings').countDocuments()).toBe(recordingsBefore);
  }, 120_000);

  it('packages again at boot what a stop left half done, replacing the half-written files', async () => {
    const source = await makeVideo(dir, 'h264', { seconds: 2, name: 'restart.mp4' });
    const bytes = await readFile(source);
    // A job that a stopped node was packaging: all bytes here, a partial directory of its ffmpeg's.
    const id = 'a'.repeat(32);
    const job = await app.repos.uploads.create({
      id,
      ownerId: people.lecturer.id,
      fileName: 'restart.mp4',
      sizeBytes: bytes.length,
      recordingId: 'b'.repeat(24),
    });
    await app.repos.uploads.update(id, { state: 'processing', attempts: 1, nodeId: 'dead-node', progress: 0.4 });
    await writeFile(path.join(incoming(), id), bytes);
    await writeFile(path.join(incoming(), `${id}.json`), JSON.stringify({ id, size: bytes.length, offset: 0, metadata: {} }));
    const partial = path.join(uploadsDir(), `.partial-${job.recordingId}`);
    await mkdir(partial, { recursive: true });
    await writeFile(path.join(partial, 'seg_00000.ts'), 'half a segment');

    await app.domain.uploads.reconcile(new Set());
    await app.domain.uploads.idle();
    const done = (await app.repos.uploads.get(id))!;
    expect(done.state).toBe('ready');
    expect(done.attempts).toBe(2);
    const recording = (await app.repos.recordings.get(job.recordingId))!;
    expect(recording.status).toBe('ready');
    const probed = await ffprobeJson(path.join(app.config.recordingsDir, recording.dir, 'index.m3u8'));
    expect(Number(probed.format.duration)).toBeGreaterThan(1.5);
    expect(await filesUnder(uploadsDir())).not.toContain(`.partial-${job.recordingId}`);

    // One that crashed the node every time is failed after the third attempt, leaving nothing.
    const loopId = 'c'.repeat(32);
    const loop = await app.repos.uploads.create({
      id: loopId,
      ownerId: people.lecturer.id,
      fileName: 'loop.mp4',
      sizeBytes: 10,
      recordingId: 'd'.repeat(24),
    });
    await app.repos.uploads.update(loopId, { state: 'processing', attempts: 3, nodeId: 'dead-node' });
    await writeFile(path.join(incoming(), loopId), 'x');
    await app.domain.uploads.reconcile(new Set());
    await app.domain.uploads.idle();
    expect(await app.repos.uploads.get(loopId)).toMatchObject({ state: 'failed', errorCode: 'upload_packaging_failed' });
    expect(await app.repos.recordings.get(loop.recordingId)).toBeNull();
    expect(await filesUnder(incoming())).not.toContain(loopId);
  }, 120_000);
});
