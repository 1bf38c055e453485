import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import type { AttachableRecordingView } from '../../server/protocol/courses';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { makeVideo, tusCreate, tusPatch, waitForUpload } from '../support/uploads';

// Uploaded videos as course lessons over the API: the builder's attachable list offers the
// course owners' ready uploads (not another lecturer's, which the structure refuses too),
// an upload lesson records progress that counts toward completion, and an upload a course
// uses cannot be deleted.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let dir: string;

beforeAll(async () => {
  app = await startTestApp('upload_lessons', { MEDIASOUP_WORKERS: '1', PROGRESS_FLUSH_MS: '60000' });
  api = Api.of(app);
  people = await cast(api);
  dir = await mkdtemp(path.join(tmpdir(), 'lectern-upload-lessons-'));
}, 120_000);
afterAll(() => app?.stop());

/** Uploads a file in one PATCH and waits until it is packaged: the upload and its recording. */
async function readyUpload(token: string, file: string, name: string) {
  const bytes = await readFile(file);
  const created = await tusCreate(app, token, name, bytes.length);
  expect(created.status).toBe(201);
  const location = created.headers.get('location')!;
  expect((await tusPatch(app, token, location, 0, bytes)).status).toBe(204);
  const ready = await waitForUpload(api, token, location.split('/').pop()!, 'ready');
  return { uploadId: ready.id, recordingId: ready.recordingId! };
}

