import type { Transport } from 'mediasoup/types';
import type { Browser, Page } from 'playwright-core';
import type { Lectern } from '../../server/main';
import { Api, cast } from './api';
import { launchChromium, signInPage, waitForHooks } from './browser';
import { NetNamespace } from './netns';
import { hook } from './page-session';

// A lecturer and a viewer on a real network path, shared by test/e2e/network.test.ts (ICE
// restart) and bench/weaklink.ts (adaptation on a weak link). The lecturer's and the viewer's
// Chromium each run in a network namespace of their own, joined to this machine by a veth pair,
// and Lectern (HTTP and media) listens on the viewer's pair: whatever is done to a pair (a rate
// limit with tc, a cut with iptables) happens to the real packets. No vitest here: the bench
// runs outside it.

export interface Stream {
  source: 'camera' | 'mic' | 'screen';
  kind: 'audio' | 'video';
  frames: number;
  frameWidth: number;
  frameHeight: number;
  packets: number;
  bytes: number;
}

export { hook };

export async function camera(page: Page): Promise<Stream | undefined> {
  return (await hook<Stream[]>(page, 'stats')).find((s) => s.source === 'camera');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Sample {
  /** Milliseconds since the sampling began. */
  t: number;
  frames: number;
  height: number;
  bytes: number;
}

/** Samples the viewer's decoded camera every `everyMs` until `until` says so: frames and bytes so far, decoded height. */
export async function sample(page: Page, from: number, everyMs: number, until: (s: Sample) => boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (;;) {
    const c = await camera(page);
    const s = { t: Date.now() - from, frames: c?.frames ?? 0, height: c?.frameHeight ?? 0, bytes: c?.bytes ?? 0 };
    samples.push(s);
    if (until(s)) return samples;
    await sleep(everyMs);
  }
}

/** Polls outside a test (expect.poll works only inside one). */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Frames decoded per second between two samples. */
export function fps(a: Sample, b: Sample): number {
  return ((b.frames - a.frames) * 1000) / (b.t - a.t);
}

/** kbit/s received between two samples. */
export function kbit(a: Sample, b: Sample): number {
  return Math.round(((b.bytes - a.bytes) * 8) / (b.t - a.t));
}

export interface SentLayer {
  height: number;
  kbit: number;
  resentKbit: number;
  targetKbit: number;
  keyFrames: number;
  pli: number;
}

/**
 * What the studio sends per simulcast layer over `ms`: height and kbit/s, retransmissions aside.
 * The lowest layer's figure includes the padding Chromium sends on its RTX stream while the
 * camera's picture encodes below what the layers may use (README, "Adaptation on a weak link"):
 * for the fake camera ~450 kbit/s of it on 180p, none on 360p and 720p, which is what the bench reads.
 */
export async function sentLayers(page: Page, ms: number): Promise<SentLayer[]> {
  type Layer = { frameHeight: number; bytes: number; retransmittedBytes: number; targetBitrate: number; keyFrames: number; pli: number };
  const read = async () =>
    (await hook<Array<{ source: string; layers?: Layer[] }>>(page, 'stats')).find((s) => s.source === 'camera')!.layers!;
  const a = await read();
  await sleep(ms);
  const b = await read();
  // Retransmissions apart; Chromium's padding on the lowest layer is not (its stats count it as media).
  return b.map((l, i) => ({
    height: l.frameHeight,
    kbit: Math.round(((l.bytes - l.retransmittedBytes - (a[i]!.bytes - a[i]!.retransmittedBytes)) * 8) / ms),
    resentKbit: Math.round(((l.retransmittedBytes - a[i]!.retransmittedBytes) * 8) / ms),
    targetKbit: Math.round(l.targetBitrate / 1000),
    keyFrames: l.keyFrames - a[i]!.keyFrames,
    pli: l.pli - a[i]!.pli,
  }));
}

/** mediasoup's bandwidth estimate for the viewer's receive transport, and its layer changes, as they happen. */
export async function traceBwe(app: Lectern, seminarId: string) {
  /** `type`: whose feedback the estimate comes from ('transport-cc' from the viewer's TWCC, or 'remb'). */
  const events: Array<{ t: number; available: number; desired: number; type: string }> = [];
  const room = (await app.rooms.peek(seminarId))!;
  // mediasoup's own test accessor: the room keeps its transports private, as it should.
  const all = (room.origin as unknown as { transportsForTesting: Map<string, Transport> }).transportsForTesting;
  const transports = [...all.values()].filter((t) => (t.appData as { direction?: string }).direction === 'recv');
  const listener = (e: { type: string; info: { bweType?: string; availableBitrate?: number; desiredBitrate?: number } }) => {
    if (e.type === 'bwe')
      events.push({
        t: Date.now(),
        available: e.info.availableBitrate ?? 0,
        desired: e.info.desiredBitrate ?? 0,
        type: e.info.bweType ?? '?',
      });
  };
  /** The video consumer's spatial layer as mediasoup changes it; null: it forwards no layer at all. */
  const layers: Array<{ t: number; spatial: number | null }> = [];
  const onLayers = (l: { spatialLayer: number } | null) => layers.push({ t: Date.now(), spatial: l ? l.spatialLayer : null });
  const consumers: Array<{ off(e: string, f: unknown): void }> = [];
  for (const t of transports) {
    await t.enableTraceEvent(['bwe']);
    t.on('trace', listener as never);
    for (const c of ((t as unknown as { consumers: Map<string, any> }).consumers ?? new Map()).values())
      if (c.kind === 'video') {
        c.on('layerschange', onLayers);
        consumers.push(c);
      }
  }
  return {
    events,
    layers,
    stop: () => {
      transports.forEach((t) => t.off('trace', listener as never));
      consumers.forEach((c) => c.off('layerschange', onLayers));
    },
  };
}

export interface NetworkScene {
  viewerNet: NetNamespace;
  lecturerNet: NetNamespace;
  app: Lectern;
  /** Lectern's address as both browsers reach it. */
  base: string;
  /** The media server's UDP and TCP ports: what a cut of the media path blocks. */
  mediaPorts: number[];
  studio: Page;
  viewer: Page;
  seminarId: string;
  consoleLog: string[];
  /** Uncaught page errors, `name: message`. */
  problems: string[];
  /** Closes the viewer's page and opens a new one (a new join), back at 720p; `viewer` is then the new page. */
  reopenViewer(): Promise<void>;
  /** Closes the browsers, stops Lectern and removes the namespaces. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Two namespaces, Lectern listening on the viewer's pair (started by `startApp` with the env it
 * is given), a scheduled seminar, the studio live with three simulcast layers, and the viewer
 * decoding the top one (720p). On failure, whatever was made is closed again.
 */
/**
 * `waitFor: 'top'` (the weak-link benchmark) starts once the viewer decodes the 720p layer;
 * `'frames'` (the ICE-restart test) once it decodes any: how fast mediasoup's estimate climbs
 * to 720p on a loaded machine is the benchmark's question, not that test's.
 */
export async function startNetworkScene(
  startApp: (env: NodeJS.ProcessEnv) => Promise<Lectern>,
  opts: { waitFor: 'top' | 'frames' } = { waitFor: 'top' },
): Promise<NetworkScene> {
  const browsers: Browser[] = [];
  const made: { viewerNet?: NetNamespace; lecturerNet?: NetNamespace; app?: Lectern } = {};
  const close = async () => {
    for (const b of browsers.splice(0)) await b.close().catch(() => undefined);
    await made.app?.stop();
    made.app = undefined;
    await Promise.all([made.viewerNet?.destroy(), made.lecturerNet?.destroy()]);
  };
  try {
    const [viewerNet, lecturerNet] = await Promise.all([NetNamespace.create(), NetNamespace.create()]);
    Object.assign(made, { viewerNet, lecturerNet });
    // The lecturer's namespace reaches Lectern's address (on the viewer's pair) through this machine.
    await lecturerNet.inside('ip', 'route', 'add', 'default', 'via', lecturerNet.hostAddress);
    const app = await startApp({ HOST: viewerNet.hostAddress, MEDIASOUP_LISTEN_IP: viewerNet.hostAddress });
    made.app = app;
    const base = `http://${viewerNet.hostAddress}:${new URL(app.url).port}`;
    const mediaPorts = app.pool.ports().flatMap((p) => [p.udp, p.tcp]);
    // Not localhost: the camera needs the origin treated as secure.
    const secure = [`--unsafely-treat-insecure-origin-as-secure=${base}`];
    const cameraFile = process.env.CAMFILE;
    browsers.push(
      await launchChromium('media', {
        executablePath: await lecturerNet.chromiumInside(),
        args: [...secure, ...(cameraFile ? [`--use-file-for-fake-video-capture=${cameraFile}`] : [])],
      }),
    );
    browsers.push(await launchChromium('media', { executablePath: await viewerNet.chromiumInside(), args: secure }));

    const api = Api.of(app, base);
    const people = await cast(api);
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Сеть и мобильные зрители', track: 'ops', startsAt: '2030-03-01T18:30', durationMinutes: 60, capacity: 10 },
    });
    if (created.status !== 201) throw new Error(`create seminar: ${created.status} ${created.text}`);
    const seminarId = created.body.id as string;
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${seminarId}/registration`, { token: people.learner.token });

    // Two minutes: on a loaded machine mediasoup's estimate climbs to 720p in well over one.
    const atTop = (viewer: Page) =>
      until(async () => (await camera(viewer))?.frameHeight === 720, 'the viewer to decode the top layer', 120_000).catch(
        async (err: Error) => {
          throw new Error(
            `${err.message}: viewer ${JSON.stringify(await camera(viewer))}, studio ${JSON.stringify(await hook(studio, 'stats'))}`,
          );
        },
      );
    const consoleLog: string[] = [];
    const problems: string[] = [];
    const open = async (browser: Browser, name: string, url: string, token: string) => {
      // A full-HD window: the watch page asks for the layer that fits the size its video is shown
      // at (media/peer.ts spatialLayerFor), and beside its side panel a 1280x720 window shows it
      // about 875x501, which asks for 360p: the viewer could then never reach 720p.
      const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
      page.on('console', (m) => consoleLog.push(`${new Date().toISOString()} ${name} ${m.type()}: ${m.text()}`));
      page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
      await signInPage(page, token);
      await page.goto(url);
      await waitForHooks(page);
      return page;
    };
    const studio = await open(browsers[0]!, 'studio', `${base}/studio/${seminarId}`, people.lecturer.token);
    const viewerUrl = `${base}/watch/${seminarId}`;
    const viewer = await open(browsers[1]!, 'viewer', viewerUrl, people.learner.token);
    for (const page of [studio, viewer]) await until(async () => (await hook(page, 'state')) === 'joined', 'both pages to join');
    await studio.click('[data-testid=go-live]');
    // Three simulcast layers leave the studio, and the viewer decodes the top one.
    await until(async () => {
      const sent = await hook<Array<{ source: string; layers?: Array<{ frames: number }> }>>(studio, 'stats');
      return sent.find((s) => s.source === 'camera')?.layers?.filter((l) => l.frames > 0).length === 3;
    }, 'three simulcast layers from the studio');
    if (opts.waitFor === 'top') await atTop(viewer);
    else await until(async () => ((await camera(viewer))?.frames ?? 0) > 0, 'the viewer to decode frames');
    const scene: NetworkScene = {
      viewerNet,
      lecturerNet,
      app,
      base,
      mediaPorts,
      studio,
      viewer,
      seminarId,
      consoleLog,
      problems,
      close,
      async reopenViewer() {
        await scene.viewer.context().close();
        scene.viewer = await open(browsers[1]!, 'viewer', viewerUrl, people.learner.token);
        await until(async () => (await hook(scene.viewer, 'state')) === 'joined', 'the viewer to join again');
        await atTop(scene.viewer);
      },
    };
    return scene;
  } catch (err) {
    await close();
    throw err;
  }
}
