import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium } from '../support/browser';
import { hook, PageSession, scheduledSeminar } from '../support/page-session';

// The live room as its people use it, in Debian's Chromium with fake devices (three
// cameras, three microphones): the lecturer's participant list (a raised hand
// first, lower, remove, ban), a viewer invited on stage who accepts and is seen by
// another viewer, a mute the guest cannot undo, leaving the stage; the studio's
// device switches on the same producers, level meter, on-air time and chapter
// marker; after the end the watch page links to the replay. Everything is clicked
// in the pages; the server's state is read back to check it.

interface Stream {
  source: 'camera' | 'mic' | 'screen';
  kind: 'audio' | 'video';
  paused: boolean;
  userId?: string | null;
  packets: number;
  frames: number;
  audioEnergy: number;
}

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const shots = path.join(artifacts, 'stage');
const poll = { timeout: 60_000, interval: 250 };

/** A received stream of one user's source, from the page's stats. */
async function streamOf(page: Page, userId: string, source: Stream['source'], statsHook = 'stats'): Promise<Stream | undefined> {
  return (await hook<Stream[]>(page, statsHook)).find((s) => s.userId === userId && s.source === source);
}

/** Frames (or, for audio, packets) of a user's source keep arriving on the page: first some, then clearly more. */
async function expectFlowing(page: Page, userId: string, source: Stream['source'], statsHook = 'stats'): Promise<void> {
  const count = async () => {
    const s = await streamOf(page, userId, source, statsHook);
    return (source === 'mic' ? s?.packets : s?.frames) ?? 0;
  };
  await expect.poll(count, poll).toBeGreaterThan(0);
  const first = await count();
  await expect.poll(count, poll).toBeGreaterThan(first + (source === 'mic' ? 25 : 15));
  if (source !== 'mic') return;
  // Packets could be silence: the decoded sound's energy grows only with the fake microphone's beeps.
  const energy = async () => (await streamOf(page, userId, source, statsHook))?.audioEnergy ?? 0;
  const before = await energy();
  await expect.poll(energy, poll).toBeGreaterThan(before);
}

/**
 * Presses Tab until the focus is on `target`, as a keyboard user would get there, and checks
 * that the focus is visible. Fails when 150 presses do not reach it.
 */
async function tabTo(page: Page, target: Locator): Promise<void> {
  await page.evaluate(() => (globalThis as any).document.activeElement?.blur());
  for (let i = 0; i < 150; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === (globalThis as any).document.activeElement)) {
      expect(await target.evaluate((el) => (globalThis as any).getComputedStyle(el).outlineStyle)).toBe('solid');
      return;
    }
  }
  throw new Error(`the keyboard does not reach ${String(target)}`);
}

