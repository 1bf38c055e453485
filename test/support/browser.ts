import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Screenshots and failure captures of the browser tests land here (git-ignored). */
export const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

// Debian's Chromium, never a downloaded one. Without the background-networking
// flags it keeps calling hosts this network refuses.
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium with fake camera and microphone (`media`) or with autoplay allowed (`playback`).
 * `cameras`: how many fake cameras it offers (device switching); it always offers three microphones.
 * The fake devices play Chromium's own pattern and beep, or the given files (`audio`, `video`; per
 * browser process: a browser whose user must sound and look different needs a process of its own).
 * `executablePath` starts it some other way (inside a network namespace, test/support/netns.ts);
 * `args` add switches.
 */
export async function launchChromium(
  purpose: 'media' | 'playback',
  opts: { cameras?: number; audio?: string; video?: string; executablePath?: string; args?: string[] } = {},
): Promise<Browser> {
  await mkdir(artifacts, { recursive: true });
  const fake = opts.cameras ? `--use-fake-device-for-media-stream=device-count=${opts.cameras}` : '--use-fake-device-for-media-stream';
  const extra =
    purpose === 'media'
      ? [
          fake,
          '--use-fake-ui-for-media-stream',
          ...(opts.audio ? [`--use-file-for-fake-audio-capture=${opts.audio}`] : []),
          ...(opts.video ? [`--use-file-for-fake-video-capture=${opts.video}`] : []),
        ]
      : ['--autoplay-policy=no-user-gesture-required'];
  return chromium.launch({
    executablePath: opts.executablePath ?? process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: [...BASE_ARGS, ...extra, ...(opts.args ?? [])],
    headless: true,
  });
}
