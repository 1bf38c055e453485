import { execFile } from 'node:child_process';
import { readFile, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import probe from 'mux.js/lib/m2ts/probe.js';
import streamTypes from 'mux.js/lib/m2ts/stream-types.js';
import { silenceArgs } from './recording-graph';

// hls.js creates a player's SourceBuffers from the first segment it loads: one that declares
// sound but holds none (a writer's first segment, when the picture came a moment before the
// microphone) leaves it without an audio buffer, and every later segment then fails to append
// ("bufferAppendError"), so the recording never plays in Chromium or Firefox. The first
// segment loaded is wherever the viewer starts (the start, a resume point, the live edge),
// so every segment of a recording with sound has to hold some.

const run = promisify(execFile);

/** Whether an MPEG-TS segment holds any sound (mux.js's parsers read its packets; no process per segment). */
export async function holdsSound(file: string): Promise<boolean> {
  return carriesSound(new Uint8Array(await readFile(file)));
}

const PACKET_BYTES = 188;
const SYNC_BYTE = 0x47;

/**
 * Whether a transport stream has an AAC packet that starts with a timestamp, read from its start
 * as a player reads it. mux.js's inspect() answered the same, but it also gathered the pictures'
 * bytes to find a key frame: about 0.27 MiB of garbage a second per recording at 1-s segments,
 * the largest allocator left in an idle soak (bench/results/soak-profiled-before-fixes.json). This walk
 * stops at the first sound and makes a view only of the packets it parses.
 */
export function carriesSound(bytes: Uint8Array): boolean {
  let pmtPid: number | undefined;
  let streamTypeOf: Record<number, number> | undefined;
  let at = 0;
  while (at + PACKET_BYTES <= bytes.length) {
    // A packet is where a sync byte has another one a packet on (or the end); else resynchronise a byte on.
    const next = at + PACKET_BYTES;
    if (bytes[at] !== SYNC_BYTE || (next < bytes.length && bytes[next] !== SYNC_BYTE)) {
      at += 1;
      continue;
    }
    const pid = ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
    const startsUnit = (bytes[at + 1]! & 0x40) !== 0;
    // The muxer repeats its tables every tenth of a second, unchanged within a segment: the first
    // in effect is read, and each repeat would only allocate another copy.
    if (pid === 0) pmtPid ??= probe.parsePat(bytes.subarray(at, next));
    else if (pid === pmtPid) streamTypeOf ??= probe.parsePmt(bytes.subarray(at, next));
    else if (startsUnit && streamTypeOf?.[pid] === streamTypes.ADTS_STREAM_TYPE && probe.parsePesTime(bytes.subarray(at, next)))
      return true;
    at = next;
  }
  return false;
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
