import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { TurnCredentials } from '../../server/live/turn';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, signInPage, waitForHooks } from '../support/browser';
import { Coturn } from '../support/coturn';
import { hook, scheduledSeminar } from '../support/page-session';

// TURN for viewers whose network lets nothing but a relay through: a local coturn
// with the REST-API shared secret, Lectern handing out time-limited credentials with
// each transport, and Chromium forced to relay only (TURN_FORCE_RELAY), so frames
// that arrive can only have come through coturn.

interface Stream {
  source: string;
  frames: number;
  candidateType: string | null;
}

const poll = { timeout: 60_000, interval: 250 };
const TTL_SECONDS = 600;

/**
 * What Chromium's ICE agent gets from coturn with these credentials, relay only:
 * the relay candidates it gathered and the errors coturn answered (icecandidateerror).
 */
async function gatherRelay(page: Page, server: { urls: string[]; username?: string; credential?: string }) {
  return page.evaluate(async (iceServer) => {
    // Runs in the page; this file is type-checked without the DOM's types.
    const pc = new (globalThis as any).RTCPeerConnection({ iceServers: [iceServer], iceTransportPolicy: 'relay' });
    const relays: string[] = [];
    const errors: Array<{ code: number; text: string }> = [];
    pc.addEventListener('icecandidate', (e: { candidate: { type: string; candidate: string } | null }) => {
      if (e.candidate?.type === 'relay') relays.push(e.candidate.candidate);
    });
    pc.addEventListener('icecandidateerror', (e: { errorCode: number; errorText: string }) =>
      errors.push({ code: e.errorCode, text: e.errorText }),
    );
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      const done = () => pc.iceGatheringState === 'complete' && resolve();
      pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 10_000);
      done();
    });
    pc.close();
    return { relays, errors };
  }, server);
}

describe('TURN relay', () => {
  let turn: Coturn;
  let app: Lectern;
  let browser: Browser;
  const pages: Page[] = [];
  const consoleLog: string[] = [];

  beforeAll(async () => {
    turn = await Coturn.start();
    [app, browser] = await Promise.all([
      startTestApp('e2e_turn', {
        TURN_URLS: turn.url,
        TURN_SECRET: turn.secret,
        TURN_CREDENTIAL_TTL_SECONDS: String(TTL_SECONDS),
        TURN_FORCE_RELAY: 'true',
      }),
      launchChromium('media'),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await turn?.stop();
  });

  async function open(name: string, url: string, token: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    pages.push(page);
    page.on('console', (m) => consoleLog.push(`${name} ${m.type()}: ${m.text()}`));
    await signInPage(page, token);
    await page.goto(url);
    await waitForHooks(page);
    return page;
  }

  it('a viewer forced to relay only decodes the lecturer through coturn, on credentials that expire', async () => {
    onTestFailed(async () => {
      for (const [i, page] of pages.entries())
        await page.screenshot({ path: path.join(artifacts, `turn-failed-${i}.png`) }).catch(() => undefined);
      console.error(['console:', ...consoleLog.slice(-40), 'coturn:', ...turn.log.slice(-40)].join('\n'));
    });
    const api = Api.of(app);
    const people = await cast(api);
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      { title: 'Только через TURN', track: 'ops', startsAt: '2030-03-01T18:30', durationMinutes: 60, capacity: 10 },
      [people.learner.token],
    );

    const studio = await open('studio', `${app.url}/studio/${seminarId}`, people.lecturer.token);
    const viewer = await open('viewer', `${app.url}/watch/${seminarId}`, people.learner.token);
    for (const page of [studio, viewer]) await expect.poll(() => hook(page, 'state'), poll).toBe('joined');
    const issuedAt = Date.now();
    await studio.click('[data-testid=go-live]');

    // Frames decoded, on a path whose local end is a relay candidate: through coturn, both ways.
    const camera = async (page: Page) => (await hook<Stream[]>(page, 'stats')).find((s) => s.source === 'camera');
    await expect.poll(async () => (await camera(viewer))?.frames ?? 0, poll).toBeGreaterThan(30);
    expect((await camera(viewer))!.candidateType).toBe('relay');
    expect((await camera(studio))!.candidateType).toBe('relay');

    // coturn allocated for each of them under the REST-API username <expiry>:<user id>,
    // the expiry TURN_CREDENTIAL_TTL_SECONDS ahead.
    const allocated = turn.log
      .map((l) => /user <(\d+):([0-9a-f]{24})>: incoming packet ALLOCATE processed, success/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(new Set(allocated.map((m) => m[2]))).toEqual(new Set([people.lecturer.id, people.learner.id]));
    for (const m of allocated) {
      expect(Number(m[1]) - Math.floor(issuedAt / 1000)).toBeGreaterThan(TTL_SECONDS - 60);
      expect(Number(m[1]) - Math.floor(issuedAt / 1000)).toBeLessThanOrEqual(TTL_SECONDS + 60);
    }

    // The same scheme with an expiry an hour ago: coturn answers 401 and relays nothing.
    const config = { urls: [turn.url], secret: turn.secret, credentialTtlSeconds: TTL_SECONDS, forceRelay: true };
    const expired = new TurnCredentials(config, () => Date.now() - 3_600_000).issue('expired-guest').iceServers[0]!;
    const refused = await gatherRelay(viewer, expired);
    expect(refused.relays).toEqual([]);
    expect(refused.errors.map((e) => e.code)).toContain(401);
    expect(turn.log.some((l) => l.includes(`user <${expired.username}>`) && /error 401/.test(l))).toBe(true);
    // …while the same secret with a current expiry gets a relay.
    const fresh = new TurnCredentials(config).issue('fresh-guest').iceServers[0]!;
    const granted = await gatherRelay(viewer, fresh);
    expect(granted.relays.length).toBeGreaterThan(0);
    expect(granted.errors).toEqual([]);
  }, 180_000);
});
