import { createRequire } from 'node:module';
import { parser as srtParser, validator as srtValidator } from 'srt-validator';
import type { WebVTTParser as WebVTTParserType } from 'webvtt-parser';
import { BadRequestError } from '../errors';
import {
  SUBTITLE_MAX_CUE_CHARS,
  SUBTITLE_MAX_CUES,
  type SubtitleInvalidDetails,
  type SubtitleProblem,
  type SubtitleTrackView,
} from '../protocol/subtitles';

// A subtitle file (WebVTT or SRT, as bytes) to cues, or the line where it fails. The parsing
// and validation are the libraries' (webvtt-parser, the W3C's validator; srt-validator);
// what is Lectern's own is the decoding, which of their complaints refuse a file, and the
// WebVTT it is stored as.

// webvtt-parser is CommonJS that Node's ESM import cannot see names in.
const { WebVTTParser } = createRequire(import.meta.url)('webvtt-parser') as { WebVTTParser: typeof WebVTTParserType };

export interface Cue {
  /** Seconds on the timeline the file was written for. */
  start: number;
  end: number;
  /** The cue's text as WebVTT cue text (only <b>, <i>, <u> kept as markup), lines joined by \n. */
  text: string;
  /** Where it starts in the file (from 1): refusals that come after parsing name it. */
  line: number;
}

export interface ParsedSubtitles {
  format: SubtitleTrackView['sourceFormat'];
  encoding: SubtitleTrackView['sourceEncoding'];
  cues: Cue[];
}

const invalid = (line: number, problem: SubtitleProblem) =>
  new BadRequestError('subtitles_invalid', `The subtitles are broken at line ${line} (${problem})`, {
    line,
    problem,
  } satisfies SubtitleInvalidDetails);

/** Bytes ≥ 0x80 that Windows-1251 text in Russian holds: the Cyrillic letters, Ё/ё, and its punctuation. */
function looksLikeCp1251(bytes: Uint8Array): boolean {
  let high = 0;
  for (const b of bytes) {
    if (b < 0x80) continue;
    high++;
    const letter = b >= 0xc0 || b === 0xa8 || b === 0xb8;
    // … – — « » “ ” „ ‘ ’ № and the no-break space.
    const punctuation = [0x85, 0x96, 0x97, 0xab, 0xbb, 0x93, 0x94, 0x84, 0x91, 0x92, 0xb9, 0xa0].includes(b);
    if (!letter && !punctuation) return false;
  }
  return high > 0;
}

/**
 * The file's text: UTF-8 (a byte-order mark is dropped); UTF-16 that starts with its byte-order
 * mark (Windows' Notepad saves "Unicode" so, and subtitle editors offer it); or, when the bytes
 * are not UTF-8 but read as Russian in Windows-1251 (what many Russian SRT files are), decoded
 * from that. Anything else (a binary file, UTF-16 without its mark, another code page) is refused.
 */
export function decodeSubtitles(bytes: Uint8Array): { text: string; encoding: ParsedSubtitles['encoding'] } {
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  let body = bytes;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
  // eslint-disable-next-line no-control-regex -- control characters are what marks a binary file
  const binary = (text: string) => /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
  const notText = () => new BadRequestError('subtitles_not_text', 'The file is not text in UTF-8, UTF-16 or Windows-1251');
  let text: string;
  let encoding: ParsedSubtitles['encoding'] = 'utf-8';
  if (utf16) {
    try {
      // The decoder drops the mark itself; an odd byte count or an unpaired surrogate is no UTF-16.
      text = new TextDecoder(utf16, { fatal: true }).decode(body);
    } catch {
      throw notText();
    }
    if (binary(text)) throw notText();
    return { text: text.replace(/\r\n?/g, '\n'), encoding: utf16 };
  }
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    if (!looksLikeCp1251(body)) throw notText();
    text = new TextDecoder('windows-1251').decode(body);
    encoding = 'windows-1251';
  }
  if (binary(text)) throw notText();
  return { text: text.replace(/\r\n?/g, '\n'), encoding };
}

/** Cue text as WebVTT: & and < escaped, but for <b>, <i> and <u>; other tags (SRT's <font>) and {\an8}-style overrides dropped. */
export function toCueText(raw: string): string {
  return raw
    .replace(/\{\\[^}]*\}/g, '')
    .split(/(<\/?[biu]>)/i)
    .map((part, i) =>
      i % 2 === 1
        ? part.toLowerCase()
        : part
            .replace(/<\/?[a-z][^>]*>/gi, '')
            .replace(/&(?!(?:amp|lt|gt|nbsp|lrm|rlm);)/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;')
            // "-->" may not appear in WebVTT cue text.
            .replace(/--&gt;/g, '—&gt;'),
    )
    .join('')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

/** Cue text without markup: what the transcript shows and searches. */
export function plainText(cueText: string): string {
  return cueText
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&lrm;|&rlm;/g, '')
    .replace(/&amp;/g, '&');
}

