// Benchmark: glass-to-glass latency over WebRTC (issue 17: p95 ≤ 150 ms on loopback), on the
// path users take. Run: `npm run bench -- latency`.
//
// The lecturer is Debian's Chromium (playwright-core) on the studio page, its fake camera a
// looping Y4M clip whose frames carry their index as a code (latency/clip.ts); the studio goes
// live with its simulcast camera and microphone. A learner watches on the watch page in the
// same Chromium. The studio page notes when each index reaches script from the camera track
// (MediaStreamTrackProcessor on a clone of it); the watch page notes when each index is presented
// (requestVideoFrameCallback on its <video>). Latency = presented − captured, one clock (both
// pages on one machine). Then the baseline, in the same browser with the same clip: a direct
// RTCPeerConnection pair in one page, one layer of the size the viewer received, the same codec
// and bitrate, no server: what the SFU path adds is the difference.
//
// Lectern runs in this process (NODE_ENV=production, one mediasoup worker, embedded FerretDB
// 1.24.2 on SQLite under a temp DATA_DIR; the database is not on the media path).
// Settings: BENCH_LATENCY_SECONDS (measured, default 30), BENCH_LATENCY_WARMUP_SECONDS (5),
// BENCH_LATENCY_BASELINE_SECONDS (default: the same as measured), BENCH_LATENCY_VIEWPORT
// (the viewer's window, default 1280x720).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../server/logger';
import { start, type Lectern } from '../server/main';
import { launchChromium, signInPage, waitForHooks } from '../test/support/browser';
import { intEnv } from './lib/env';
import { benchConfig, registerAccount, scheduledSeminar, seedLecturer } from './lib/lectern';
import { busyCoresSince, machine, machineCpuSnapshot, sourceState } from './lib/machine';
import { ok } from './lib/rest';
import { CLIP_FPS, CLIP_HEIGHT, CLIP_WIDTH, CODE_BITS, writeClip } from './latency/clip';
import { coresBetween, descendantCpu } from './latency/cpu';
import { captureTimes, match, percentiles, type Capture, type Matched, type Percentiles, type Present } from './latency/match';
import { PC_WATCH, PROBE } from './latency/probe';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const viewport = (process.env.BENCH_LATENCY_VIEWPORT ?? '1280x720').split('x').map(Number);
const settings = {
  seconds: intEnv('BENCH_LATENCY_SECONDS', 30),
  warmupSeconds: intEnv('BENCH_LATENCY_WARMUP_SECONDS', 5),
  baselineSeconds: intEnv('BENCH_LATENCY_BASELINE_SECONDS', intEnv('BENCH_LATENCY_SECONDS', 30)),
  viewport: { width: viewport[0] || 1280, height: viewport[1] || 720 },
  clipSeconds: 4,
  target: { maxP95Ms: 150 },
};

/**
 * The studio's camera layers (web/src/media.ts CAMERA_LAYERS): the baseline sends one layer of
 * the size the viewer received, at that layer's bitrate.
 */
