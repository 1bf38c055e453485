import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { readPlaylist } from '../../media';
import { pipBox, TS_OFFSET_SECONDS } from '../../media/recording-graph';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage, waitForHooks } from '../support/browser';
import { waitFor } from '../support/media';
import { hook, scheduledSeminar } from '../support/page-session';

// The recording as viewers saw it, end to end in Chromium: the lecturer broadcasts from the
// studio page (three simulcast layers), goes live, a viewer comes on stage with a camera and
// microphone of their own (a second browser process: its fake devices play a magenta picture
// and a 2.5 kHz tone in bursts), a question is answered, the guest leaves, the lecturer ends. Then the
// recording is taken apart with ffprobe and ffmpeg.

const run = promisify(execFile);
const GUEST_TONE_HZ = 2500;
const CANVAS = { width: 1280, height: 720 };

async function request(page: Page, event: string, payload: unknown): Promise<any> {
  const ack = await hook<any>(page, 'request', event, payload);
  if (!ack.ok) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
  return ack.data;
}
const poll = { timeout: 60_000, interval: 250 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The guest's devices: a magenta picture and a tone in bursts, as files Chromium's fake devices play (in a loop). */
async function guestMedia(dir: string): Promise<{ audio: string; video: string }> {
  const audio = path.join(dir, 'guest.wav');
  const video = path.join(dir, 'guest.y4m');
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    // In bursts, as speech comes: the microphone's noise suppression (on, as in the studio and on
    // stage) takes a steady tone for noise and fades it out after about 10 s, which the recording
    // then shows as the guest going quiet on stage. 0.3 s of tone in every 0.5 s, at a sine's usual 1/8.
    `aevalsrc=sin(2*PI*${GUEST_TONE_HZ}*t)*lt(mod(t\\,0.5)\\,0.3)/8:s=48000`,
    '-t',
    '10',
    '-ac',
    '1',
    audio,
  ]);
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=magenta:s=640x360:r=15',
    '-t',
    '2',
    '-pix_fmt',
    'yuv420p',
    video,
  ]);
  return { audio, video };
}

/** Timeline seconds (since the live start) of every video frame, and each segment's picture size. */
async function recordedFrames(dir: string): Promise<{ times: number[]; sizes: string[]; all: string }> {
  const { segments } = await readPlaylist(path.join(dir, 'index.m3u8'));
  const sizes: string[] = [];
  for (const s of segments) {
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height',
      '-of',
      'csv=p=0',
      path.join(dir, s.uri),
    ]);
    sizes.push(stdout.trim().split('\n')[0]!.replace(',', 'x'));
  }
  // The segments back to back: one MPEG-TS stream with the recording's own times.
  const all = path.join(dir, 'all.ts.probe');
  await writeFile(all, Buffer.concat(await Promise.all(segments.map((s) => readFile(path.join(dir, s.uri))))));
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-f', 'mpegts', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', all],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const times = stdout
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter((v) => Number.isFinite(v))
    .map((v) => v - TS_OFFSET_SECONDS)
    .sort((a, b) => a - b);
  return { times, sizes, all };
}

/** The recording's own times [from, to) as a trim filter's options (segments carry timeline + the MPEG-TS offset). */
const span = (from: number, to: number) => `start=${(from + TS_OFFSET_SECONDS).toFixed(3)}:end=${(to + TS_OFFSET_SECONDS).toFixed(3)}`;

/** The longest stretch of [from, to) with no sound at all (no audio packet), in seconds. */
async function longestSilenceGap(all: string, from: number, to: number): Promise<number> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-f', 'mpegts', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', all],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const packets = stdout
    .split('\n')
    .map((l) => l.split(',').map(Number))
    .filter(([t, d]) => Number.isFinite(t) && Number.isFinite(d))
    .map(([t, d]) => ({ start: t! - TS_OFFSET_SECONDS, end: t! + d! - TS_OFFSET_SECONDS }))
    .sort((a, b) => a.start - b.start);
  let covered = from;
  let longest = 0;
  for (const p of packets) {
    if (p.end <= covered) continue;
    if (p.start >= to) break;
    longest = Math.max(longest, p.start - covered);
    covered = p.end;
  }
  return Math.max(longest, to - covered);
}

