import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fillerArgs, type Canvas } from './recording-graph';
import { parseListLine } from './segment-writer';

const run = promisify(execFile);
const MIN_SECONDS = 0.2;

export interface FillerPiece {
  file: string;
  start: number;
  duration: number;
}

/**
 * Black (and silence) over [from, to) of the timeline, as segments of at most one grid step
 * each, cut at from + k × step: what stands for a stretch no writer recorded (before the
 * first picture, after a crash), so that the recording keeps the live session's timeline.
 */
export async function writeFiller(opts: {
  ffmpegBin: string;
  dir: string;
  name: string;
  fromSeconds: number;
  toSeconds: number;
  segmentSeconds: number;
  canvas: Canvas;
  withAudio: boolean;
}): Promise<FillerPiece[]> {
  const base = path.join(opts.dir, opts.name);
  const csv = `${base}.csv`;
  // A few frames at least: a filler shorter than a frame would hold no picture at all. The
  // playlist lists the stretch it fills, whatever its last piece holds beyond.
  const seconds = Math.max(opts.toSeconds - opts.fromSeconds, MIN_SECONDS);
  try {
    await run(opts.ffmpegBin, fillerArgs({ ...opts, toSeconds: opts.fromSeconds + seconds }, { csv, pattern: `${base}_%05d.ts` }), {
      timeout: Math.round(20_000 + seconds * 2000),
    });
    const written = (await readFile(csv, 'utf8'))
      .split('\n')
      .map((line, i) => parseListLine(line, i))
      .filter((s) => s !== undefined);
    const pieces: FillerPiece[] = [];
    for (let i = 0; i < written.length; i++) {
      const start = opts.fromSeconds + i * opts.segmentSeconds;
      if (start >= opts.toSeconds - 0.002) break;
      pieces.push({ file: path.basename(written[i]!.file), start, duration: Math.min(opts.segmentSeconds, opts.toSeconds - start) });
    }
    return pieces;
  } finally {
    await rm(csv, { force: true });
  }
}
