import { z } from 'zod';
import { chatMessage, question } from './live';
import { pollResult } from './polls';
import { playbackSubtitle, subtitleTrackView } from './subtitles';
import { slideChange } from './slides';

export const playbackView = z.object({
  recordingId: z.string(),
  seminarId: z.string(),
  title: z.string(),
  /** True while the seminar is live: the playlist is an EVENT playlist that still grows. */
  live: z.boolean(),
  /** A media playlist, or a master playlist when the recording has subtitles (an EXT-X-MEDIA SUBTITLES group). */
  playlistUrl: z.string(),
  /** The recording's subtitle tracks (none while live), each with its transcript. */
  subtitles: z.array(playbackSubtitle),
  posterUrl: z.string().nullable(),
  /** Screen shares, each with its start on the main timeline; the replay shows them with the camera alongside. */
  screens: z.array(z.object({ offsetMs: z.number(), playlistUrl: z.string() })),
  expiresAt: z.iso.datetime(),
  durationSeconds: z.number().nullable(),
  chapters: z.array(z.object({ offsetMs: z.number(), title: z.string(), kind: z.enum(['question', 'marker', 'poll', 'slide']) })),
  chat: z.array(chatMessage),
  questions: z.array(question.omit({ votedByMe: true })),
  /** Polls opened during the session, with their final (or, while live, current) counts. */
  polls: z.array(pollResult),
  /** Slide changes in order: from each offsetMs on, its page shows beside the video. */
  slides: z.array(slideChange),
});
export type PlaybackView = z.infer<typeof playbackView>;

/** The longest recording a trim point may name: a day (recordings are hours at most). */
export const MAX_RECORDING_SECONDS = 24 * 3600;

/** One recording as the workspace lists it (its lecturers, and admins). */
export const recordingView = z.object({
  id: z.string(),
  /** The seminar it records; null for a video uploaded as a lesson. */
  seminarId: z.string().nullable(),
  seminarTitle: z.string().nullable(),
  /** What replays and lists show: the name given to it, else the seminar's title. */
  title: z.string(),
  /** The name given to it, if any. */
  customTitle: z.string().nullable(),
  status: z.enum(['recording', 'ready', 'failed']),
  startedAt: z.iso.datetime(),
  /** What the replay plays, after the cut. */
  durationSeconds: z.number().nullable(),
  /** The whole recording, before any cut. */
  totalSeconds: z.number().nullable(),
  /** The cut, at segment boundaries; null: the replay plays it whole. */
  trim: z.object({ startSeconds: z.number(), endSeconds: z.number() }).nullable(),
  posterUrl: z.string().nullable(),
  /** Courses with a lesson that plays it: deleting is refused while one of them is published. */
  courses: z.array(z.object({ id: z.string(), title: z.string(), published: z.boolean() })),
  /** Its subtitle tracks, one per language. */
  subtitles: z.array(subtitleTrackView),
});
export type RecordingView = z.infer<typeof recordingView>;

export const recordingListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from a previous page')
    .optional()
    .meta({ description: 'Opaque: the nextCursor of the previous page, unchanged. Any other value is 400 invalid_cursor.' }),
});

export const renameRecordingBody = z.object({
  title: z.string().trim().max(200).meta({ description: 'The name lists and the replay show; empty: the seminar’s title again' }),
});
export type RenameRecordingBody = z.infer<typeof renameRecordingBody>;

const trimPoint = z.number().min(0).max(MAX_RECORDING_SECONDS);

export const trimRecordingBody = z
  .object({
    startSeconds: trimPoint.meta({
      description: 'Where the replay starts, in seconds into the recording; moved to the nearest segment boundary',
    }),
    endSeconds: trimPoint
      .nullable()
      .meta({ description: 'Where it ends, in seconds into the recording (null: at its end); moved to the nearest segment boundary' }),
  })
  .refine((b) => b.endSeconds === null || b.endSeconds > b.startSeconds, {
    message: 'must be after startSeconds',
    path: ['endSeconds'],
  });
export type TrimRecordingBody = z.infer<typeof trimRecordingBody>;

export const downloadLinkView = z.object({
  /** A signed, expiring address of the MP4 (GET; Range requests are served). */
  url: z.string(),
  expiresAt: z.iso.datetime(),
  fileName: z.string(),
});

export const downloadQuery = z.object({
  exp: z.string().regex(/^\d{1,12}$/, 'must be the exp of a download link'),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the sig of a download link'),
});