describe('the live room: participant list, guests on stage, the studio', () => {
  let app: Lectern;
  let browser: Browser;
  const session = new PageSession(
    () => browser,
    () => app.url,
    (name) => path.join(artifacts, `e2e-stage-failed-${name}.png`),
    { width: 1280, height: 800 },
  );
  const { problems } = session;

  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    [app, browser] = await Promise.all([startTestApp('e2e_stage'), launchChromium('media', { cameras: 3 })]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const open = (name: string, token: string, route: string) => session.open(name, token, route);

  /** A screenshot at 360 px and at 1280 px, no sideways scrolling at 360, and no serious axe-core violation. */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(shots, `${name}-1280.png`) });
    await page.setViewportSize({ width: 360, height: 800 });
    try {
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, `${name}-360.png`), fullPage: true });
      const overflow = await page.evaluate(() => {
        const w = globalThis as any;
        return { scroll: w.document.scrollingElement.scrollWidth as number, inner: w.innerWidth as number };
      });
      expect(overflow.scroll, `${name}: no horizontal scrolling at 360 px`).toBeLessThanOrEqual(overflow.inner);
      // Through the devtools protocol: the page's CSP refuses an inline script tag.
      if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(await readFile(axeSource, 'utf8'));
      const result = (await page.evaluate(() =>
        (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }),
      )) as { violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }> };
      const serious = result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(serious, name).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  }

  /** Switches the page's language with the header's toggle, in place. */
  async function toggleLanguage(page: Page, to: 'ru' | 'en'): Promise<void> {
    await page.getByTestId('lang').click();
    await expect.poll(() => page.getAttribute('html', 'lang'), poll).toBe(to);
  }

  const row = (studio: Page, user: TestUser) => studio.locator(`[data-testid=participant][data-user="${user.id}"]`);

  it('invite, accept, seen by others, mute holds, lifted, leave; hands, remove and ban; device switches; the recording link', async () => {
    session.dumpOnFailure(80, async () => {
      for (const [name, hookName] of [
        ['guest', 'stageStats'],
        ['audience', 'stats'],
        ['studio', 'stats'],
      ] as const) {
        const page = session.page(name);
        if (page && !page.isClosed()) console.error(name, JSON.stringify(await hook(page, hookName).catch((e: unknown) => String(e))));
      }
    });
    const api = Api.of(app);
    const people = await cast(api);
    const guest = await registerUser(api, { displayName: 'Ольга Гостева' });
    const audience = await registerUser(api, { displayName: 'Audience Member', locale: 'en' });
    const troll = await registerUser(api, { displayName: 'Тролль' });
    const seminarId = await scheduledSeminar(
      api,
      people.lecturer.token,
      {
        title: 'Вопросы предпринимателей в прямом эфире',
        track: 'finance',
        startsAt: '2030-05-01T18:00',
        durationMinutes: 60,
        capacity: 20,
      },
      [guest.token, audience.token, troll.token],
    );

    const studio = await open('studio', people.lecturer.token, `/studio/${seminarId}`);
    const guestPage = await open('guest', guest.token, `/watch/${seminarId}`);
    const watcher = await open('audience', audience.token, `/watch/${seminarId}?lang=en`);
    let trollPage = await open('troll', troll.token, `/watch/${seminarId}`);
    for (const page of [studio, guestPage, watcher, trollPage]) await expect.poll(() => hook(page, 'state'), poll).toBe('joined');

    // Before going live the video is the preview; then it is on air, with the elapsed time.
    expect(await studio.getByTestId('preview-label').textContent()).toBe('Предпросмотр');
    await expect.poll(() => studio.getByTestId('go-live').isEnabled(), poll).toBe(true);
    await studio.getByTestId('go-live').click();
    await expect.poll(() => hook(studio, 'onAir'), poll).toBe(true);
    await expect.poll(() => studio.getByTestId('on-air').textContent(), poll).toMatch(/^● В эфире · идёт запись \d+:\d\d$/);
    expect(await studio.getByTestId('preview-label').textContent()).toBe('В эфире');
    const lecturerId = people.lecturer.id;
    await expectFlowing(watcher, lecturerId, 'camera');
    await expectFlowing(watcher, lecturerId, 'mic');
    // The microphone's level meter moves with the fake microphone's tone.
    await expect.poll(() => hook<number>(studio, 'micLevel'), poll).toBeGreaterThan(0.01);
    expect(Number(await studio.getByTestId('mic-level').getAttribute('value'))).toBeGreaterThanOrEqual(0);
    // The uplink is sampled from the senders' stats: three camera layers, bytes going out.
    await expect
      .poll(async () => (await hook<{ health: { layers: number; bitrate: number } | null }>(studio, 'uplink')).health?.layers, poll)
      .toBe(3);
    expect((await hook<{ health: { bitrate: number } }>(studio, 'uplink')).health.bitrate).toBeGreaterThan(0);

    // A raised hand goes to the top of the list; a second one comes after it.
    await trollPage.getByTestId('raise-hand').click();
    await expect.poll(() => studio.locator('[data-testid=participant]').first().getAttribute('data-user'), poll).toBe(troll.id);
    await guestPage.getByTestId('raise-hand').click();
    await expect.poll(() => row(studio, guest).getAttribute('data-hand'), poll).toBe('true');
    expect(await studio.locator('[data-testid=participant]').evaluateAll((els) => els.map((e) => e.getAttribute('data-user')))).toEqual([
      troll.id,
      guest.id,
      lecturerId,
      audience.id,
    ]);
    // Lowered by the lecturer: the viewer's own page follows.
    await row(studio, troll).getByTestId('lower-hand').click();
    await expect.poll(() => row(studio, troll).getAttribute('data-hand'), poll).toBe('false');
    await expect.poll(() => hook(trollPage, 'handRaised'), poll).toBe(false);
    expect(await studio.locator('[data-testid=participant]').first().getAttribute('data-user')).toBe(guest.id);

    // On stage: invited from the list, accepted on the viewer's page.
    // Both from the keyboard: Tab to the button, Enter.
    await tabTo(studio, row(studio, guest).getByTestId('invite'));
    await studio.keyboard.press('Enter');
    await guestPage.getByTestId('invitation').waitFor({ timeout: 30_000 });
    await expect.poll(() => row(studio, guest).getAttribute('data-stage'), poll).toBe('invited');
    await tabTo(guestPage, guestPage.getByTestId('stage-accept'));
    await guestPage.keyboard.press('Enter');
    await expect.poll(() => hook<{ live: boolean }>(guestPage, 'stage').then((s) => s.live), poll).toBe(true);
    // The camera is sent first, then the microphone: wait for both.
    await expect
      .poll(async () => Object.keys(await hook<Record<string, string>>(guestPage, 'stageProducerIds')).sort(), poll)
      .toEqual(['camera', 'mic']);
    const guestProducers = await hook<Record<string, string>>(guestPage, 'stageProducerIds');
    // Published like the lecturer's: every router has them, and the other viewer decodes them.
    const room = (await app.rooms.peek(seminarId))!;
    const published = () => room.listProducers().filter((p) => p.userId === guest.id);
    expect(
      published()
        .map((p) => p.producerId)
        .sort(),
    ).toEqual(Object.values(guestProducers).sort());
    await expectFlowing(watcher, guest.id, 'camera');
    await expectFlowing(watcher, guest.id, 'mic');
    await expectFlowing(studio, guest.id, 'camera', 'guestStats');
    await expect.poll(() => watcher.locator(`[data-testid=guest-tile][data-user="${guest.id}"]`).count(), poll).toBe(1);
    expect(await watcher.locator(`[data-testid=guest-tile][data-user="${guest.id}"] .label`).textContent()).toBe('Ольга Гостева');
    await expectFlowing(watcher, lecturerId, 'camera'); // the lecturer's video still plays beside the guest
    await expect.poll(() => row(studio, guest).getAttribute('data-stage'), poll).toBe('on');
    await shoot(watcher, 'watch-guest-on-stage-en');
    await shoot(guestPage, 'watch-as-guest-ru');
    await shoot(studio, 'studio-with-guest-ru');
    await toggleLanguage(studio, 'en');
    await shoot(studio, 'studio-with-guest-en');
    await toggleLanguage(studio, 'ru');
    await toggleLanguage(watcher, 'ru');
    await shoot(watcher, 'watch-guest-on-stage-ru');
    await toggleLanguage(watcher, 'en');

    // Muted by the lecturer: the server pauses the microphone, and the guest's own click cannot undo it.
    const micPaused = () => published().find((p) => p.source === 'mic')?.paused;
    await row(studio, guest).getByTestId('mute').click();
    await expect.poll(micPaused, poll).toBe(true);
    await guestPage.getByTestId('muted-notice').waitFor({ timeout: 30_000 });
    await expect.poll(() => hook<{ micOff: boolean }>(guestPage, 'stage').then((s) => s.micOff), poll).toBe(true);
    await guestPage.getByTestId('stage-mic').click();
    await expect
      .poll(() => guestPage.getByTestId('toast').textContent(), poll)
      .toContain('Лектор выключил ваш микрофон. Включить его снова можно, когда лектор это разрешит.');
    await guestPage.waitForTimeout(500);
    expect(micPaused()).toBe(true);
    expect((await streamOf(watcher, guest.id, 'mic'))?.paused).toBe(true);
    // Nothing of the guest's voice reaches the other viewer meanwhile.
    const heard = (await streamOf(watcher, guest.id, 'mic'))!.packets;
    await guestPage.waitForTimeout(1500);
    expect((await streamOf(watcher, guest.id, 'mic'))!.packets).toBe(heard);
    await guestPage.screenshot({ path: path.join(shots, 'watch-guest-muted-ru-1280.png') });

    // Lifted: now the guest switches it on, and the other viewer hears them again.
    await row(studio, guest).getByTestId('unmute').click();
    await expect.poll(() => hook<{ muted: boolean }>(guestPage, 'stage').then((s) => s.muted), poll).toBe(false);
    expect(micPaused()).toBe(true); // lifting the mute does not switch anyone's microphone on
    await guestPage.getByTestId('stage-mic').click();
    await expect.poll(micPaused, poll).toBe(false);
    await expect.poll(async () => (await streamOf(watcher, guest.id, 'mic'))?.paused, poll).toBe(false);
    await expectFlowing(watcher, guest.id, 'mic');

    // The guest leaves the stage: what they sent is gone for everyone.
    await guestPage.getByTestId('stage-leave').click();
    await expect.poll(() => published().length, poll).toBe(0);
    await expect.poll(() => watcher.locator('[data-testid=guest-tile]').count(), poll).toBe(0);
    await expect.poll(() => streamOf(watcher, guest.id, 'camera'), poll).toBeUndefined();
    expect(await streamOf(watcher, guest.id, 'mic')).toBeUndefined();
    await expect.poll(() => row(studio, guest).getAttribute('data-stage'), poll).toBe('none');
    expect(await hook<{ onStage: boolean }>(guestPage, 'stage')).toMatchObject({ onStage: false, live: false });

    // Device switches in the studio keep the producers; the viewer keeps receiving.
    const before = await hook<Record<string, string>>(studio, 'producerIds');
    const current = await hook<Record<'camera' | 'mic', { id: string; label: string }>>(studio, 'currentDevices');
    const devices = await hook<Record<'camera' | 'mic', Array<{ deviceId: string; label: string }>>>(studio, 'devices');
    expect(devices.camera.length).toBe(3);
    // Chromium's second fake camera sends 16-bit depth frames (Y16), which no encoder takes;
    // the third sends MJPEG, like a real webcam.
    expect(current.camera.label).toBe('fake_device_0');
    const otherCamera = devices.camera.find((d) => d.label === 'fake_device_2')!;
    await tabTo(studio, studio.getByTestId('studio-device-camera'));
    await studio.getByTestId('studio-device-camera').selectOption(otherCamera.deviceId);
    await expect.poll(() => hook<typeof current>(studio, 'currentDevices').then((d) => d.camera.id), poll).toBe(otherCamera.deviceId);
    const otherMic = devices.mic.find((d) => d.deviceId !== current.mic.id && d.deviceId !== 'default')!;
    await studio.getByTestId('studio-device-mic').selectOption(otherMic.deviceId);
    await expect.poll(() => hook<typeof current>(studio, 'currentDevices').then((d) => d.mic.id), poll).toBe(otherMic.deviceId);
    expect(await hook(studio, 'producerIds')).toEqual(before);
    expect(
      room
        .listProducers()
        .filter((p) => p.userId === lecturerId)
        .map((p) => p.producerId)
        .sort(),
    ).toEqual(Object.values(before).sort());
    await expectFlowing(watcher, lecturerId, 'camera');
    await expectFlowing(watcher, lecturerId, 'mic');
    await expect.poll(() => hook<number>(studio, 'micLevel'), poll).toBeGreaterThan(0.01);

    // A chapter marker from the studio is stored with its offset.
    await studio.getByTestId('marker-input').fill('Налоговые вычеты');
    await studio.getByTestId('marker-add').click();
    await expect.poll(async () => (await app.repos.live.markers(seminarId)).map((m) => m.label), poll).toEqual(['Налоговые вычеты']);
    expect((await app.repos.live.markers(seminarId))[0]!.offsetMs).toBeGreaterThan(0);

    // Removed: out of the room, but may come back. Banned: out, and cannot.
    await row(studio, troll).getByTestId('remove').click();
    await expect.poll(() => hook(trollPage, 'state'), poll).toBe('removed');
    await expect.poll(() => row(studio, troll).count(), poll).toBe(0);
    await trollPage.context().close();
    trollPage = await open('troll-again', troll.token, `/watch/${seminarId}`);
    await expect.poll(() => hook(trollPage, 'state'), poll).toBe('joined');
    await expect.poll(() => row(studio, troll).count(), poll).toBe(1);
    let asked = '';
    studio.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await row(studio, troll).getByTestId('ban').click();
    await expect.poll(() => hook(trollPage, 'state'), poll).toBe('removed');
    expect(asked).toContain('Тролль');
    expect(await app.repos.live.isBanned(seminarId, troll.id)).toBe(true);
    await trollPage.context().close();
    trollPage = await open('troll-banned', troll.token, `/watch/${seminarId}`);
    await expect.poll(() => hook(trollPage, 'state'), poll).toBe('failed');
    expect(await trollPage.getByTestId('state').textContent()).toContain('Вас удалили из этого семинара');
    await shoot(studio, 'studio-live-ru');

    // The end: the watch page offers the recording once it is ready, and it plays.
    studio.once('dialog', (d) => void d.accept());
    await studio.getByTestId('end').click();
    await expect.poll(() => hook(watcher, 'state'), poll).toBe('ended');
    const link = watcher.getByTestId('recording-link');
    await link.waitFor({ timeout: 30_000 });
    expect(await link.getAttribute('href')).toBe(`/replay/${seminarId}`);
    expect(await link.textContent()).toBe('Watch the recording');
    await shoot(watcher, 'watch-ended-en');
    await link.click();
    await expect.poll(() => watcher.evaluate(() => (globalThis as any).lectern?.page), poll).toBe('replay');
    await expect.poll(() => hook(watcher, 'state'), poll).toBe('playing');
    await expect.poll(() => hook<number>(watcher, 'frames'), poll).toBeGreaterThan(10);
    expect((await hook<Array<{ title: string }>>(watcher, 'chapters')).map((c) => c.title)).toContain('Налоговые вычеты');
    await shoot(watcher, 'replay-en');
    await toggleLanguage(watcher, 'ru');
    await shoot(watcher, 'replay-ru');

    expect(problems).toEqual([]);
  }, 420_000);
});
