import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { LiveClient } from '../support/live-client';
import { artifacts, launchChromium } from '../support/browser';
import { hook, PageSession, scheduledSeminar } from '../support/page-session';
import { waitFor } from '../support/media';

// The replay page in Debian's Chromium: hls.js plays the live HLS while the
// seminar is on air, then the recording; a learner watches, seeks, leaves, and
// comes back where they left off, with the watched seconds stored as progress.

type Interval = [number, number];

const poll = { timeout: 30_000, interval: 200 };
const covered = (list: Interval[]) => list.reduce((s, [a, b]) => s + (b - a), 0);

describe('replay in the browser', () => {
  let app: Lectern;
  let browser: Browser;
  const sources: ChildProcess[] = [];
  const session = new PageSession(
    () => browser,
    () => app.url,
    (name) => path.join(artifacts, `e2e-replay-failed-${name}.png`),
    { width: 1280, height: 720 },
  );
  const { problems } = session;

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    [app, browser] = await Promise.all([startTestApp('e2e_replay', { MEDIASOUP_WORKERS: '1' }), launchChromium('playback')]);
  }, 120_000);

  afterAll(async () => {
    for (const s of sources) s.kill('SIGKILL');
    await browser?.close();
    await app?.stop();
  });

  const open = (name: string, token: string, url: string, ready?: string, prepare?: (page: Page) => Promise<unknown>) =>
    session.open(name, token, url, { ready, prepare });

  it('plays the live HLS, then the recording: seek, leave, resume where the learner left, progress stored', async () => {
    session.dumpOnFailure(60);
    const api = Api.of(app);
    const people = await cast(api);
    const course = await api.call('POST', '/courses', {
      token: people.lecturer.token,
      body: { title: 'Финансы для начинающих', track: 'finance' },
    });
    expect(course.status).toBe(201);
    const courseId: string = course.body.id;
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Налоги и отчётность', track: 'finance', startsAt: '2030-04-01T18:00', durationMinutes: 60, capacity: 20, courseId },
      [people.learner.token, people.otherLearner.token],
    );

    // On air: the lecturer's camera and microphone from a real ffmpeg source, recorded to HLS.
    const lecturer = await LiveClient.connect(app.url, people.lecturer.token);
    await lecturer.ok('room:join', { seminarId });
    await lecturer.ok('seminar:go-live', {});
    const room = (await app.rooms.peek(seminarId))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    sources.push(ffmpeg);
    const record = (await app.repos.seminars.get(seminarId))!;
    app.recorder.producerAdded(room, record, { producer: video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, record, { producer: audio, source: 'mic', role: 'lecturer' });
    // Seconds recorded so far, from the live playlist (segment lengths follow the source's key frames).
    const recorded = async () => {
      const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
      if (res.status !== 200) return 0;
      const text = await (await fetch(`${app.url}${res.body.playlistUrl}`)).text();
      return [...text.matchAll(/^#EXTINF:([\d.]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const videoBeforeChat = await waitFor(
      async () => {
        const seconds = await recorded();
        return seconds >= 5 ? seconds : undefined;
      },
      30_000,
      'a live playlist with five seconds',
    );

    // A chat message and a chapter marker, a few seconds into the seminar: the replay shows them from then on.
    await lecturer.ok('chat:send', { text: 'Начинаем с упрощённой системы налогообложения' });
    const chatSentBy = Date.now() - (await app.repos.seminars.get(seminarId))!.liveStartedAt!.getTime();
    await lecturer.ok('marker:add', { label: 'УСН' });

    // A viewer on the live HLS: hls.js, decoding frames that keep coming. Its first two
    // playlist requests get the 404 a viewer gets when they come before ffmpeg has written
    // the first segment: the player must wait for the playlist, not fail.
    let notYetWritten = 0;
    const live = await open('live-viewer', people.otherLearner.token, `/replay/${seminarId}`, undefined, (page) =>
      page.route(/\/index\.m3u8(\?|$)/, (route) =>
        notYetWritten < 2
          ? (notYetWritten++, route.fulfill({ status: 404, contentType: 'application/json', body: '{"code":"media_not_found"}' }))
          : route.continue(),
      ),
    );
    // The hooks exist before the playback answer arrives, so wait for it.
    await expect.poll(() => hook(live, 'live'), poll).toBe(true);
    await expect.poll(() => hook(live, 'engine'), poll).toBe('hls.js');
    await expect.poll(() => hook<number>(live, 'frames'), poll).toBeGreaterThan(0);
    expect(notYetWritten).toBe(2);
    const firstFrames = await hook<number>(live, 'frames');
    const firstTime = await hook<number>(live, 'currentTime');
    await expect.poll(() => hook<number>(live, 'frames'), poll).toBeGreaterThan(firstFrames + 30);
    expect(await hook<number>(live, 'currentTime')).toBeGreaterThan(firstTime + 0.5);
    expect(await live.getByTestId('status').textContent()).toBe('в эфире');
    await expect.poll(() => live.locator('#live-notice').isVisible()).toBe(true);
    await live.screenshot({ path: path.join(artifacts, 'e2e-replay-live.png') });

    // Long enough a recording to seek in: about 14 s.
    await waitFor(async () => ((await recorded()) >= 14 ? true : undefined), 30_000, 'fourteen recorded seconds');
    await lecturer.ok('seminar:end', {});
    await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live ? true : undefined;
      },
      10_000,
      'the recording to be ready',
    );
    lecturer.close();
    await live.context().close();

    // The learner's first visit: plays from the start, seeks to 4 s, watches a bit faster, leaves.
    const first = await open('learner-1', people.learner.token, `/replay/${seminarId}`);
    await expect.poll(() => hook(first, 'state'), poll).toBe('playing');
    expect(await hook(first, 'live')).toBe(false);
    expect(await hook(first, 'resumedFrom')).toBe(0);
    await expect.poll(() => hook(first, 'startedAt'), poll).not.toBeNull();
    expect(await hook<number>(first, 'startedAt')).toBeLessThan(0.5);
    await expect.poll(() => hook<number>(first, 'currentTime'), poll).toBeGreaterThan(1.5);
    const beforeSeek = await hook<number>(first, 'currentTime');
    await hook(first, 'seek', 4);
    await expect.poll(() => hook<number>(first, 'currentTime'), poll).toBeGreaterThanOrEqual(4);
    await hook(first, 'setRate', 1.5);
    expect(await hook(first, 'rate')).toBe(1.5);
    await expect.poll(() => hook<number>(first, 'currentTime'), poll).toBeGreaterThan(7.5);
    expect(await hook<number>(first, 'frames')).toBeGreaterThan(30);
    await first.screenshot({ path: path.join(artifacts, 'e2e-replay.png') });
    const watched = await hook<Interval[]>(first, 'intervals');
    const leftAt = await hook<number>(first, 'currentTime');
    // Two spans: the start before the seek, and from 4 s on; nothing of the skipped part.
    expect(watched.length).toBe(2);
    expect(watched[0]![0]).toBeLessThan(0.5);
    // Time updates come every quarter second or so: the span ends at the last one before the seek.
    expect(watched[0]![1]).toBeGreaterThan(beforeSeek - 0.5);
    expect(watched[0]![1]).toBeLessThanOrEqual(beforeSeek + 0.3);
    expect(watched[1]![0]).toBeGreaterThanOrEqual(3.9);
    expect(watched[1]![0]).toBeLessThan(4.6);
    await first.close({ runBeforeUnload: true });

    // The page-hide heartbeat (fetch with keepalive) reached the server: the saved position is where they left.
    const saved = await waitFor(
      async () => {
        await app.domain.progress.flush();
        const doc = await app.db.connection.collection('progress').findOne({ _id: `${people.learner.id}:${seminarId}` as any });
        return doc && doc.resumePosition >= leftAt - 0.3 ? doc : undefined;
      },
      10_000,
      'the page-hide heartbeat',
    );
    expect(saved.resumePosition).toBeLessThan(leftAt + 1);
    expect(Math.abs(saved.coveredSeconds - covered(watched))).toBeLessThanOrEqual(1.5);
    const progress = await api.call('GET', `/progress/${seminarId}`, { token: people.learner.token });
    expect(progress.status).toBe(200);
    expect(Math.abs(progress.body.coveredSeconds - covered(watched))).toBeLessThanOrEqual(1.5);

    // Coming back: playback resumes at the saved position.
    const again = await open('learner-2', people.learner.token, `/replay/${seminarId}`);
    await expect.poll(() => hook(again, 'state'), poll).toBe('playing');
    expect(Math.abs((await hook<number>(again, 'resumedFrom')) - saved.resumePosition)).toBeLessThanOrEqual(1);
    // 'playing' state comes with play(); the first frame actually playing (startedAt) follows the resume seek.
    await expect.poll(() => hook(again, 'startedAt'), poll).not.toBeNull();
    expect(Math.abs((await hook<number>(again, 'startedAt')) - saved.resumePosition)).toBeLessThanOrEqual(1);
    await expect.poll(() => again.getByTestId('resumed').isVisible()).toBe(true);
    // A click on the seek bar seeks there: "continue from" goes, and the bar keeps following
    // playback while it has the focus (it used to freeze then).
    const bar = again.getByTestId('seek');
    const box = (await bar.boundingBox())!;
    await again.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
    await expect.poll(() => again.getByTestId('resumed').isVisible(), poll).toBe(false);
    expect(await hook<number>(again, 'currentTime')).toBeLessThan(saved.resumePosition - 1);
    const clicked = await hook<{ value: number; focused: boolean }>(again, 'seekBar');
    expect(clicked.focused).toBe(true);
    await expect.poll(async () => (await hook<{ value: number }>(again, 'seekBar')).value, poll).toBeGreaterThan(clicked.value + 1);
    const following = await hook<{ value: number; focused: boolean }>(again, 'seekBar');
    expect(following.focused).toBe(true);
    expect(Math.abs(following.value - (await hook<number>(again, 'currentTime')))).toBeLessThan(0.75);
    // Chat and chapters follow the playback time.
    const playback = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
    const [message] = playback.body.chat as Array<{ offsetMs: number }>;
    const [chapter] = playback.body.chapters as Array<{ offsetMs: number; title: string; kind: string }>;
    expect(chapter).toMatchObject({ title: 'УСН', kind: 'marker' });
    // The message sits after the video recorded before it was sent, not before (its place on the replay is the video's).
    expect(message!.offsetMs).toBeGreaterThanOrEqual(videoBeforeChat * 1000 - 50);
    expect(message!.offsetMs).toBeLessThanOrEqual(chatSentBy);
    await hook(again, 'pause');
    await hook(again, 'seek', Math.max(0, message!.offsetMs / 1000 - 1));
    await expect.poll(() => hook(again, 'visibleChat'), poll).toBe(0);
    await hook(again, 'seek', message!.offsetMs / 1000 + 0.5);
    await expect.poll(() => hook(again, 'visibleChat'), poll).toBe(1);
    await again.locator('#chapters button').click();
    await expect.poll(() => hook<number>(again, 'currentTime'), poll).toBeGreaterThanOrEqual(chapter!.offsetMs / 1000 - 0.1);
    expect(await hook<number>(again, 'currentTime')).toBeLessThan(chapter!.offsetMs / 1000 + 1.5);
    await again.screenshot({ path: path.join(artifacts, 'e2e-replay-chapter.png') });
    await again.close({ runBeforeUnload: true });

    // "My learning" on the home page: the course with the recording's progress and a link to the replay.
    expect(
      (await api.call('PUT', `/courses/${courseId}/publication`, { token: people.lecturer.token, body: { published: true } })).status,
    ).toBe(200);
    expect((await api.call('PUT', `/courses/${courseId}/enrolment`, { token: people.learner.token })).status).toBe(204);
    const home = await open('home', people.learner.token, '/', '[data-testid="learning"]');
    const lesson = home.getByTestId('lesson');
    await expect.poll(() => lesson.count(), poll).toBe(1);
    expect(Number(await lesson.getAttribute('data-fraction'))).toBeGreaterThan(0);
    expect(await lesson.locator('a').getAttribute('href')).toBe(`/replay/${seminarId}`);
    await home.screenshot({ path: path.join(artifacts, 'e2e-learning.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 240_000);
});
