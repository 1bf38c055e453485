import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Transport } from 'mediasoup/types';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium } from '../support/browser';
import { NetNamespace } from '../support/netns';

// Viewers on a real network path. The lecturer's and the viewer's Chromium each run
// in a network namespace of their own, joined to this machine by a veth pair, and
// Lectern (HTTP and media) listens on the viewer's pair: whatever the test does to a
// pair (a rate limit with tc, a cut with iptables) happens to the real packets.

interface Stream {
  source: 'camera' | 'mic' | 'screen';
  kind: 'audio' | 'video';
  frames: number;
  frameWidth: number;
  frameHeight: number;
  packets: number;
  bytes: number;
}

function hook<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([n, a]) => (globalThis as any).lectern[n](...a), [name, args] as const) as Promise<T>;
}

async function camera(page: Page): Promise<Stream | undefined> {
  return (await hook<Stream[]>(page, 'stats')).find((s) => s.source === 'camera');
}

const poll = { timeout: 60_000, interval: 250 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  /** Milliseconds since the sampling began. */
  t: number;
  frames: number;
  height: number;
  bytes: number;
}

/** Samples the viewer's decoded camera every `everyMs` until `until` says so: frames and bytes so far, decoded height. */
async function sample(page: Page, from: number, everyMs: number, until: (s: Sample) => boolean): Promise<Sample[]> {
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
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Frames decoded per second between two samples. */
function fps(a: Sample, b: Sample): number {
  return ((b.frames - a.frames) * 1000) / (b.t - a.t);
}

/** kbit/s received between two samples. */
function kbit(a: Sample, b: Sample): number {
  return Math.round(((b.bytes - a.bytes) * 8) / (b.t - a.t));
}

describe('viewers on a real network path', () => {
  let viewerNet: NetNamespace;
  let lecturerNet: NetNamespace;
  let app: Lectern;
  let base: string;
  let mediaPorts: number[];
  const browsers: Browser[] = [];
  let studio: Page;
  let viewer: Page;
  const consoleLog: string[] = [];
  const problems: string[] = [];
  const figures: Record<string, unknown> = {};
  let seminarId = '';

  /** What the studio sends per simulcast layer over `ms`: height and kbit/s of media (padding and retransmissions aside). */
  async function sentLayers(
    page: Page,
    ms: number,
  ): Promise<Array<{ height: number; kbit: number; resentKbit: number; targetKbit: number; keyFrames: number; pli: number }>> {
    type Layer = { frameHeight: number; bytes: number; retransmittedBytes: number; targetBitrate: number; keyFrames: number; pli: number };
    const read = async () =>
      (await hook<Array<{ source: string; layers?: Layer[] }>>(page, 'stats')).find((s) => s.source === 'camera')!.layers!;
    const a = await read();
    await sleep(ms);
    const b = await read();
    // kbit counts only first transmissions: resent bytes (retransmissions, padding) are apart.
    return b.map((l, i) => ({
      height: l.frameHeight,
      kbit: Math.round(((l.bytes - l.retransmittedBytes - (a[i]!.bytes - a[i]!.retransmittedBytes)) * 8) / ms),
      resentKbit: Math.round(((l.retransmittedBytes - a[i]!.retransmittedBytes) * 8) / ms),
      targetKbit: Math.round(l.targetBitrate / 1000),
      keyFrames: l.keyFrames - a[i]!.keyFrames,
      pli: l.pli - a[i]!.pli,
    }));
  }

  /** mediasoup's bandwidth estimate for the viewer's receive transport, as it changes. */
  async function traceBwe() {
    const events: Array<{ t: number; available: number }> = [];
    const room = (await app.rooms.peek(seminarId))!;
    // mediasoup's own test accessor: the room keeps its transports private, as it should.
    const all = (room.origin as unknown as { transportsForTesting: Map<string, Transport> }).transportsForTesting;
    const transports = [...all.values()].filter((t) => (t.appData as { direction?: string }).direction === 'recv');
    const listener = (e: { info: { availableBitrate?: number } }) =>
      events.push({ t: Date.now(), available: e.info.availableBitrate ?? 0 });
    const layers: Array<{ t: number; layers: unknown }> = [];
    for (const t of transports) {
      await t.enableTraceEvent(['bwe']);
      t.on('trace', listener as never);
      for (const c of ((t as unknown as { consumers: Map<string, any> }).consumers ?? new Map()).values())
        if (c.kind === 'video') c.on('layerschange', (l: unknown) => layers.push({ t: Date.now(), layers: l }));
    }
    return { events, layers, stop: () => transports.forEach((t) => t.off('trace', listener as never)) };
  }

  beforeAll(async () => {
    [viewerNet, lecturerNet] = await Promise.all([NetNamespace.create(), NetNamespace.create()]);
    // The lecturer's namespace reaches Lectern's address (on the viewer's pair) through this machine.
    await lecturerNet.inside('ip', 'route', 'add', 'default', 'via', lecturerNet.hostAddress);
    app = await startTestApp('e2e_network', { HOST: viewerNet.hostAddress, MEDIASOUP_LISTEN_IP: viewerNet.hostAddress });
    base = `http://${viewerNet.hostAddress}:${new URL(app.url).port}`;
    mediaPorts = app.pool.ports().flatMap((p) => [p.udp, p.tcp]);
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

    const api = new Api(base);
    const people = await cast(api);
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Сеть и мобильные зрители', track: 'ops', startsAt: '2030-03-01T18:30', durationMinutes: 60, capacity: 10 },
    });
    seminarId = created.body.id;
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${seminarId}/registration`, { token: people.learner.token });

    const open = async (browser: Browser, name: string, url: string) => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
      page.on('console', (m) => consoleLog.push(`${new Date().toISOString()} ${name} ${m.type()}: ${m.text()}`));
      page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
      await page.goto(url);
      await page.waitForFunction(() => 'lectern' in globalThis, null, { timeout: 30_000 });
      return page;
    };
    studio = await open(browsers[0]!, 'studio', `${base}/studio/${seminarId}#token=${people.lecturer.token}`);
    viewer = await open(browsers[1]!, 'viewer', `${base}/watch/${seminarId}#token=${people.learner.token}`);
    for (const page of [studio, viewer]) await until(async () => (await hook(page, 'state')) === 'joined', 'both pages to join');
    await studio.click('[data-testid=go-live]');
    // Three simulcast layers leave the studio, and the viewer decodes the top one.
    await until(async () => {
      const sent = await hook<Array<{ source: string; layers?: Array<{ frames: number }> }>>(studio, 'stats');
      return sent.find((s) => s.source === 'camera')?.layers?.filter((l) => l.frames > 0).length === 3;
    }, 'three simulcast layers from the studio');
    await until(async () => (await camera(viewer))?.frameHeight === 720, 'the viewer to decode the top layer').catch(async (err: Error) => {
      throw new Error(
        `${err.message}: viewer ${JSON.stringify(await camera(viewer))}, studio ${JSON.stringify(await hook(studio, 'stats'))}`,
      );
    });
  }, 180_000);

  afterAll(async () => {
    await writeFile(path.join(artifacts, 'network-figures.json'), JSON.stringify(figures, null, 2)).catch(() => undefined);
    for (const b of browsers) await b.close().catch(() => undefined);
    await app?.stop();
    await Promise.all([viewerNet?.destroy(), lecturerNet?.destroy()]);
  });

  const onFailure = () =>
    onTestFailed(async () => {
      await viewer?.screenshot({ path: path.join(artifacts, 'network-failed-viewer.png') }).catch(() => undefined);
      console.error(['page errors:', ...problems, 'console:', ...consoleLog.slice(-60)].join('\n'));
    });

  it('a viewer on a limited downlink drops to a lower simulcast layer within 5 s, keeps ≥ 90 % of its frames, and returns when the limit lifts', async () => {
    onFailure();
    // Steady at the top layer first, with the studio sending all three.
    let steady = await sample(viewer, Date.now(), 250, (s) => s.t >= 4000);
    for (let tries = 0; !steady.every((s) => s.height === 720) && tries < 10; tries++)
      steady = await sample(viewer, Date.now(), 250, (s) => s.t >= 4000);
    expect(steady.every((s) => s.height === 720)).toBe(true);
    const first = steady[0]!;
    const last = steady[steady.length - 1]!;
    const rateBefore = fps(first, last);
    const topKbit = kbit(first, last);
    const tx0 = await viewerNet.downlinkBytes();
    const layers = await sentLayers(studio, 3000);
    const linkKbit = Math.round((((await viewerNet.downlinkBytes()) - tx0) * 8) / 3000);
    const midKbit = layers.find((l) => l.height === 360)?.kbit ?? 0;
    // Between what the middle layer and what the top layer need (plus ~64 kbit/s of voice and RTCP):
    // the middle fits with room to spare, the top does not.
    const limitKbit = Math.round((midKbit + topKbit) / 2 + 64);
    console.log('sent layers', layers, 'top received', topKbit, 'link', linkKbit, 'limit', limitKbit);

    // At the top layer right when the limit comes, or the switch measured would be an earlier one.
    const topNow = async () => (await sample(viewer, Date.now(), 250, (s) => s.t >= 1500)).every((s) => s.height === 720);
    for (let tries = 0; !(await topNow()) && tries < 20; tries++);
    expect((await camera(viewer))?.frameHeight).toBe(720);
    const trace = await traceBwe();
    const limitedAt = Date.now();
    await viewerNet.limitDownlink(limitKbit, { latencyMs: Number(process.env.TBF_LATENCY ?? 100) });
    const switching = await sample(viewer, limitedAt, 100, (s) => (s.height > 0 && s.height < 720) || s.t > 15_000);
    const switchMs = switching[switching.length - 1]!.t;
    // Then a while on the lower layer.
    const lower = await sample(viewer, limitedAt, 250, (s) => s.t >= switchMs + 8000);
    const settled = lower.filter((s) => s.t >= switchMs + 1000);
    const rateLower = fps(settled[0]!, settled[settled.length - 1]!);
    const heightsLower = [...new Set(settled.map((s) => s.height))];
    // The studio still sends its top layer meanwhile: the viewer's link moved it down, not a
    // Chromium short of CPU that stopped encoding 720p for everyone (which the 2 cores here do under load).
    const topSentKbit = (await sentLayers(studio, 1000)).find((l) => l.height === 720)?.kbit ?? 0;

    // Still below the top layer when the limit lifts: a viewer probing back up to 720p through a
    // link that cannot carry it would lose frames, and "back to the top" would measure nothing.
    const heightAtLift = (await camera(viewer))?.frameHeight ?? 0;
    const liftedAt = Date.now();
    await viewerNet.liftDownlinkLimit();
    const back = await sample(viewer, liftedAt, 100, (s) => s.height === 720 || s.t > 30_000);
    const backMs = back[back.length - 1]!.t;
    trace.stop();

    figures.adaptation = {
      limitKbit,
      topKbit,
      midKbit,
      rateBefore,
      switchMs,
      heightsLower,
      topSentKbit,
      heightAtLift,
      rateLower,
      share: rateLower / rateBefore,
      backToTopMs: backMs,
    };
    console.log('adaptation', figures.adaptation);
    if (process.env.NETWORK_TRACE) {
      console.log('bwe', trace.events.map((e) => `${e.t - limitedAt}:${e.available}`).join(' '));
      console.log(
        'layerschange',
        trace.layers.map((e) => `${e.t - limitedAt}:${JSON.stringify(e.layers)}`).join(' '),
        'lifted at',
        liftedAt - limitedAt,
      );
      console.log('switching', switching.map((s) => `${s.t}:${s.height}:${s.frames}`).join(' '));
      console.log('lower', lower.map((s) => `${s.t}:${s.height}:${s.frames}:${Math.round(s.bytes / 125)}`).join(' '));
      console.log('back', back.map((s) => `${s.t}:${s.height}:${s.frames}`).join(' '));
    }
    expect(topSentKbit).toBeGreaterThan(100);
    expect(heightAtLift).toBeGreaterThan(0);
    expect(heightAtLift).toBeLessThan(720);
    expect(switchMs).toBeLessThanOrEqual(5000);
    expect(heightsLower.every((h) => h < 720)).toBe(true);
    expect(rateLower / rateBefore).toBeGreaterThanOrEqual(0.9);
    expect(back[back.length - 1]!.height).toBe(720);
  }, 180_000);

  it('a viewer whose media path is cut gets frames back within 5 s of it returning, through ICE restart, without a reload', async () => {
    onFailure();
    await expect.poll(async () => (await camera(viewer))?.frameHeight, poll).toBe(720);
    const restartsBefore = await hook<number>(viewer, 'iceRestarts');
    const socketId = await viewer.evaluate(() => (globalThis as any).lectern.joins());

    await viewerNet.block(mediaPorts);
    const blockedAt = Date.now();
    // Frames stop: nothing reaches the viewer any more.
    let last = (await camera(viewer))!.frames;
    await expect
      .poll(
        async () => {
          const now = (await camera(viewer))!.frames;
          const stalled = now === last;
          last = now;
          return stalled;
        },
        { timeout: 15_000, interval: 1000 },
      )
      .toBe(true);
    // The page noticed and restarts ICE while the path is down.
    await expect.poll(() => hook<number>(viewer, 'iceRestarts'), { timeout: 20_000, interval: 250 }).toBeGreaterThan(restartsBefore);
    await sleep(Math.max(0, 15_000 - (Date.now() - blockedAt)));

    const stalledAt = (await camera(viewer))!.frames;
    const restoredAt = Date.now();
    await viewerNet.unblock();
    const recovery = await sample(viewer, restoredAt, 100, (s) => s.frames > stalledAt || s.t > 20_000);
    const framesBackMs = recovery[recovery.length - 1]!.t;
    figures.iceRestartViewer = {
      blockedMs: restoredAt - blockedAt,
      framesBackMs,
      restarts: (await hook<number>(viewer, 'iceRestarts')) - restartsBefore,
    };
    console.log('viewer ICE restart', figures.iceRestartViewer);
    expect(framesBackMs).toBeLessThanOrEqual(5000);
    // The same page and join: no reload, no rejoin; and it keeps decoding.
    expect(await viewer.evaluate(() => (globalThis as any).lectern.joins())).toBe(socketId);
    expect(await hook(viewer, 'state')).toBe('joined');
    const now = (await camera(viewer))!.frames;
    await expect.poll(async () => (await camera(viewer))!.frames, poll).toBeGreaterThan(now + 30);
  }, 120_000);

  it("the studio's send transport recovers the same way: the viewer's frames come back within 5 s", async () => {
    onFailure();
    await expect.poll(async () => (await camera(viewer))?.frameHeight, poll).toBeGreaterThan(0);
    const restartsBefore = await hook<number>(studio, 'iceRestarts');
    await lecturerNet.block(mediaPorts);
    const blockedAt = Date.now();
    await expect.poll(() => hook<number>(studio, 'iceRestarts'), { timeout: 20_000, interval: 250 }).toBeGreaterThan(restartsBefore);
    await sleep(Math.max(0, 12_000 - (Date.now() - blockedAt)));

    const stalledAt = (await camera(viewer))!.frames;
    await sleep(1000);
    expect((await camera(viewer))!.frames).toBe(stalledAt);
    const restoredAt = Date.now();
    await lecturerNet.unblock();
    const recovery = await sample(viewer, restoredAt, 100, (s) => s.frames > stalledAt || s.t > 20_000);
    const framesBackMs = recovery[recovery.length - 1]!.t;
    figures.iceRestartStudio = {
      blockedMs: restoredAt - blockedAt,
      framesBackMs,
      restarts: (await hook<number>(studio, 'iceRestarts')) - restartsBefore,
    };
    console.log('studio ICE restart', figures.iceRestartStudio);
    expect(framesBackMs).toBeLessThanOrEqual(5000);
    expect(await hook(studio, 'joins')).toBe(1);
    expect(await hook(viewer, 'joins')).toBe(1);
    expect(problems).toEqual([]);
  }, 120_000);
});