// webvtt-parser's complaints that leave the cues' times and text as they should be: cue
// settings (positions, alignment: not kept), inline karaoke timestamps, cue order (sorted here).
const HARMLESS_VTT =
  /setting|Writing direction|position|alignment|Size|between start timestamp and end|greater than any previous timestamp|start timestamp of previous cue|tags not allowed|annotation|nested/i;
const TIMING_VTT = /timestamp|digit|separator|minutes|seconds|Milliseconds|time unit/i;

function parseVtt(text: string): Array<Omit<Cue, 'text'> & { raw: string }> {
  const tree = new WebVTTParser().parse(text, 'subtitles');
  const fatal = tree.errors.filter((e) => !HARMLESS_VTT.test(e.message)).sort((a, b) => a.line - b.line)[0];
  if (fatal) throw invalid(Math.max(1, fatal.line), TIMING_VTT.test(fatal.message) ? 'timing' : 'syntax');
  // The parser keeps no line numbers: each cue's is found by its timing line, in order.
  const lines = text.split('\n');
  let at = 0;
  return tree.cues.map((c) => {
    while (at < lines.length && !lines[at]!.includes('-->')) at++;
    const line = at + 1;
    at++;
    return { start: c.startTime, end: c.endTime, raw: c.text, line };
  });
}

// srt-validator's complaints that leave the cues usable: numbering off (0-based, skipped
// numbers) and cues that overlap the one before (two speakers at once).
const HARMLESS_SRT = new Set(['validatorErrorSequenceNumberStart', 'validatorErrorSequenceNumberIncrement', 'validatorErrorEndTime']);

function parseSrt(text: string): Array<Omit<Cue, 'text'> & { raw: string }> {
  const errors = srtValidator(text)
    .filter((e) => !HARMLESS_SRT.has(e.errorCode))
    .sort((a, b) => a.lineNumber - b.lineNumber);
  const first = errors[0];
  if (first) throw invalid(Math.max(1, first.lineNumber), /Time/.test(first.errorCode) ? 'timing' : 'syntax');
  return srtParser.parse(text).map((c) => ({
    start: c.time.start / 1000,
    end: c.time.end / 1000,
    raw: c.text,
    // lineNumbers count from 0.
    line: c.lineNumbers.timeSpan + 1,
  }));
}

/**
 * Parses a subtitle file: WebVTT when it says so on its first line, SRT otherwise. Refuses
 * (400) a file that is no text, breaks the format (subtitles_invalid, with the line), has
 * no cue, too many cues, or a cue too long; `totalSeconds` refuses cues past the recording's end.
 */
export function parseSubtitles(bytes: Uint8Array, totalSeconds: number): ParsedSubtitles {
  const { text, encoding } = decodeSubtitles(bytes);
  if (text.trim() === '') throw new BadRequestError('subtitles_empty', 'The file is empty');
  const format = /^WEBVTT(?:[ \t\n]|$)/.test(text) ? 'vtt' : 'srt';
  const raw = format === 'vtt' ? parseVtt(text) : parseSrt(text);
  if (raw.length === 0) throw new BadRequestError('subtitles_empty', 'The file holds no cue');
  if (raw.length > SUBTITLE_MAX_CUES)
    throw new BadRequestError('subtitles_too_many_cues', `A track may hold at most ${SUBTITLE_MAX_CUES} cues`);
  const cues: Cue[] = [];
  for (const c of raw) {
    if (c.raw.length > SUBTITLE_MAX_CUE_CHARS) throw invalid(c.line, 'cue_too_long');
    if (c.start >= totalSeconds + 0.5) throw invalid(c.line, 'after_end');
    const cueText = toCueText(c.raw);
    // A cue of markup alone shows nothing: left out.
    if (plainText(cueText).trim() !== '') cues.push({ start: c.start, end: c.end, text: cueText, line: c.line });
  }
  if (cues.length === 0) throw new BadRequestError('subtitles_empty', 'The file holds no cue with text');
  cues.sort((a, b) => a.start - b.start || a.end - b.end);
  return { format, encoding, cues };
}
