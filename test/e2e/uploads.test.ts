import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mongo } from 'mongoose';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import type { UploadView } from '../../server/protocol/uploads';
import ruCommon from '../../web/src/locales/ru/common';
import ruWorkspace from '../../web/src/locales/ru/workspace';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { waitFor } from '../support/media';
import { pageProblems } from '../support/page-checks';
import { ffprobeJson } from '../support/probe';
import { filesUnder, makeJunk, makeVideo, waitForUpload } from '../support/uploads';

// Uploaded lessons in Chromium (issue 13): a lecturer uploads a video from the workspace
// page; one chunk's connection drops (tus-js-client retries it), then the page is reloaded
// mid-upload and the same file chosen again continues from what the server holds (the
// fingerprint tus-js-client kept). Packaged, the lecturer makes it a lesson in the course
// builder, and the learner plays it in hls.js: the progress is kept, resumed and counted. A
// file that is no video shows its reason and leaves nothing. Then the page with every state,
// in Russian and English, at 360 and 1280 px.

const shots = path.join(artifacts, 'workspace');
const CHUNK = 256 * 1024;
const poll = { timeout: 60_000, interval: 250 };

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let dir: string;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([
    startTestApp('e2e_uploads', { MEDIASOUP_WORKERS: '1', UPLOAD_CHUNK_BYTES: String(CHUNK) }),
    launchChromium('playback'),
  ]);
  api = Api.of(app);
  people = await cast(api);
  dir = await mkdtemp(path.join(tmpdir(), 'lectern-e2e-uploads-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function open(page: Page, url: string, problems: string[]): Promise<void> {
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, url, problems);
  await page.goto(`${app.url}${url}`);
}

async function myUploads(token: string): Promise<UploadView[]> {
  return (await api.call<UploadView[]>('GET', '/uploads', { token })).body;
}