/** RMS level (dBFS) of the sound around `hz` over [from, to) of the recording's timeline. */
async function toneLevel(all: string, from: number, to: number, hz: number): Promise<number> {
  const band = `bandpass=f=${hz}:width_type=h:width=150`;
  const { stderr } = await run('ffmpeg', [
    '-v',
    'info',
    '-nostats',
    '-f',
    'mpegts',
    '-i',
    all,
    '-vn',
    '-af',
    `atrim=${span(from, to)},${band},${band},astats=measure_perchannel=none`,
    '-f',
    'null',
    '-',
  ]);
  const m = /Overall[\s\S]*?RMS level dB: (-?[\d.]+|-inf)/.exec(stderr);
  return !m || m[1] === '-inf' ? -Infinity : Number(m[1]);
}

/** The tone's level in each half second of the recording ("t:dB"): printed when the tone checks fail, to see where it was. */
async function toneProfile(all: string, hz: number): Promise<string> {
  const band = `bandpass=f=${hz}:width_type=h:width=150`;
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'mpegts',
      '-i',
      all,
      '-vn',
      '-af',
      `${band},${band},aresample=48000,asetnsamples=n=24000,astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-`,
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const times = [...stdout.matchAll(/pts_time:([\d.]+)/g)].map((m) => Number(m[1]));
  const levels = [...stdout.matchAll(/RMS_level=(-?[\d.]+|-inf)/g)].map((m) => m[1]);
  return times.map((t, i) => `${t.toFixed(1)}:${levels[i] === '-inf' ? '-inf' : Number(levels[i]).toFixed(0)}`).join(' ');
}

/** The mean V (red-difference) of the picture-in-picture corner over [from, to): magenta is high. */
async function cornerRedness(all: string, from: number, to: number): Promise<number> {
  const box = pipBox(CANVAS, 0);
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'mpegts',
      '-i',
      all,
      '-an',
      '-vf',
      `trim=${span(from, to)},crop=${box.width}:${box.height}:${box.x}:${box.y},signalstats,metadata=mode=print:key=lavfi.signalstats.VAVG:file=-`,
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const values = [...stdout.matchAll(/VAVG=([\d.]+)/g)].map((m) => Number(m[1]));
  return values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
}

