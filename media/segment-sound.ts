import { execFile } from 'node:child_process';
import { readFile, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inspect } from 'mux.js/lib/tools/ts-inspector.js';
import { silenceArgs } from './recording-graph';

// hls.js creates a player's SourceBuffers from the first segment it loads: one that declares
// sound but holds none (a writer's first segment, when the picture came a moment before the
// microphone) leaves it without an audio buffer, and every later segment then fails to append
// ("bufferAppendError"), so the recording never plays in Chromium or Firefox. The first
// segment loaded is wherever the viewer starts (the start, a resume point, the live edge),
// so every segment of a recording with sound has to hold some.

const run = promisify(execFile);

/** Whether an MPEG-TS segment holds any sound (mux.js reads its packets; no process per segment). */
export async function holdsSound(file: string): Promise<boolean> {
  const found = inspect(new Uint8Array(await readFile(file)));
  return (found?.audio?.length ?? 0) > 0;
}

/** Rewrites a segment in place with silence over its stretch of the timeline, its pictures as they were. */
export async function addSilence(ffmpegBin: string, file: string, startSeconds: number, durationSeconds: number): Promise<void> {
  const tmp = `${file}.sound.ts`;
  try {
    await run(ffmpegBin, silenceArgs(file, tmp, startSeconds, durationSeconds), { timeout: 15_000 });
    if (!(await holdsSound(tmp))) throw new Error('ffmpeg wrote no sound');
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