describe('uploaded lessons in the browser', () => {
  it('resumes an upload after a dropped chunk and a reload, packages it, the builder makes it a lesson that plays in hls.js with progress', async () => {
    // Noise keeps even a small picture from compressing: the file spans many chunks.
    const source = await makeVideo(dir, 'h264', { seconds: 4, noise: true, name: 'Урок первый.mp4' });
    const size = (await stat(source)).size;
    expect(size).toBeGreaterThan(5 * CHUNK);
    const sourceDuration = Number((await ffprobeJson(source)).format.duration);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    await signInPage(page, people.lecturer.token);
    // Every PATCH the page sends, with the offset it starts at.
    const patches: number[] = [];
    page.on('request', (req) => {
      if (req.method() === 'PATCH') patches.push(Number(req.headers()['upload-offset']));
    });
    let patchCount = 0;
    let blocked = false;
    await page.route('**/api/v1/uploads/files/*', async (route: Route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      patchCount += 1;
      // The second chunk's connection drops: tus-js-client retries it from where the server is.
      if (patchCount === 2) return route.abort('connectionreset');
      // From the fourth on, the network is gone until the page is reloaded.
      if (patchCount >= 4) blocked = true;
      if (blocked) return route.abort('internetdisconnected');
      return route.continue();
    });
    await open(page, '/workspace/uploads', problems);
    await page.getByTestId('nav-uploads').waitFor();
    const input = page.getByTestId('upload-file');
    await expect.poll(() => input.isEnabled(), poll).toBe(true);
    await input.setInputFiles(source);
    await page.getByTestId('sending').waitFor();
    await waitFor(() => (blocked ? true : undefined), 60_000, 'the network to drop');

    // The server holds the chunks that arrived: two (the dropped one was sent again).
    const [partial] = await myUploads(people.lecturer.token);
    expect(partial).toMatchObject({ state: 'uploading', sizeBytes: size, fileName: 'Урок первый.mp4' });
    expect(partial!.receivedBytes).toBe(2 * CHUNK);
    // The retried chunk started where the server was, not from the file's start.
    expect(patches.slice(0, 3)).toEqual([0, CHUNK, CHUNK]);

    await page.reload();
    blocked = false;
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    const before = patches.length;
    // After the reload the list says how to continue.
    await expect
      .poll(() => page.locator(`[data-testid=upload][data-id="${partial!.id}"]`).getAttribute('data-state'), poll)
      .toBe('uploading');
    await expect.poll(() => input.isEnabled(), poll).toBe(true);
    await input.setInputFiles(source);
    // Resumed from what the server holds, by the fingerprint kept across the reload.
    await waitFor(() => (patches.length > before ? true : undefined), 60_000, 'the resumed upload');
    expect(patches[before]).toBe(2 * CHUNK);

    const ready = await waitForUpload(api, people.lecturer.token, partial!.id, 'ready', 120_000);
    await expect.poll(() => page.locator(`[data-testid=upload][data-id="${partial!.id}"]`).getAttribute('data-state'), poll).toBe('ready');
    // One upload, not a second one begun from zero.
    expect((await myUploads(people.lecturer.token)).length).toBe(1);
    expect(problems).toEqual([]);

    // Packaged as it came (H.264/AAC), as long as the source.
    const recording = (await app.repos.recordings.get(ready.recordingId!))!;
    const probed = await ffprobeJson(path.join(app.config.recordingsDir, recording.dir, 'index.m3u8'));
    expect(probed.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Math.abs(Number(probed.format.duration) - sourceDuration)).toBeLessThan(0.5);
    await context.close();

    // The lecturer makes it a lesson in the course builder: it is offered among the uploaded
    // videos, titled by its file name, and once saved the course is published.
    const lecturer = { token: people.lecturer.token };
    const course = await api.call('POST', '/courses', { ...lecturer, body: { title: 'Видеокурс', track: 'marketing' } });
    const courseId: string = course.body.id;
    const builderContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const builder = await builderContext.newPage();
    const builderProblems: string[] = [];
    await signInPage(builder, people.lecturer.token);
    await open(builder, `/workspace/courses/${courseId}`, builderProblems);
    await builder.getByTestId('add-module').click();
    const choice = builder.getByTestId('module').nth(0).getByTestId('recording-choice');
    await choice.waitFor({ timeout: 60_000 });
    const offered = choice.locator(`optgroup[label="${ruWorkspace.builder.uploadedVideos}"] option`);
    expect(await offered.allTextContents()).toEqual(['Урок первый (1 мин)']);
    expect(await offered.getAttribute('value')).toBe(ready.recordingId);
    await choice.selectOption({ label: 'Урок первый (1 мин)' });
    await builder.getByTestId('module').nth(0).getByTestId('attach').click();
    await builder.locator(`[data-testid=lesson][data-title="Урок первый"]`).waitFor();
    // Taken, it is offered no more.
    expect(await builder.getByTestId('recording-choice').count()).toBe(0);
    await builder.getByTestId('save-structure').click();
    await builder.getByTestId('unsaved').waitFor({ state: 'detached', timeout: 60_000 });
    const publish = builder.getByTestId('publish');
    await expect.poll(() => publish.isEnabled(), poll).toBe(true);
    await publish.click();
    await expect.poll(() => builder.getByTestId('publication-state').textContent(), poll).toBe(ruWorkspace.builder.isPublished);
    expect(builderProblems).toEqual([]);
    await builderContext.close();
    const structure = await api.call('GET', `/courses/${courseId}`, lecturer);
    expect(structure.body).toMatchObject({ published: true });
    const lessonView = structure.body.modules[0].lessons[0];
    expect(lessonView).toMatchObject({ kind: 'upload', title: 'Урок первый', seminarId: null });
    const lessonId: string = lessonView.id;
    const stored = await app.db.connection.collection('courses').findOne({ _id: new mongo.ObjectId(courseId) });
    expect(stored!.modules[0].lessons[0]).toMatchObject({ kind: 'upload', recordingId: ready.recordingId });
    expect((await api.call('PUT', `/courses/${courseId}/enrolment`, { token: people.learner.token })).status).toBe(204);

    // The learner plays it in hls.js; what they watch is kept, resumed and counted.
    const learnerContext = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const learnerPage = await learnerContext.newPage();
    const learnerProblems: string[] = [];
    await signInPage(learnerPage, people.learner.token);
    await open(learnerPage, `/courses/${courseId}/lessons/${lessonId}`, learnerProblems);
    const video = learnerPage.getByTestId('lesson-video');
    await expect.poll(() => video.getAttribute('data-engine'), poll).toBe('hls.js');
    await video.evaluate((v: any) => {
      v.muted = true;
      return v.play();
    });
    const frames = () => video.evaluate((v: any) => v.getVideoPlaybackQuality().totalVideoFrames as number);
    await expect.poll(frames, poll).toBeGreaterThan(20);
    expect(await video.evaluate((v: any) => v.duration as number)).toBeCloseTo(sourceDuration, 0);
    // A pause sends a heartbeat: the database holds it under the lesson's id. Paused in the
    // page at the first time update past 1.5 s, so a slow test runner cannot overshoot it.
    const pausedAt = await video.evaluate(
      (v: any) =>
        new Promise<number>((resolve) => {
          const check = () => {
            if (v.currentTime <= 1.5) return;
            v.removeEventListener('timeupdate', check);
            v.pause();
            resolve(v.currentTime as number);
          };
          v.addEventListener('timeupdate', check);
          check();
        }),
    );
    await learnerPage.screenshot({ path: path.join(shots, 'upload-lesson-ru-360.png'), fullPage: true });
    expect(await pageProblems(learnerPage)).toEqual([]);
    expect(pausedAt).toBeLessThan(sourceDuration - 1);
    const progress = () =>
      app.domain.progress
        .flush()
        .then(() => app.db.connection.collection('progress').findOne({ userId: people.learner.id, contentId: lessonId }));
    const first = await waitFor(
      async () => {
        const doc = await progress();
        return doc && doc.resumePosition > 1 ? doc : undefined;
      },
      60_000,
      'the pause heartbeat',
    );
    expect(first.resumePosition).toBeCloseTo(pausedAt, 1);
    expect(first.coveredSeconds).toBeGreaterThan(1);

    // Opened again, it starts where the learner stopped, and played to the end the lesson is complete.
    await learnerPage.reload();
    await expect.poll(() => video.getAttribute('data-engine'), poll).toBe('hls.js');
    await expect.poll(() => video.evaluate((v: any) => v.readyState as number), poll).toBeGreaterThan(0);
    expect(await video.evaluate((v: any) => v.currentTime as number)).toBeGreaterThan(pausedAt - 0.5);
    await video.evaluate((v: any) => {
      v.muted = true;
      return v.play();
    });
    await expect.poll(() => video.evaluate((v: any) => v.ended as boolean), poll).toBe(true);
    await waitFor(
      async () => ((await progress())!.coveredSeconds >= 0.9 * recording.durationSeconds! ? true : undefined),
      60_000,
      'the heartbeat at the end',
    );
    const learning = await api.call('GET', '/me/learning', { token: people.learner.token });
    expect(learning.body[0]).toMatchObject({ completedLessons: 1, totalLessons: 1, percent: 100 });
    expect(learnerProblems).toEqual([]);
    await learnerContext.close();

    // The video is a lesson now: the uploads page refuses to delete it and says why, and it stays.
    const again = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const uploadsPage = await again.newPage();
    const againProblems: string[] = [];
    await signInPage(uploadsPage, people.lecturer.token);
    await open(uploadsPage, '/workspace/uploads', againProblems);
    uploadsPage.on('dialog', (d) => void d.accept());
    const item = uploadsPage.locator(`[data-testid=upload][data-id="${ready.id}"]`);
    await item.getByTestId('dismiss').click();
    await expect.poll(() => item.getByTestId('dismiss-error').textContent(), poll).toBe(ruCommon.errors.recording_in_use);
    expect(await app.repos.uploads.get(ready.id)).not.toBeNull();
    expect(await app.repos.recordings.get(ready.recordingId!)).not.toBeNull();
    expect(againProblems).toEqual([]);
    await again.close();
  }, 300_000);

  it('shows why a file that is no video was refused, and keeps nothing of it', async () => {
    const junk = await makeJunk(dir, 'не-видео.mp4', 300_000);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    await signInPage(page, people.otherLecturer.token);
    await open(page, '/workspace/uploads', problems);
    const input = page.getByTestId('upload-file');
    await expect.poll(() => input.isEnabled(), poll).toBe(true);
    await input.setInputFiles(junk);
    const item = page.locator('[data-testid=upload][data-state=failed]');
    await item.waitFor({ timeout: 60_000 });
    expect(await item.getByTestId('upload-error').getAttribute('data-code')).toBe('upload_unreadable');
    expect(await item.getByTestId('upload-error').textContent()).toBe('Файл повреждён или это не видео.');
    const [failed] = await myUploads(people.otherLecturer.token);
    expect(await app.repos.recordings.get(failed!.recordingId ?? (await app.repos.uploads.get(failed!.id))!.recordingId)).toBeNull();
    expect(await filesUnder(app.config.uploads.incomingDir)).toEqual([]);
    expect((await filesUnder(path.join(app.config.recordingsDir, 'uploads'))).filter((f) => f.startsWith('.partial'))).toEqual([]);
    // Removing it from the list leaves nothing at all.
    await item.getByTestId('dismiss').click();
    await expect.poll(() => page.locator('[data-testid=upload]').count(), poll).toBe(0);
    expect(await app.repos.uploads.get(failed!.id)).toBeNull();

    // A file of another type is refused before a byte is sent.
    await input.setInputFiles({ name: 'slides.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    expect(await page.getByTestId('pick-error').textContent()).toBe('Загрузить можно видео MP4, MOV или MKV.');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows every state in Russian and English, at 360 and 1280 px, and from the keyboard', async () => {
    // One upload in each state, made directly: what the page shows of each is under test here.
    const owner = people.admin;
    const seed = async (n: number, state: UploadView['state'], extra: { progress?: number; errorCode?: string } = {}) => {
      const id = String(n).repeat(32);
      await app.repos.uploads.create({
        id,
        ownerId: owner.id,
        fileName: `Лекция ${n}.mp4`,
        sizeBytes: 50 * 1024 * 1024,
        recordingId: String(n).repeat(24),
      });
      await app.repos.uploads.update(id, { state, progress: extra.progress ?? 0, errorCode: extra.errorCode ?? null });
    };
    await seed(1, 'processing', { progress: 0.42 });
    await seed(2, 'ready', { progress: 1 });
    await seed(3, 'failed', { errorCode: 'upload_no_video' });
    await seed(4, 'uploading');
    for (const lang of ['ru', 'en'] as const) {
      for (const width of [360, 1280]) {
        const context = await browser.newContext({ viewport: { width, height: 900 } });
        const page = await context.newPage();
        const problems: string[] = [];
        await signInPage(page, owner.token);
        await open(page, `/workspace/uploads${lang === 'en' ? '?lang=en' : ''}`, problems);
        await expect.poll(() => page.locator('[data-testid=upload]').count(), poll).toBe(4);
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        expect(await page.getByTestId('processing-progress').textContent()).toBe(lang === 'ru' ? 'Обработка: 42%' : 'Processing: 42%');
        expect(await page.locator('[data-testid=upload][data-state=failed] [data-testid=upload-error]').textContent()).toBe(
          lang === 'ru' ? 'В файле нет видеодорожки.' : 'The file has no video track.',
        );
        await page.screenshot({ path: path.join(shots, `uploads-${lang}-${width}.png`), fullPage: true });
        expect(await pageProblems(page)).toEqual([]);
        if (lang === 'ru' && width === 360) {
          // The keyboard reaches the file picker and the actions.
          const reached: string[] = [];
          for (let i = 0; i < 30; i++) {
            await page.keyboard.press('Tab');
            reached.push(await page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('data-testid') ?? ''));
          }
          expect(reached).toContain('upload-file');
          expect(reached).toContain('dismiss');
        }
        expect(problems).toEqual([]);
        await context.close();
      }
    }
  }, 180_000);
});