describe('the recording of a seminar run in the browser', () => {
  let app: Lectern;
  let lecturerBrowser: Browser;
  let guestBrowser: Browser;
  const problems: string[] = [];
  const pages = new Map<string, Page>();

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-e2e-rec-'));
    const media = await guestMedia(dir);
    [app, lecturerBrowser, guestBrowser] = await Promise.all([
      startTestApp('e2e_recording'),
      launchChromium('media'),
      launchChromium('media', media),
    ]);
  }, 180_000);

  afterAll(async () => {
    await lecturerBrowser?.close();
    await guestBrowser?.close();
    await app?.stop();
  });

  async function open(browser: Browser, name: string, route: string, token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    pages.set(name, page);
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
    await reportCspViolations(page, name, problems);
    await signInPage(page, token);
    await page.goto(`${app.url}${route}`);
    await waitForHooks(page);
    return page;
  }

  it('is what viewers saw: one size, every frame, the session length, the guest heard and seen, a chapter per answer', async () => {
    onTestFailed(async () => {
      for (const [name, page] of pages)
        await page.screenshot({ path: path.join(artifacts, `e2e-recording-failed-${name}.png`) }).catch(() => undefined);
      console.error(['page errors:', ...problems].join('\n'));
    });
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Запись с гостем', track: 'recordings', startsAt: '2030-04-01T18:00', durationMinutes: 60, capacity: 20 },
      [people.learner.token],
    );

    const studio = await open(lecturerBrowser, 'studio', `/studio/${seminarId}`, people.lecturer.token);
    const guest = await open(guestBrowser, 'guest', `/watch/${seminarId}`, people.learner.token);
    for (const page of [studio, guest]) await expect.poll(() => hook(page, 'state'), poll).toBe('joined');

    // Live: the studio publishes its camera (three simulcast layers) and microphone.
    await studio.waitForSelector('[data-testid=go-live]:not([disabled])');
    await studio.click('[data-testid=go-live]');
    await expect.poll(async () => (await hook<any[]>(studio, 'stats')).map((s) => s.source).sort(), poll).toEqual(['camera', 'mic']);
    const liveStartedAt = (await app.repos.seminars.get(seminarId))!.liveStartedAt!.getTime();
    // The camera's size, as its preview on the studio page shows it.
    const cameraSize = await studio.evaluate(() => {
      const videos: Array<{ videoWidth: number; videoHeight: number }> = [...(globalThis as any).document.querySelectorAll('video')];
      const biggest = videos.sort((a, b) => b.videoWidth - a.videoWidth)[0];
      return `${biggest?.videoWidth}x${biggest?.videoHeight}`;
    });
    const session = () => (Date.now() - liveStartedAt) / 1000;

    // What the lecturer's browser sends on its top layer, sampled all along. The top layer is
    // the last encoding (rids sort in encoding order), not the widest at the moment: under load
    // Chromium scales layers down, and counting one layer's frames now and another's later
    // compares nothing.
    const top: Array<{ t: number; frames: number; size: string }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const camera = (await hook<any[]>(studio, 'stats').catch(() => [])).find((s) => s.source === 'camera');
        const layer = camera?.layers?.at(-1);
        if (layer) top.push({ t: session(), frames: layer.frames, size: `${layer.frameWidth}x${layer.frameHeight}` });
        await sleep(250);
      }
    })();
    const topSentAt = (t: number) => {
      const after = top.findIndex((s) => s.t >= t);
      const a = top[Math.max(0, after - 1)]!;
      const b = top[after === -1 ? top.length - 1 : after]!;
      return b.t === a.t ? a.frames : a.frames + ((b.frames - a.frames) * (t - a.t)) / (b.t - a.t);
    };
    // The top layer starts once the browser's bandwidth estimate allows it.
    await expect.poll(() => top.at(-1)?.frames ?? 0, poll).toBeGreaterThan(0);
    const topFrom = top.find((s) => s.frames > 0)!.t;
    await sleep(3000);

    // A viewer is invited on stage and goes on with camera and microphone.
    expect(await hook(guest, 'status')).toBe('live');
    const mainRecorder = () => app.recorder.status().recorders.find((r) => r.seminarId === seminarId && r.kind === 'main');
    const lecturerOnlyPid = mainRecorder()?.pid;
    await request(studio, 'stage:invite', { userId: people.learner.id });
    await request(guest, 'stage:accept', {});
    const acceptedAt = session();
    // The watch page sends the guest's camera and microphone by itself once they are on stage.
    const guestSent = async () => {
      const sent = await hook<Array<{ kind: string; frames: number; packets: number; layers?: Array<{ frames: number }> }>>(
        guest,
        'stageStats',
      );
      const video = sent.find((x) => x.kind === 'video');
      return {
        video: video ? Math.max(video.frames, ...(video.layers ?? []).map((l) => l.frames)) : 0,
        audio: sent.find((x) => x.kind === 'audio')?.packets ?? 0,
      };
    };
    await expect.poll(async () => (await guestSent()).video, poll).toBeGreaterThan(50);
    expect((await guestSent()).audio).toBeGreaterThan(0);
    // The guest is in the recording once a new ffmpeg run with all four streams has taken over
    // (one writer again). That takes a few seconds, more on a loaded machine: the guest's
    // window is measured from there, and how long it took is reported.
    await expect
      .poll(
        () => {
          const r = mainRecorder();
          return r !== undefined && r.sources === 4 && r.writers === 1 && r.pid !== lecturerOnlyPid;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(true);
    const guestFrom = session();
    console.log(`recording: the guest's run took over ${(guestFrom - acceptedAt).toFixed(1)} s after the guest accepted`);
    await sleep(5000);

    // A question, answered directly (no "answering now" first).
    const text = 'Как посчитать точку безубыточности?';
    const question = await request(guest, 'question:ask', { text });
    await request(studio, 'question:status', { questionId: question.id, status: 'answered' });
    const answeredAt = session();
    await sleep(4000);

    // The guest leaves the stage; the lecturer goes on alone for a while, then ends.
    const guestTo = session();
    await request(studio, 'stage:remove', { userId: people.learner.id });
    await sleep(5000);
    await request(studio, 'seminar:end', {});
    sampling = false;
    await sampler;
    const seminar = (await app.repos.seminars.get(seminarId))!;
    const liveSeconds = (seminar.endedAt!.getTime() - liveStartedAt) / 1000;

    const playback = await waitFor(
      async () => {
        const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: people.learner.token });
        return res.status === 200 && !res.body.live ? res.body : undefined;
      },
      30_000,
      'the recording to be ready',
    );
    const recording = (await app.repos.recordings.latestReady(seminarId))!;
    const dir = path.join(app.config.recordingsDir, recording.dir);
    console.log(
      `recording: ${dir}; guest on stage [${guestFrom.toFixed(1)}, ${guestTo.toFixed(1)}] s, answered at ${answeredAt.toFixed(1)} s`,
    );
    const { times, sizes, all } = await recordedFrames(dir);

    // One picture size throughout: the top layer's, which is the camera's own (scaled down by 1).
    // The layer itself is sent smaller while Chromium finds the machine too busy: the
    // recording keeps its size anyway.
    console.log(
      `recording: top layer sent at ${[...new Set(top.map((s) => s.size))].join(', ')}; segments ${[...new Set(sizes)].join(', ')}`,
    );
    expect(cameraSize).toBe(`${CANVAS.width}x${CANVAS.height}`);
    expect(new Set(sizes)).toEqual(new Set([cameraSize]));

    // Every frame the top layer sent, from when it ran steadily to just before the end.
    const from = topFrom + 2;
    const to = liveSeconds - 1;
    const sent = topSentAt(to) - topSentAt(from);
    const recorded = times.filter((t) => t >= from && t < to).length;
    const gaps = times
      .slice(1)
      .map((t, i) => t - times[i]!)
      .filter((_, i) => times[i]! >= from && times[i]! < to);
    console.log(
      `recording: top layer sent ${sent.toFixed(0)} frames in [${from.toFixed(1)}, ${to.toFixed(1)}] s, recorded ${recorded} ` +
        `(${((100 * recorded) / sent).toFixed(1)} %), longest gap ${(Math.max(...gaps) * 1000).toFixed(0)} ms`,
    );
    expect(recorded / sent).toBeGreaterThanOrEqual(0.95);
    // How long the recording goes without any sound packet. The studio's microphone uses Opus
    // DTX (a packet every 400 ms in silence), and on a loaded machine holes of 0.35-0.94 s were
    // seen inside one ffmpeg run, away from any switch, that aresample did not fill (cause still
    // open). The bound sits above those and below what a lost microphone across a switch gives.
    const silence = await longestSilenceGap(all, topFrom, liveSeconds - 0.5);
    console.log(`recording: longest stretch without sound ${(silence * 1000).toFixed(0)} ms`);
    expect(silence).toBeLessThan(1.5);

    // The session's length: the playlist, the API and the media itself.
    const probe = JSON.parse(
      (await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', path.join(dir, 'index.m3u8')])).stdout,
    );
    const playlistSeconds = Number(probe.format.duration);
    console.log(`recording: live ${liveSeconds.toFixed(3)} s, playlist ${playlistSeconds.toFixed(3)} s, API ${playback.durationSeconds} s`);
    expect(Math.abs(playlistSeconds - liveSeconds)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(playback.durationSeconds - liveSeconds)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(times.at(-1)! - liveSeconds)).toBeLessThanOrEqual(0.3);

    // Every EXTINF within the target duration, outright.
    const text8 = await readFile(path.join(dir, 'index.m3u8'), 'utf8');
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text8)![1]);
    for (const d of [...text8.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]))) expect(d).toBeLessThanOrEqual(target);

    // The guest heard (their tone in their time on stage, not before or after) and seen (magenta in the corner).
    const guestTone = await toneLevel(all, guestFrom + 0.5, guestTo - 0.5, GUEST_TONE_HZ);
    const before = await toneLevel(all, topFrom, acceptedAt - 0.5, GUEST_TONE_HZ);
    const after = await toneLevel(all, guestTo + 2.5, liveSeconds - 0.5, GUEST_TONE_HZ);
    const cornerOn = await cornerRedness(all, guestFrom + 0.5, guestTo - 0.5);
    const cornerOff = await cornerRedness(all, guestTo + 2.5, liveSeconds - 0.5);
    console.log(
      `recording: guest tone ${guestTone.toFixed(1)} dBFS on stage, ${before.toFixed(1)} before, ${after.toFixed(1)} after; ` +
        `corner V ${cornerOn.toFixed(0)} on stage, ${cornerOff.toFixed(0)} after`,
    );
    if (!(guestTone > -40 && guestTone - Math.max(before, after) > 20)) {
      console.log(
        `recording: accepted at ${acceptedAt.toFixed(1)} s; guest tone per half second: ${await toneProfile(all, GUEST_TONE_HZ)}`,
      );
      await cp(dir, path.join(artifacts, 'e2e-recording-failed'), { recursive: true }).catch(() => undefined);
    }
    expect(guestTone).toBeGreaterThan(-40);
    expect(guestTone - Math.max(before, after)).toBeGreaterThan(20);
    expect(cornerOn).toBeGreaterThan(cornerOff + 40);

    // The question answered directly is a chapter, where it was answered.
    const chapter = playback.chapters.find((c: any) => c.kind === 'question' && c.title === text);
    expect(chapter).toBeDefined();
    expect(Math.abs(chapter.offsetMs / 1000 - answeredAt)).toBeLessThan(1.5);

    expect(problems).toEqual([]);
  }, 300_000);
});