async function attachable(token: string, courseId: string): Promise<AttachableRecordingView[]> {
  const res = await api.call<AttachableRecordingView[]>('GET', `/courses/${courseId}/attachable-recordings`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

const courseDocument = (id: string) => app.db.connection.collection('courses').findOne({ _id: new Types.ObjectId(id) });

describe('uploaded videos as course lessons', () => {
  let mine: { uploadId: string; recordingId: string };
  let theirs: { uploadId: string; recordingId: string };
  let courseId: string;
  let lessonId: string;

  beforeAll(async () => {
    const source = await makeVideo(dir, 'h264', { seconds: 4 });
    [mine, theirs] = await Promise.all([
      readyUpload(people.lecturer.token, source, 'Введение в маркетинг.mp4'),
      readyUpload(people.otherLecturer.token, source, 'Чужое видео.mp4'),
    ]);
  }, 180_000);

  it('offers the owner’s ready upload (titled by its file name) and not another lecturer’s, and refuses that one', async () => {
    const course = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Видеокурс', track: 'marketing' } });
    courseId = course.body.id;
    const offered = await attachable(people.lecturer.token, courseId);
    const upload = offered.find((r) => r.recordingId === mine.recordingId);
    expect(upload).toMatchObject({ kind: 'upload', seminarId: null, title: 'Введение в маркетинг' });
    expect(upload!.durationSeconds).toBeCloseTo(4, 0);
    expect(offered.map((r) => r.recordingId)).not.toContain(theirs.recordingId);
    // An admin editing the course is offered its owners' uploads, still not the other lecturer's.
    const asAdmin = await attachable(people.admin.token, courseId);
    expect(asAdmin.map((r) => r.recordingId)).toContain(mine.recordingId);
    expect(asAdmin.map((r) => r.recordingId)).not.toContain(theirs.recordingId);

    const before = await courseDocument(courseId);
    const refused = await api.call('PUT', `/courses/${courseId}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Модуль', lessons: [{ kind: 'upload', title: 'Чужое', recordingId: theirs.recordingId }] }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('recording_not_found');
    // Nothing written: the course as it was, the other recording still no lesson.
    expect(await courseDocument(courseId)).toEqual(before);
    expect((await app.repos.recordings.get(theirs.recordingId))!.lessonId).toBeNull();

    const attached = await api.call('PUT', `/courses/${courseId}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Модуль', lessons: [{ kind: 'upload', title: upload!.title, recordingId: mine.recordingId }] }] },
    });
    expect(attached.status).toBe(200);
    lessonId = attached.body.modules[0].lessons[0].id;
    expect((await courseDocument(courseId))!.recordingIds).toEqual([mine.recordingId]);
    // Once a lesson, it is offered to no course (this one or another of the owner's).
    const other = await api.call('POST', '/courses', { token: people.lecturer.token, body: { title: 'Второй', track: 'marketing' } });
    expect((await attachable(people.lecturer.token, courseId)).map((r) => r.recordingId)).not.toContain(mine.recordingId);
    expect((await attachable(people.lecturer.token, other.body.id)).map((r) => r.recordingId)).not.toContain(mine.recordingId);
  });

  it('stores heartbeats of an upload lesson and counts them toward course completion', async () => {
    expect(
      (await api.call('PUT', `/courses/${courseId}/publication`, { token: people.lecturer.token, body: { published: true } })).status,
    ).toBe(200);
    expect((await api.call('PUT', `/courses/${courseId}/enrolment`, { token: people.learner.token })).status).toBe(204);
    const duration = (await app.repos.recordings.get(mine.recordingId))!.durationSeconds!;
    let mine0 = (await api.call('GET', '/me/learning', { token: people.learner.token })).body;
    expect(mine0[0]).toMatchObject({ percent: 0, completedLessons: 0, totalLessons: 1 });

    const beat = (intervals: Array<[number, number]>, position: number, sentAt: number) =>
      api.call('POST', '/progress/heartbeats', {
        token: people.learner.token,
        body: { contentId: lessonId, intervals, position, durationSeconds: duration, sentAt },
      });
    expect((await beat([[0, 1.5]], 1.5, Date.now())).status).toBe(202);
    await app.domain.progress.flush();
    const stored = await app.db.connection.collection('progress').findOne({ userId: people.learner.id, contentId: lessonId });
    expect(stored).toMatchObject({ resumePosition: 1.5 });
    expect(stored!.coveredSeconds).toBeCloseTo(1.5, 3);
    const resume = await api.call('GET', `/progress/${lessonId}`, { token: people.learner.token });
    expect(resume.body).toMatchObject({ resumePosition: 1.5 });
    mine0 = (await api.call('GET', '/me/learning', { token: people.learner.token })).body;
    expect(mine0[0]).toMatchObject({ percent: 0, completedLessons: 0 });

    expect((await beat([[0, duration]], duration, Date.now() + 1)).status).toBe(202);
    await app.domain.progress.flush();
    const done = (await api.call('GET', '/me/learning', { token: people.learner.token })).body;
    expect(done[0]).toMatchObject({ percent: 100, completedLessons: 1, totalLessons: 1 });
    expect(done[0].lessons[0]).toMatchObject({ lessonId, complete: true });
    const stats = await api.call('GET', `/courses/${courseId}/stats`, { token: people.lecturer.token });
    expect(stats.body).toMatchObject({ completedCourse: 1, lessons: [{ lessonId, started: 1, completed: 1 }] });
  });

  it('refuses to delete an upload a course uses, with a code, and deletes nothing', async () => {
    const recording = (await app.repos.recordings.get(mine.recordingId))!;
    const files = path.join(app.config.recordingsDir, recording.dir);
    for (const [token, path_] of [
      [people.lecturer.token, `/uploads/${mine.uploadId}`],
      [people.lecturer.token, `/recordings/${mine.recordingId}`],
      [people.admin.token, `/recordings/${mine.recordingId}`],
    ] as const) {
      const refused = await api.call('DELETE', path_, { token });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('recording_in_use');
      expect(refused.body.error.message).toBe(`It is a lesson of the course "Видеокурс" (${courseId})`);
    }
    expect(await app.repos.uploads.get(mine.uploadId)).not.toBeNull();
    expect(await app.repos.recordings.get(mine.recordingId)).not.toBeNull();
    expect((await stat(path.join(files, 'index.m3u8'))).isFile()).toBe(true);
    // Another lecturer may not delete it at all.
    expect((await api.call('DELETE', `/recordings/${mine.recordingId}`, { token: people.otherLecturer.token })).status).toBe(403);

    // Out of the course, it goes: the upload, the recording and its files.
    await api.call('PUT', `/courses/${courseId}/publication`, { token: people.lecturer.token, body: { published: false } });
    const emptied = await api.call('PUT', `/courses/${courseId}/structure`, {
      token: people.lecturer.token,
      body: { modules: [{ title: 'Модуль', lessons: [] }] },
    });
    expect(emptied.status).toBe(200);
    expect((await api.call('DELETE', `/uploads/${mine.uploadId}`, { token: people.lecturer.token })).status).toBe(204);
    expect(await app.repos.uploads.get(mine.uploadId)).toBeNull();
    expect(await app.repos.recordings.get(mine.recordingId)).toBeNull();
    await expect(stat(files)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('courses saved before upload lessons were indexed', () => {
  it('get their upload lessons’ recording ids at boot, so a used upload is still found', async () => {
    const _id = new Types.ObjectId();
    const lesson = { id: 'old-upload-lesson', kind: 'upload', title: 'Старое', seminarId: null, recordingId: 'rec-from-before' };
    await app.db.connection.collection('courses').insertOne({
      _id,
      title: 'Старый курс',
      description: '',
      track: 't',
      published: false,
      completionThreshold: 0.9,
      ownerIds: [people.lecturer.id],
      modules: [{ id: 'm', title: 'М', lessons: [lesson] }],
      lessonIds: [lesson.id],
      seminarIds: [],
      createdAt: new Date(),
    });
    expect((await app.repos.courses.withRecording('rec-from-before')).length).toBe(0);
    await app.repos.courses.ensureIndexes();
    expect((await app.db.connection.collection('courses').findOne({ _id }))!.recordingIds).toEqual(['rec-from-before']);
    expect((await app.repos.courses.withRecording('rec-from-before')).map((c) => c.id)).toEqual([String(_id)]);
  });
});
