import { execFile } from 'node:child_process';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LEFTOVER } from './crash-recovery';
import { writeFiller } from './filler';
import type { MediaLogger } from './logger';
import type { PlaylistEntry, PlaylistFile } from './playlist';
import { trimArgs, type Canvas } from './recording-graph';
import { addSilence, holdsSound } from './segment-sound';
import type { SequencerAction } from './sequencer';

const run = promisify(execFile);

export interface PublisherOptions {
  dir: string;
  ffmpegBin: string;
  logger: MediaLogger;
  playlist: PlaylistFile;
  /** Wall-clock seconds of timeline zero. */
  originSeconds: number;
  segmentSeconds: number;
  canvas: Canvas;
  withAudio: boolean;
  /** A writer whose part is done: stop it. */
  retire(writer: number): void;
}

/**
 * Carries out the Sequencer's decisions, one batch after another: a listed segment is renamed
 * into seg_NNNNN.ts (cut short first when it holds media past its end, given silence when it
 * has no sound), a dropped one deleted,
 * a gap filled with black, and the playlist rewritten once per batch.
 */
export class PlaylistPublisher {
  private queue: Promise<void> = Promise.resolve();
  private nextNumber: number;
  private fillers = 0;
  /** The last thing listed was black standing in for a writer's segment (see listWritten). */
  private afterStandIn = false;

  constructor(private readonly opts: PublisherOptions) {
    this.nextNumber = opts.playlist.nextNumber;
  }

  enqueue(actions: SequencerAction[]): void {
    if (actions.length === 0) return;
    this.queue = this.queue
      .then(() => this.publish(actions))
      .catch((err: unknown) => this.opts.logger.error({ err }, 'recorder could not update the playlist'));
  }

  /** Resolves once every batch enqueued so far is carried out. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Files of writers and fillers that never made it into the playlist. */
  async removeLeftovers(): Promise<void> {
    const names = await readdir(this.opts.dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => LEFTOVER.test(n)).map((n) => rm(path.join(this.opts.dir, n), { force: true })));
  }

  private async publish(actions: SequencerAction[]): Promise<void> {
    const entries: PlaylistEntry[] = [];
    for (const a of actions) {
      if (a.kind === 'list') await this.listWritten(entries, a);
      else if (a.kind === 'drop') {
        if (a.reason === 'overlong') this.opts.logger.warn({ file: a.file }, 'recorder replaced a stalled segment with black');
        await rm(path.join(this.opts.dir, a.file), { force: true });
      } else if (a.kind === 'retire') this.opts.retire(a.writer);
      else await this.fill(entries, a.from, a.to, a.discontinuity);
    }
    // The very first segment of a recording follows nothing.
    if (this.opts.playlist.segments === 0 && entries[0]) entries[0].discontinuity = false;
    await this.opts.playlist.append(entries);
  }

  /** A writer's segment: cut short where it runs past its end, given silence where it has no sound (segment-sound.ts). */
  private async listWritten(entries: PlaylistEntry[], a: Extract<SequencerAction, { kind: 'list' }>): Promise<void> {
    const file = path.join(this.opts.dir, a.file);
    if (a.trimTo !== undefined) await this.trim(file, a.trimTo);
    // After black that stood in for a writer's segment, its next one follows a discontinuity.
    const discontinuity = a.discontinuity || this.afterStandIn;
    this.afterStandIn = false;
    if (this.opts.withAudio && !(await this.withSound(file, a.start, a.duration))) {
      // A segment without sound would stop the recording from playing at all: black and silence instead.
      await rm(file, { force: true });
      await this.fill(entries, a.start, a.start + a.duration, true);
      this.afterStandIn = true;
      return;
    }
    await this.list(entries, a.file, a.start, a.duration, discontinuity);
  }

  /** Whether the segment holds sound, or does now that it has silence over its stretch. */
  private async withSound(file: string, start: number, duration: number): Promise<boolean> {
    try {
      if (await holdsSound(file)) return true;
    } catch (err) {
      // Unreadable here is no sign of a segment without sound: it is listed as it is.
      this.opts.logger.warn({ err, file: path.basename(file) }, 'recorder could not read a segment to check its sound');
      return true;
    }
    try {
      await addSilence(this.opts.ffmpegBin, file, start, duration);
      this.opts.logger.info({ file: path.basename(file), start }, 'recorder gave a segment without sound silence');
      return true;
    } catch (err) {
      this.opts.logger.warn({ err, file: path.basename(file) }, 'recorder could not give a segment without sound silence');
      return false;
    }
  }

  private async list(entries: PlaylistEntry[], file: string, start: number, duration: number, discontinuity: boolean) {
    const dir = this.opts.dir;
    const uri = `seg_${String(this.nextNumber).padStart(5, '0')}.ts`;
    try {
      await rename(path.join(dir, file), path.join(dir, uri));
    } catch (err) {
      this.opts.logger.error({ err, file }, 'recorder lost a segment file');
      return;
    }
    this.nextNumber += 1;
    entries.push({ uri, duration, discontinuity, startedAt: new Date((this.opts.originSeconds + start) * 1000) });
  }

  private async fill(entries: PlaylistEntry[], from: number, to: number, discontinuity: boolean): Promise<void> {
    this.opts.logger.info({ from, to }, 'recorder fills a gap with black');
    const pieces = await writeFiller({
      ffmpegBin: this.opts.ffmpegBin,
      dir: this.opts.dir,
      name: `f${++this.fillers}`,
      fromSeconds: from,
      toSeconds: to,
      segmentSeconds: this.opts.segmentSeconds,
      canvas: this.opts.canvas,
      withAudio: this.opts.withAudio,
    }).catch((err: unknown) => {
      this.opts.logger.error({ err, from, to }, 'recorder could not write black for a gap');
      return [];
    });
    for (const [i, p] of pieces.entries()) await this.list(entries, p.file, p.start, p.duration, discontinuity && i === 0);
  }

  /**
   * Cuts a segment's media at a timeline time, in place: what follows it in the playlist
   * starts there, and a player must not find more media than the playlist says (it would
   * lengthen the recording). Left whole if that fails.
   */
  private async trim(file: string, toSeconds: number): Promise<void> {
    const tmp = `${file}.trim.ts`;
    try {
      await run(this.opts.ffmpegBin, trimArgs(file, tmp, toSeconds), { timeout: 15_000 });
      await rename(tmp, file);
    } catch (err) {
      this.opts.logger.warn({ err, file }, 'recorder could not trim a segment cut short');
      await rm(tmp, { force: true });
    }
  }
}
