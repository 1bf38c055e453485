import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { spawnTiedToParent } from './ffmpeg';

/** A segment ffmpeg finished, as its CSV list tells it: times are timeline seconds. */
export interface WrittenSegment {
  /** The file name, relative to the list's directory. */
  file: string;
  /** The time of its first packet; 0 for the first segment of a run (the segment muxer leaves it unset). */
  start: number;
  /** The end of its last packet (audio can reach a little past the next segment's start). */
  end: number;
  /** 0 for the first segment of this ffmpeg run. */
  index: number;
}

export interface SegmentWriterExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True only after stop(): anything else is a crash. */
  expected: boolean;
  stderrTail: string;
}

interface SegmentWriterEvents {
  segment: [WrittenSegment];
  /** A line ffmpeg wrote to stderr (warnings and errors: the log level is warning). */
  line: [string];
  exit: [SegmentWriterExit];
}

const POLL_MS = 150;

/**
 * One ffmpeg run writing segments and appending each finished one to a CSV list, which this
 * reads five or so times a second. stop() asks ffmpeg to finish ('q': it closes the last
 * segment and lists it) and kills it if it lingers. Segments listed before the exit are all
 * emitted before 'exit'.
 */
export class SegmentWriter extends EventEmitter<SegmentWriterEvents> {
  private readonly child: ChildProcess;
  private readonly poll: NodeJS.Timeout;
  private list?: FileHandle;
  private offset = 0;
  private pending = '';
  private count = 0;
  private reading: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;
  private exited?: Promise<void>;
  private stderrTail = '';
  private stderrLine = '';

  constructor(
    ffmpegBin: string,
    args: string[],
    private readonly csvPath: string,
  ) {
    super();
    // Dies with Lectern: a SIGKILLed Lectern leaves no ffmpeg behind (the next start finalizes).
    this.child = spawnTiedToParent(ffmpegBin, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
      const lines = (this.stderrLine + d.toString()).split('\n');
      this.stderrLine = lines.pop()!.slice(-2000);
      for (const line of lines) this.emit('line', line);
    });
    this.child.stdin!.on('error', () => undefined);
    this.poll = setInterval(() => void this.readList(), POLL_MS);
    this.exited = new Promise<void>((resolve) => {
      // 'close' rather than 'exit': stderr is complete by then.
      this.child.once('close', (code, signal) => {
        clearInterval(this.poll);
        void this.readList()
          .then(() => this.list?.close())
          .catch(() => undefined)
          .finally(() => {
            this.emit('exit', { code, signal, expected: this.stopping !== undefined, stderrTail: this.stderrTail });
            resolve();
          });
      });
    });
    // A binary that cannot start ends in 'close' too; the error itself needs a listener.
    this.child.once('error', (err) => {
      this.stderrTail += `\n${err.message}`;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Lets ffmpeg finish its last segment; SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs = 5000): Promise<void> {
    this.stopping ??= (async () => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.child.stdin!.end('q');
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }

  /** Kills ffmpeg at once (a crash, for tests and for giving up). */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Resolves once ffmpeg has exited and every listed segment was emitted. */
  done(): Promise<void> {
    return this.exited!;
  }

  private readList(): Promise<void> {
    this.reading = this.reading.then(async () => {
      try {
        this.list ??= await open(this.csvPath, 'r');
      } catch {
        return; // not written yet
      }
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await this.list.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.pending += buffer.subarray(0, bytesRead).toString('utf8');
      }
      const lines = this.pending.split('\n');
      this.pending = lines.pop() ?? '';
      for (const line of lines) {
        const segment = parseListLine(line, this.count);
        if (!segment) continue;
        this.count += 1;
        this.emit('segment', segment);
      }
    });
    return this.reading;
  }
}

/** "name.ts,start,end" as the segment muxer writes it (names never hold commas: we choose them). */
export function parseListLine(line: string, index: number): WrittenSegment | undefined {
  const [file, start, end] = line.trim().split(',');
  if (!file || start === undefined || end === undefined) return undefined;
  const s = Number(start);
  const e = Number(end);
  if (!Number.isFinite(s) || !Number.isFinite(e)) return undefined;
  return { file, start: s, end: e, index };
}
