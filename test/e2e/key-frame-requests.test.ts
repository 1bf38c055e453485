import dgram from 'node:dgram';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { launchChromium, signInPage, waitForHooks } from '../support/browser';
import { hook, scheduledSeminar } from '../support/page-session';

// A crowd's key-frame requests reach the lecturer's browser at most once per layer each
// KEY_FRAME_REQUEST_DELAY_MS, however often viewers ask. The test runs at 1000 ms (Lectern's
// default is 500), where the bound is clearly below what mediasoup passes without a delay (6
// in 3 s: it holds requests while a key frame is on its way). Each joining viewer, layer
// switch and loss asks, and every key frame the encoder makes costs the lecturer's uplink
// several normal frames. mediasoup counts the PLIs it sends the lecturer (the producer's
// pliCount), so this reads what the browser was really asked.

const poll = { timeout: 60_000, interval: 250 };
const ASKING_MS = 3000;

describe('key-frame requests to the lecturer', () => {
  let app: Lectern;
  let browser: Browser;
  const sink = dgram.createSocket('udp4');

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp('e2e_key_frames', { KEY_FRAME_REQUEST_DELAY_MS: '1000' }), launchChromium('media')]);
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  }, 120_000);

  afterAll(async () => {
    sink.close();
    await browser?.close();
    await app?.stop();
  });

  async function open(url: string, token: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await signInPage(page, token);
    await page.goto(url);
    await waitForHooks(page);
    return page;
  }

  it('passes at most about one request a second per layer to the camera, while viewers ask every 50 ms', async () => {
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Ключевые кадры', track: 'ops', startsAt: '2030-03-01T18:30', durationMinutes: 60, capacity: 10 },
      [],
    );
    const studio = await open(`${app.url}/studio/${seminarId}`, people.lecturer.token);
    await expect.poll(() => hook(studio, 'state'), poll).toBe('joined');
    await studio.click('[data-testid=go-live]');

    const room = await app.rooms.get(seminarId);
    await expect.poll(() => room.listProducers().some((p) => p.source === 'camera'), poll).toBe(true);
    const camera = room.listProducers().find((p) => p.source === 'camera')!;
    const producer = room.peer(camera.peerId)!.producer(camera.producerId);
    // Every layer sending first, so each one's stream (and its PLI count) exists.
    await expect.poll(async () => (await producer.getStats()).filter((s) => s.packetCount > 0).length, poll).toBe(3);

    // Four receivers that want key frames all the time, on a transport sending to a socket that drops it all.
    const out = await room.origin.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
    await out.connect({ ip: '127.0.0.1', port: sink.address().port });
    const consumers = await Promise.all(
      Array.from({ length: 4 }, () => out.consume({ producerId: camera.producerId, rtpCapabilities: room.rtpCapabilities })),
    );
    await new Promise((r) => setTimeout(r, 1500));

    // PLIs mediasoup sent the lecturer, per layer (one stream each).
    const plis = async () => new Map((await producer.getStats()).map((st) => [st.rid ?? String(st.ssrc), st.pliCount]));
    const before = await plis();
    let asked = 0;
    const started = Date.now();
    // At least ASKING_MS and at least 160 requests: on a loaded machine each round trip to the
    // worker is slower (one CI run got 88 in 3 s), and the bound below grows with the time taken.
    while ((Date.now() - started < ASKING_MS || asked < 160) && Date.now() - started < 30_000) {
      await Promise.all(consumers.map((c) => c.requestKeyFrame()));
      asked += consumers.length;
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsedMs = Date.now() - started;
    const after = await plis();
    out.close();
    const passed = [...after].map(([layer, n]) => ({ layer, plis: n - (before.get(layer) ?? 0) }));
    console.log(`key-frame requests: ${asked} asked in ${elapsedMs} ms; PLIs to the lecturer per layer: ${JSON.stringify(passed)}`);

    // The receivers ask for the layer they get (the lowest here). One request at once, then one
    // a second at most per layer: ≤ 4 in 3 s and a little of asking. Without the delay the
    // same asking passed 6: mediasoup already holds requests while a key frame is on its way.
    expect(asked).toBeGreaterThan(150);
    expect(passed.reduce((n, p) => n + p.plis, 0)).toBeGreaterThan(0);
    for (const p of passed) expect(p.plis, `layer ${p.layer}`).toBeLessThanOrEqual(Math.floor(elapsedMs / 1000) + 1);
  }, 180_000);
});
