import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

// The recording's public HLS playlist (index.m3u8). The Recorder writes it itself, whole and
// atomically (temp file + rename), from the segments it chose: a fixed target duration that
// every EXTINF stays within, a discontinuity wherever a new encoder run starts, and the
// wall-clock time of each segment.
// Each entry is rendered to bytes once, into a buffer the writes share: rendering every entry
// again on every append made a seminar's recording allocate in proportion to its length for each
// new segment (about 2.6 MiB every 20 s six minutes in, growing): extrapolated, enough by half
// an hour to keep V8's young generation at its largest after everyone had left (README, soak).

export const PLAYLIST = 'index.m3u8';

export interface PlaylistEntry {
  uri: string;
  duration: number;
  discontinuity: boolean;
  /** Wall-clock time of its first frame, when known. */
  startedAt?: Date;
}

export interface RecordingSummary {
  playlistPath: string;
  durationSeconds: number;
  segments: number;
  discontinuities: number;
}

const END_MARK = Buffer.from('#EXT-X-ENDLIST\n');

export class PlaylistFile {
  private ended = false;
  /** The header and every entry listed, as written; grown by doubling. */
  private rendered = Buffer.allocUnsafe(16 * 1024);
  private renderedBytes = 0;

  private constructor(
    readonly file: string,
    targetDuration: number,
    private readonly entries: PlaylistEntry[],
  ) {
    this.keep(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        `#EXT-X-TARGETDURATION:${targetDuration}`,
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:EVENT',
        '#EXT-X-INDEPENDENT-SEGMENTS',
      ].join('\n') + '\n',
    );
    entries.forEach((e) => this.keep(renderEntry(e)));
  }

  /** A new playlist in `dir`, or the one there continued (its end mark taken off). */
  static async open(dir: string, opts: { segmentSeconds: number; continueExisting: boolean }): Promise<PlaylistFile> {
    const file = path.join(dir, PLAYLIST);
    const entries = opts.continueExisting ? parseEntries(await readFile(file, 'utf8').catch(() => '')) : [];
    // A playlist written before may hold longer segments; the target duration must cover them.
    const longest = Math.max(0, ...entries.map((e) => e.duration));
    return new PlaylistFile(file, Math.max(Math.ceil(opts.segmentSeconds), Math.ceil(longest - 1e-6)), entries);
  }

  get segments(): number {
    return this.entries.length;
  }

  get durationSeconds(): number {
    return round(this.entries.reduce((s, e) => s + e.duration, 0));
  }

  get discontinuities(): number {
    return this.entries.filter((e) => e.discontinuity).length;
  }

  /** The number the next segment file takes: one past the highest so far. */
  get nextNumber(): number {
    return Math.max(-1, ...this.entries.map((e) => Number(/(\d+)\.ts$/.exec(e.uri)?.[1] ?? -1))) + 1;
  }

  /** The last segment listed, if any. */
  get last(): PlaylistEntry | undefined {
    return this.entries.at(-1);
  }

  /** The usual segment length here: the (lower) median of those listed (a run's first and last may differ). */
  get usualDuration(): number | undefined {
    const sorted = this.entries.map((e) => e.duration).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }

  async append(entries: PlaylistEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.entries.push(...entries);
    entries.forEach((e) => this.keep(renderEntry(e)));
    await this.write();
  }

  /** Marks the playlist complete (ENDLIST). Writes nothing when no segment was ever listed. */
  async end(): Promise<void> {
    if (this.entries.length === 0) return;
    this.ended = true;
    await this.write();
  }

  summary(): RecordingSummary {
    return {
      playlistPath: this.file,
      durationSeconds: this.durationSeconds,
      segments: this.segments,
      discontinuities: this.discontinuities,
    };
  }

  /** Adds text already rendered to the kept bytes, growing them by doubling. */
  private keep(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.renderedBytes + bytes > this.rendered.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.rendered.length, this.renderedBytes + bytes));
      this.rendered.copy(grown, 0, 0, this.renderedBytes);
      this.rendered = grown;
    }
    this.renderedBytes += this.rendered.write(text, this.renderedBytes);
  }

  private async write(): Promise<void> {
    const listed = this.rendered.subarray(0, this.renderedBytes);
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, this.ended ? Buffer.concat([listed, END_MARK]) : listed);
    await rename(tmp, this.file);
  }
}

function renderEntry(e: PlaylistEntry): string {
  return (
    (e.discontinuity ? '#EXT-X-DISCONTINUITY\n' : '') +
    `#EXTINF:${e.duration.toFixed(6)},\n` +
    (e.startedAt ? `#EXT-X-PROGRAM-DATE-TIME:${e.startedAt.toISOString()}\n` : '') +
    `${e.uri}\n`
  );
}

export function parseEntries(text: string): PlaylistEntry[] {
  const entries: PlaylistEntry[] = [];
  let duration = 0;
  let discontinuity = false;
  let startedAt: Date | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) startedAt = new Date(line.slice(25));
    else if (line && !line.startsWith('#')) {
      entries.push({ uri: line, duration, discontinuity, ...(startedAt && !Number.isNaN(startedAt.getTime()) ? { startedAt } : {}) });
      discontinuity = false;
      startedAt = undefined;
    }
  }
  return entries;
}

export function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

interface ParsedPlaylist {
  text: string;
  segments: Array<{ uri: string; duration: number }>;
  ended: boolean;
  discontinuities: number;
}

export async function readPlaylist(file: string): Promise<ParsedPlaylist> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const entries = parseEntries(text);
  return {
    text,
    segments: entries.map((e) => ({ uri: e.uri, duration: e.duration })),
    ended: text.includes('#EXT-X-ENDLIST'),
    discontinuities: entries.filter((e) => e.discontinuity).length,
  };
}
