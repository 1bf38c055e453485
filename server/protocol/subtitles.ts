import { z } from 'zod';
import { objectId } from './common';

// Subtitles of a recording (a seminar's or an uploaded video): one WebVTT track per language,
// uploaded as WebVTT or SRT, offered by the replay through HLS and shown as a transcript.

export const subtitleLanguage = z.enum(['ru', 'en']);
export type SubtitleLanguage = z.infer<typeof subtitleLanguage>;

export const subtitleParams = z.object({ id: objectId, language: subtitleLanguage });

/** The largest subtitle file accepted: hours of speech in SRT are a few hundred kilobytes. */
export const SUBTITLE_MAX_BYTES = 1024 * 1024;
/** The most cues one track may hold (a cue every second for over five hours). */
export const SUBTITLE_MAX_CUES = 20_000;
/** The longest text of one cue, in characters. */
export const SUBTITLE_MAX_CUE_CHARS = 1000;
/** The media types a subtitle upload may be sent as (browsers often send none or octet-stream for .srt). */
export const SUBTITLE_MEDIA_TYPES = ['text/vtt', 'application/x-subrip', 'text/plain', 'application/octet-stream'] as const;

/** Why a subtitle file was refused at a line (details of 400 subtitles_invalid). */
export const subtitleProblem = z.enum([
  /** Not a cue timing, a cue number or cue text where one was due; a bad WebVTT header. */
  'syntax',
  /** A timestamp that is not one, or a cue that ends before it starts. */
  'timing',
  /** A cue's text over SUBTITLE_MAX_CUE_CHARS. */
  'cue_too_long',
  /** A cue that starts after the end of the recording. */
  'after_end',
]);
export type SubtitleProblem = z.infer<typeof subtitleProblem>;

export const subtitleInvalidDetails = z
  .object({ line: z.number().int().min(1), problem: subtitleProblem })
  .meta({ description: 'subtitles_invalid: the first line of the file (from 1) where it fails, and why' });
export type SubtitleInvalidDetails = z.infer<typeof subtitleInvalidDetails>;

/** A subtitle track as the workspace shows it. */
export const subtitleTrackView = z.object({
  language: subtitleLanguage,
  cueCount: z.number().int(),
  /** What was uploaded: the track is stored as WebVTT whatever it was. */
  sourceFormat: z.enum(['vtt', 'srt']),
  /** How the file was decoded: UTF-8 (a byte-order mark is fine), UTF-16 that starts with its byte-order mark, or Windows-1251 (common in Russian SRT files). */
  sourceEncoding: z.enum(['utf-8', 'utf-16le', 'utf-16be', 'windows-1251']),
  uploadedAt: z.iso.datetime(),
});
export type SubtitleTrackView = z.infer<typeof subtitleTrackView>;

/** A track the player may offer: its transcript's signed address (the subtitles themselves come through the HLS playlist). */
export const playbackSubtitle = z.object({
  language: subtitleLanguage,
  /** The cues as JSON (transcriptCues), on the timeline of what plays. */
  transcriptUrl: z.string(),
});
export type PlaybackSubtitle = z.infer<typeof playbackSubtitle>;

/** A transcript: every cue of a track, in the replay's seconds, its text without markup. */
export const transcriptCues = z.array(z.object({ start: z.number(), end: z.number(), text: z.string() }));
export type TranscriptCues = z.infer<typeof transcriptCues>;
