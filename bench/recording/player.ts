// The real player's latency: Debian's Chromium (playwright-core, never a downloaded browser) plays
// the learner's live playlist with hls.js, and reads the burned-in capture time (stamp.ts) off
// each frame it presents (requestVideoFrameCallback → canvas → the 40 blocks):
// latency = Date.now() at presentation − capture time. Same machine, same clock.
//
// hls.js is not a dependency of Lectern: it is used where it resolves (a devDependency), or from
// BENCH_HLSJS (a path to dist/hls.min.js); otherwise this part is skipped. The page is served by a
// small server here that also forwards /media/ to Lectern, so the page and the playlist share
// an origin (no CORS); the forwarding adds well under a millisecond on loopback.
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BITS, STRIP_H, WIDTH } from './stamp';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function findHlsJs(): string | undefined {
  if (process.env.BENCH_HLSJS) return process.env.BENCH_HLSJS;
  try {
    return createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
  } catch {
    return undefined;
  }
}

export async function hlsJsVersion(file: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  return /version["']?\s*[:=]\s*["'](\d+\.\d+\.\d+[^"']*)["']/.exec(text)?.[1] ?? /"(1\.\d+\.\d+)"/.exec(text)?.[1] ?? 'unknown';
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>recording bench player</title>
<video id="v" muted autoplay playsinline width="${WIDTH}" height="720"></video>
<canvas id="c" width="${WIDTH}" height="${STRIP_H}"></canvas>
<script src="/hls.min.js"></script>
<script>
const BITS = ${BITS}, W = ${WIDTH}, H = ${STRIP_H}, MOD = 2 ** ${BITS};
const video = document.getElementById('v');
const ctx = document.getElementById('c').getContext('2d', { willReadFrequently: true });
let samples = [], unreadable = 0, stalls = 0, hlsLatency = [], errors = [];
function stamp() {
  ctx.drawImage(video, 0, 0, W, H, 0, 0, W, H);
  const px = ctx.getImageData(0, 0, W, H).data;
  let v = 0;
  for (let i = 0; i < BITS; i++) {
    let sum = 0, n = 0;
    for (let y = 14; y < H - 14; y += 2) for (let x = i * (W / BITS) + 8; x < (i + 1) * (W / BITS) - 8; x += 2) { sum += px[(y * W + x) * 4 + 1]; n++; }
    const mean = sum / n;
    if (mean > 70 && mean < 185) return undefined;
    v = v * 2 + (mean >= 128 ? 1 : 0);
  }
  const now = Date.now();
  const t = now - ((((now - v) % MOD) + MOD) % MOD);
  return now - t <= 60000 && now - t >= -5 ? t : undefined;
}
function onFrame() {
  const now = Date.now();
  const t = stamp();
  if (t === undefined) unreadable++; else samples.push(now - t);
  video.requestVideoFrameCallback(onFrame);
}
window.benchPlay = (url, config) => {
  const hls = new Hls(config);
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, d) => errors.push(d.type + ':' + d.details + (d.fatal ? ':fatal' : '')));
  hls.loadSource(url);
  hls.attachMedia(video);
  video.addEventListener('waiting', () => stalls++);
  video.requestVideoFrameCallback(onFrame);
  setInterval(() => { if (hls.latency) hlsLatency.push(hls.latency * 1000); }, 500);
  video.play().catch((e) => errors.push('play:' + e.message));
};
window.benchTake = () => {
  const out = { samples, unreadable, stalls, hlsLatency, errors, currentTime: video.currentTime, playing: !video.paused };
  samples = []; unreadable = 0; stalls = 0; hlsLatency = []; errors = [];
  return out;
};
window.benchCodecs = () => MediaSource.isTypeSupported('video/mp4; codecs="avc1.42e01f,mp4a.40.2"');
</script>`;

export interface PlayerSample {
  latenciesMs: number[];
  unreadable: number;
  stalls: number;
  /** hls.js' own estimate of its distance to the live edge (hls.latency), ms. */
  hlsJsLatencyMs: number[];
  errors: string[];
}

export interface PlayerBench {
  /** Plays the playlist (a path on Lectern, e.g. /media/…/index.m3u8) until take(). */
  open(playlistPath: string, config: Record<string, unknown>): Promise<{ take(): Promise<PlayerSample>; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startPlayerBench(lecternUrl: string, hlsJsFile: string): Promise<PlayerBench> {
  const hlsJs = await readFile(hlsJsFile);
  const target = new URL(lecternUrl);
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/' || url.startsWith('/?')) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    if (url === '/hls.min.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    if (!url.startsWith('/media/')) return void res.writeHead(404).end();
    const upstream = request(
      { host: target.hostname, port: target.port, path: url, method: req.method, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio',
    ],
  });
  return {
    async open(playlistPath, config) {
      const page: Page = await browser.newPage();
      await page.goto(pageUrl);
      if (!(await page.evaluate(() => (globalThis as any).benchCodecs())))
        throw new Error('this Chromium cannot play H.264/AAC through MSE');
      await page.evaluate(([url, cfg]) => (globalThis as any).benchPlay(url, cfg), [playlistPath, config] as const);
      return {
        async take() {
          const r = await page.evaluate(() => (globalThis as any).benchTake());
          return { latenciesMs: r.samples, unreadable: r.unreadable, stalls: r.stalls, hlsJsLatencyMs: r.hlsLatency, errors: r.errors };
        },
        close: () => page.close(),
      };
    },
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