const LAYER_BITRATE: Record<number, number> = { 4: 150_000, 2: 500_000, 1: 1_500_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[latency] ${m}\n`);

interface Taken {
  captures: Capture[];
  presents: Present[];
  unreadable: { capture: number; present: number };
  errors: string[];
}

function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

interface StreamStats {
  source: string;
  kind: string;
  codec: string | null;
  frames: number;
  frameWidth: number;
  frameHeight: number;
  layers?: Array<{ rid: string | null; frameWidth: number; frames: number }>;
}

const stats = (page: Page) => inPage<StreamStats[]>(page, 'window.lectern.stats()');
const camera = async (page: Page) => (await stats(page)).find((s) => s.source === 'camera');

/** One measured phase: captures from `sender`, presents from `viewer`, after a warm-up. */
async function measure(sender: Page, viewer: Page, seconds: number): Promise<Measured> {
  const captures: Capture[] = [];
  const all: Taken = { captures, presents: [], unreadable: { capture: 0, present: 0 }, errors: [] };
  const pull = async (keepPresents: boolean) => {
    for (const page of sender === viewer ? [sender] : [sender, viewer]) {
      const t = await inPage<Taken>(page, 'window.__latency.take()');
      captures.push(...t.captures);
      all.errors.push(...t.errors);
      if (!keepPresents) continue;
      all.presents.push(...t.presents);
      all.unreadable.capture += t.unreadable.capture;
      all.unreadable.present += t.unreadable.present;
    }
  };
  await sleep(settings.warmupSeconds * 1000);
  await pull(false);
  const before = captures.length;
  const cpu = windowStart();
  const rtc = () => inPage<RtcCounters>(viewer, 'window.__latency.rtcStats()');
  // What the sender's encoder was asked for (its outbound-rtp), from its own page.
  const sent = async () => (await inPage<RtcCounters>(sender, 'window.__latency.rtcStats()')).sent;
  const [rtcBefore, sentBefore] = await Promise.all([rtc(), sent()]);
  for (let left = seconds; left > 0; left -= 5) {
    await sleep(Math.min(5, left) * 1000);
    await pull(true);
  }
  const receiver = receiverSummary(rtcBefore, await rtc(), sentBefore, await sent());
  return {
    receiver,
    matched: match(captures, all.presents, settings.clipSeconds * 1000),
    taken: all,
    captured: captures.length - before,
    readLag: percentiles(captureTimes(captures.slice(before)).readLag),
    seconds,
    cpu: cpu.end(seconds),
  };
}

type RtcCounters = Record<'video' | 'audio' | 'probator' | 'sent', Record<string, number>>;

/** What the receiving browser reports over the window, per frame (ms) or in all. */
interface Receiver {
  videoJitterBufferMs: number;
  videoTargetDelayMs: number;
  /** What the jitter buffer would hold without A/V sync or a playout hint: target − minimum is what lip sync adds. */
  videoMinimumDelayMs: number;
  decodeMsPerFrame: number;
  /** Receive of the first packet → decoded. */
  processingMsPerFrame: number;
  framesDropped: number;
  freezes: number;
  packetsLost: number;
  nacks: number;
  plis: number;
  /** PLIs on mediasoup-client's probator (padding only; mediasoup drops them). */
  probatorPlis: number;
  audioJitterBufferMs: number;
  /** Key-frame requests (PLI + FIR) that reached the sender's encoder, every layer, and the key frames it encoded. */
  encoderKeyFrameRequests: number;
  keyFramesEncoded: number;
}

function receiverSummary(a: RtcCounters, b: RtcCounters, sentA: RtcCounters['sent'], sentB: RtcCounters['sent']): Receiver {
  const d = (kind: 'video' | 'audio' | 'probator', k: string) => (b[kind][k] ?? 0) - (a[kind][k] ?? 0);
  const sent = (k: string) => (sentB[k] ?? 0) - (sentA[k] ?? 0);
  const per = (kind: 'video' | 'audio', k: string, by: string) => {
    const n = d(kind, by);
    return n > 0 ? Math.round((d(kind, k) / n) * 10000) / 10 : 0;
  };
  return {
    videoJitterBufferMs: per('video', 'jitterBufferDelay', 'jitterBufferEmittedCount'),
    videoTargetDelayMs: per('video', 'jitterBufferTargetDelay', 'jitterBufferEmittedCount'),
    videoMinimumDelayMs: per('video', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'),
    decodeMsPerFrame: per('video', 'totalDecodeTime', 'framesDecoded'),
    processingMsPerFrame: per('video', 'totalProcessingDelay', 'framesDecoded'),
    framesDropped: d('video', 'framesDropped'),
    freezes: d('video', 'freezeCount'),
    packetsLost: d('video', 'packetsLost'),
    nacks: d('video', 'nackCount'),
    plis: d('video', 'pliCount'),
    probatorPlis: d('probator', 'pliCount'),
    audioJitterBufferMs: per('audio', 'jitterBufferDelay', 'jitterBufferEmittedCount'),
    encoderKeyFrameRequests: sent('pliCount') + sent('firCount'),
    keyFramesEncoded: sent('keyFramesEncoded'),
  };
}

interface Measured {
  receiver: Receiver;
  matched: Matched;
  taken: Taken;
  /** Frames captured in the measured window (captures of the warm-up are kept for pairing only). */
  captured: number;
  /** How long frames waited between capture and reaching script on the sending page. */
  readLag: Percentiles | undefined;
  seconds: number;
  cpu: Window;
}

interface Window {
  loadAverage: [number, number, number];
  busyCores: number | undefined;
  processCores: Record<string, number>;
}

function windowStart() {
  const snapshot = machineCpuSnapshot();
  const children = descendantCpu();
  const own = process.cpuUsage();
  return {
    end(seconds: number): Window {
      const used = process.cpuUsage(own);
      const cores = coresBetween(children, descendantCpu(), seconds);
      cores['node (Lectern + this bench)'] = Math.round(((used.user + used.system) / 1e6 / seconds) * 100) / 100;
      const la = loadavg().map((v) => Math.round(v * 100) / 100) as [number, number, number];
      return { loadAverage: la, busyCores: busyCoresSince(snapshot), processCores: cores };
    },
  };
}

interface Phase {
  name: string;
  toDisplay?: Percentiles;
  toCallback?: Percentiles;
  toReceive?: Percentiles;
  receiveToDisplay?: Percentiles;
  byReceiverEstimate?: Percentiles;
  readLag?: Percentiles;
  receiver: Receiver;
  /** Frames shown (with a readable code) per second. */
  shownPerSecond: number;
  unmatched: number;
  unreadable: { capture: number; present: number };
  captured: number;
  sizes: Record<string, number>;
  codec: string | null;
  errors: string[];
  window: Window;
}

function phase(name: string, m: Measured, codec: string | null): Phase {
  return {
    name,
    toDisplay: percentiles(m.matched.toDisplay),
    toCallback: percentiles(m.matched.toCallback),
    toReceive: percentiles(m.matched.toReceive),
    receiveToDisplay: percentiles(m.matched.receiveToDisplay),
    byReceiverEstimate: percentiles(m.matched.byReceiverEstimate),
    readLag: m.readLag,
    receiver: m.receiver,
    shownPerSecond: Math.round((m.taken.presents.length / m.seconds) * 10) / 10,
    unmatched: m.matched.unmatched,
    unreadable: m.taken.unreadable,
    captured: m.captured,
    sizes: m.matched.sizes,
    codec,
    errors: m.taken.errors.slice(0, 5),
    window: m.cpu,
  };
}

async function newPage(browser: Browser, problems: string[], name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: settings.viewport });
  const page = await context.newPage();
  await page.addInitScript(PC_WATCH);
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  return page;
}

export async function run(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'lectern-bench-latency-'));
  const clip = path.join(root, 'camera.y4m');
  const before = { loadAverage: loadavg().map((v) => Math.round(v * 100) / 100) };
  let app: Lectern | undefined;
  let browser: Browser | undefined;
  const problems: string[] = [];
  try {
    log(`writing the ${settings.clipSeconds} s camera clip (${CLIP_WIDTH}x${CLIP_HEIGHT} ${CLIP_FPS} fps, ${CODE_BITS}-bit frame index)`);
    await writeClip(clip, settings.clipSeconds);
    app = await start(benchConfig(path.join(root, 'data'), {}), createLogger('silent'));
    const lecturer = await seedLecturer(app);
    const seminarId = await scheduledSeminar(app, lecturer.token, {
      title: 'Задержка: от камеры до экрана',
      track: 'finance',
      startsAt: '2031-03-01T18:30',
      durationMinutes: 90,
      capacity: 50,
    });
    const learner = await registerAccount(app, 'learner@bench.lectern', 'Слушатель');
    // As if the mailed link had been followed: only a confirmed address may register.
    await app.repos.users.confirmEmail(learner.id, new Date());
    await ok(app.url, 'PUT', `/seminars/${seminarId}/registration`, { token: learner.token });

    browser = await launchChromium('media', { video: clip, args: ['--autoplay-policy=no-user-gesture-required'] });
    const studio = await newPage(browser, problems, 'studio');
    await signInPage(studio, lecturer.token);
    await studio.goto(`${app.url}/studio/${seminarId}`);
    await waitForHooks(studio);
    const viewer = await newPage(browser, problems, 'watch');
    await signInPage(viewer, learner.token);
    await viewer.goto(`${app.url}/watch/${seminarId}`);
    await waitForHooks(viewer);
    for (const page of [studio, viewer]) await until('joined', async () => (await inPage(page, 'window.lectern.state()')) === 'joined');

    log('going live from the studio page');
    await studio.click('[data-testid=go-live]');
    await until('the studio sends its camera', async () => ((await camera(studio))?.frames ?? 0) > 0);
    await until('the viewer decodes the camera', async () => ((await camera(viewer))?.frames ?? 0) > 30);
    const codec = await inPage<string | null>(studio, 'window.lectern.codec()');
    for (const page of [studio, viewer]) await inPage(page, PROBE);
    await inPage(studio, `window.__latency.watchCapture(document.getElementById('camera-preview').srcObject.getVideoTracks()[0])`);
    await inPage(viewer, `window.__latency.watchVideo(document.getElementById('main-video'))`);
    const shown = await inPage<{ width: number; height: number }>(
      viewer,
      `(() => { const v = document.getElementById('main-video'); return { width: v.clientWidth, height: v.clientHeight }; })()`,
    );
    const skew = [
      await inPage<number>(studio, 'window.__latency.clockSkew()'),
      await inPage<number>(viewer, 'window.__latency.clockSkew()'),
    ];

    log(`measuring the SFU path for ${settings.seconds} s (after ${settings.warmupSeconds} s warm-up)`);
    const sfu = await measure(studio, viewer, settings.seconds);
    const received = await camera(viewer);
    const sent = await camera(studio);
    await studio.context().close();
    await viewer.context().close();

    // The baseline: the layer the viewer got most, sent straight from one peer connection to another.
    const [topSize] = Object.entries(sfu.matched.sizes).sort((a, b) => b[1] - a[1])[0] ?? [`${CLIP_WIDTH}x${CLIP_HEIGHT}`];
    const scale = Math.round((CLIP_WIDTH / Number(topSize.split('x')[0])) * 100) / 100;
    // A busy encoder scales every layer down (960/480/240 px): the bitrate of the layer nearest in size.
    const nearest = scale <= 1.5 ? 1 : scale <= 3 ? 2 : 4;
    const baselineLayer = { scaleResolutionDownBy: scale, maxBitrate: LAYER_BITRATE[nearest]! };
    log(
      `baseline: direct RTCPeerConnection loopback, ${topSize} at ${baselineLayer.maxBitrate / 1000} kbps, ${settings.baselineSeconds} s`,
    );
    const loop = await newPage(browser, problems, 'baseline');
    await loop.goto(`${app.url}/`);
    await inPage(loop, PROBE);
    await inPage(loop, `window.__latency.loopback(${JSON.stringify({ mimeType: codec ?? 'video/VP8', ...baselineLayer, ...shown })})`);
    await until(
      'the loopback decodes',
      async () => (await inPage<{ framesDecoded: number }>(loop, 'window.__latency.loopbackStats()')).framesDecoded > 30,
    );
    const direct = await measure(loop, loop, settings.baselineSeconds);
    const loopStats = await inPage<{ codec: string | null; audioPackets: number }>(loop, 'window.__latency.loopbackStats()');
    await loop.context().close();

    const results = {
      sfu: phase('studio page → Lectern (mediasoup SFU) → watch page', sfu, received?.codec ?? null),
      baseline: phase('baseline: direct RTCPeerConnection loopback, same browser and clip', direct, loopStats.codec),
    };
    report({ results, before, skew, shown, codec, sent, received, baselineLayer, baselineAudioPackets: loopStats.audioPackets, problems });
  } finally {
    await browser?.close().catch(() => undefined);
    await app?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function report(r: {
  results: { sfu: Phase; baseline: Phase };
  before: { loadAverage: number[] };
  skew: number[];
  shown: { width: number; height: number };
  codec: string | null;
  sent: StreamStats | undefined;
  received: StreamStats | undefined;
  baselineLayer: { scaleResolutionDownBy: number; maxBitrate: number };
  baselineAudioPackets: number;
  problems: string[];
}): void {
  const { sfu, baseline } = r.results;
  const cell = (p: Percentiles | undefined, k: keyof Percentiles) => (p ? String(p[k]) : '–');
  const sizes = (p: Phase) =>
    Object.entries(p.sizes)
      .sort((a, b) => b[1] - a[1])
      .map(([s, n]) => `${s}${Object.keys(p.sizes).length > 1 ? ` (${n})` : ''}`)
      .join(', ');
  const row = (p: Phase) =>
    `| ${p.name} | ${p.toDisplay?.n ?? 0} (${p.shownPerSecond}/s) | ${cell(p.toDisplay, 'p50')} | ${cell(p.toDisplay, 'p95')} | ${cell(p.toDisplay, 'p99')} | ${cell(p.toDisplay, 'max')} | ` +
    `${cell(p.toReceive, 'p50')} / ${cell(p.toReceive, 'p95')} | ${cell(p.receiveToDisplay, 'p50')} / ${cell(p.receiveToDisplay, 'p95')} | ${sizes(p)} ${p.codec ?? ''} |`;
  const diff = (k: 'p50' | 'p95' | 'p99') =>
    sfu.toDisplay && baseline.toDisplay ? Math.round((sfu.toDisplay[k] - baseline.toDisplay[k]) * 10) / 10 : undefined;
  const ratio = sfu.toDisplay && baseline.toDisplay ? Math.round((sfu.toDisplay.p95 / baseline.toDisplay.p95) * 100) / 100 : undefined;
  const met = sfu.toDisplay !== undefined && sfu.toDisplay.p95 <= settings.target.maxP95Ms;
  const m = machine();
  const cores = (w: Window) =>
    Object.entries(w.processCores)
      .filter(([g, v]) => v > 0 || g === 'mediasoup worker')
      .map(([g, v]) => `${g} ${v}`)
      .join(', ');
  const layers = r.sent?.layers?.map((l) => `${l.rid ?? '?'} ${l.frameWidth} px`).join(', ');
  const table = [
    `| glass to glass, ${CLIP_WIDTH}x${CLIP_HEIGHT} ${CLIP_FPS} fps Y4M camera, ${settings.viewport.width}x${settings.viewport.height} viewer window | frames matched (shown/s) | p50 ms | p95 ms | p99 ms | max ms | captured → received p50 / p95 ms | received → shown p50 / p95 ms | frames shown (codec) |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---|`,
    row(sfu),
    row(baseline),
    `| what the SFU path adds (difference) | | ${diff('p50') ?? '–'} | ${diff('p95') ?? '–'} | ${diff('p99') ?? '–'} | | | | |`,
    '',
    `- Target: p95 ≤ ${settings.target.maxP95Ms} ms through the SFU: ${met ? 'met' : 'missed'}; p95 ratio SFU / direct loopback: ${ratio ?? '–'}`,
    `- Captured = the frame's capture timestamp from the camera track the studio page sends (VideoFrame.timestamp through MediaStreamTrackProcessor, put on the wall clock; ` +
      `frames reached script p50/p95/max ${cell(sfu.readLag, 'p50')}/${cell(sfu.readLag, 'p95')}/${cell(sfu.readLag, 'max')} ms after it, a wait not counted); ` +
      `presented = requestVideoFrameCallback's expectedDisplayTime on the viewer's video element ` +
      `(at the callback itself, p50/p95: SFU ${cell(sfu.toCallback, 'p50')}/${cell(sfu.toCallback, 'p95')} ms, direct ${cell(baseline.toCallback, 'p50')}/${cell(baseline.toCallback, 'p95')} ms); ` +
      `received = WebRTC's receiveTime of the frame's last packet. Cross-check, the viewer's own capture-time estimate (RTCP sender reports): ` +
      `p50/p95 SFU ${cell(sfu.byReceiverEstimate, 'p50')}/${cell(sfu.byReceiverEstimate, 'p95')} ms, direct ${cell(baseline.byReceiverEstimate, 'p50')}/${cell(baseline.byReceiverEstimate, 'p95')} ms`,
    `- SFU path: the studio page went live with its simulcast camera (${layers ?? 'layers unknown'}) and microphone; the watch page, its video shown at ${r.shown.width}x${r.shown.height} CSS px, received ${r.received ? `${r.received.frameWidth}x${r.received.frameHeight}` : '?'}; ` +
      `${sfu.toDisplay?.n ?? 0} frames matched of ${sfu.captured} captured in ${settings.seconds} s; unreadable codes: ${sfu.unreadable.capture} captured, ${sfu.unreadable.present} shown; unmatched: ${sfu.unmatched}`,
    `- Baseline: one camera layer (${r.baselineLayer.scaleResolutionDownBy === 1 ? 'full size' : `1/${r.baselineLayer.scaleResolutionDownBy} size`}, ${r.baselineLayer.maxBitrate / 1000} kbps), ${baseline.codec ?? '?'}, ` +
      `and the microphone in the same stream, played (${r.baselineAudioPackets} audio packets), from one RTCPeerConnection to another in one page, ${settings.baselineSeconds} s; ` +
      `${baseline.toDisplay?.n ?? 0} frames matched; unreadable: ${baseline.unreadable.capture} captured, ${baseline.unreadable.present} shown; unmatched: ${baseline.unmatched}. It encodes one layer where the studio encodes three`,
    `- Load: load average ${r.before.loadAverage.join(' / ')} (1/5/15 min) before the run, ${sfu.window.loadAverage.join(' / ')} after the SFU phase, ${baseline.window.loadAverage.join(' / ')} after the baseline; ` +
      `cores busy (whole machine) ${sfu.window.busyCores ?? '?'} of ${m.nproc} during the SFU phase, ${baseline.window.busyCores ?? '?'} during the baseline`,
    ...[sfu, baseline].map(
      (p) =>
        `- Receiver, ${p === sfu ? 'watch page' : 'baseline'}: video jitter buffer ${p.receiver.videoJitterBufferMs} ms a frame (target ${p.receiver.videoTargetDelayMs}, ` +
        `${p.receiver.videoMinimumDelayMs} without lip sync), decode ${p.receiver.decodeMsPerFrame} ms, first packet → decoded ${p.receiver.processingMsPerFrame} ms; ` +
        `audio jitter buffer ${p.receiver.audioJitterBufferMs} ms; video frames dropped ${p.receiver.framesDropped}, freezes ${p.receiver.freezes}, ` +
        `packets lost ${p.receiver.packetsLost}, NACKs ${p.receiver.nacks}, PLIs ${p.receiver.plis}` +
        (p === sfu ? ` (and ${p.receiver.probatorPlis} on mediasoup-client's probator, padding only, which mediasoup drops)` : '') +
        `; the sender's encoder was asked for ${p.receiver.encoderKeyFrameRequests} key frames (PLI + FIR, all layers) and encoded ${p.receiver.keyFramesEncoded}`,
    ),
    `- CPU during the SFU phase, cores: ${cores(sfu.window)}; during the baseline: ${cores(baseline.window)}`,
    `- Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, Chromium ${process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'} headless, all on loopback; ` +
      `clocks: Date.now() − (timeOrigin + now()) ${r.skew.map((s) => Math.round(s * 10) / 10).join(' / ')} ms on the studio / watch page`,
    `- Database: FerretDB 1.24.2 embedded on SQLite (Lectern's default), NODE_ENV=production, one mediasoup worker; the database is not on the media path`,
    `- Date: ${new Date().toISOString()}`,
  ].join('\n');
  process.stdout.write(`\n${table}\n`);
  if (r.problems.length) log(`page errors: ${r.problems.slice(0, 5).join(' | ')}`);
  void mkdir(resultsDir, { recursive: true }).then(async () => {
    await writeFile(
      path.join(resultsDir, 'latency.json'),
      JSON.stringify({ settings, machine: m, source: sourceState(), ...r, table }, null, 2),
    );
    await writeFile(path.join(resultsDir, 'latency.md'), `${table}\n`);
  });
  if (!met) process.exitCode = 1;
}
