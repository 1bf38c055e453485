import { createRequire } from 'node:module';
import type { WebVTTParser as WebVTTParserType } from 'webvtt-parser';
import type { RecordingTrim } from '../recordings/model';
import { plainText, type Cue } from './parse';

// The stored WebVTT and what is served of it: the cues moved onto a cut replay's timeline,
// as WebVTT for the player and as a transcript for the page.

const { WebVTTParser } = createRequire(import.meta.url)('webvtt-parser') as { WebVTTParser: typeof WebVTTParserType };

export type TimedCue = Omit<Cue, 'line'>;

/** 00:01:02.345 */
export function vttTimestamp(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** A WebVTT file of these cues; `header` lines go right after the signature (X-TIMESTAMP-MAP). */
export function writeVtt(cues: readonly TimedCue[], header: string[] = []): string {
  const blocks = cues.map((c) => `${vttTimestamp(c.start)} --> ${vttTimestamp(c.end)}\n${c.text}`);
  return `${['WEBVTT', ...header].join('\n')}\n\n${blocks.join('\n\n')}\n`;
}

/** The cues of a WebVTT file Lectern wrote (writeVtt): valid, so read without questions. */
export function readVtt(text: string): TimedCue[] {
  return new WebVTTParser().parse(text, 'subtitles').cues.map((c) => ({ start: c.startTime, end: c.endTime, text: c.text }));
}

/** The cues moved from the recording's timeline onto that of its replay as cut: those cut away dropped, those across a cut clipped. */
export function cuesOnCut(cues: readonly TimedCue[], trim: Pick<RecordingTrim, 'startSeconds' | 'endSeconds'> | null): TimedCue[] {
  if (!trim) return cues.slice();
  const { startSeconds: from, endSeconds: to } = trim;
  return cues
    .filter((c) => c.end > from && c.start < to)
    .map((c) => ({ ...c, start: Math.max(c.start, from) - from, end: Math.min(c.end, to) - from }));
}

/** The cues of a replay as the transcript lists them: times rounded to milliseconds, text without markup. */
export function transcriptOf(cues: readonly TimedCue[]): Array<{ start: number; end: number; text: string }> {
  return cues.map((c) => ({ start: round(c.start), end: round(c.end), text: plainText(c.text) }));
}

const round = (s: number) => Math.round(s * 1000) / 1000;
