import { z } from 'zod';
import { chatMessage, question } from './live';

export const playbackView = z.object({
  recordingId: z.string(),
  seminarId: z.string(),
  title: z.string(),
  /** True while the seminar is live: the playlist is an EVENT playlist that still grows. */
  live: z.boolean(),
  playlistUrl: z.string(),
  posterUrl: z.string().nullable(),
  /** Screen shares, each with its start on the main timeline; the replay shows them with the camera alongside. */
  screens: z.array(z.object({ offsetMs: z.number(), playlistUrl: z.string() })),
  expiresAt: z.iso.datetime(),
  durationSeconds: z.number().nullable(),
  chapters: z.array(z.object({ offsetMs: z.number(), title: z.string(), kind: z.enum(['question', 'marker']) })),
  chat: z.array(chatMessage),
  questions: z.array(question.omit({ votedByMe: true })),
});
export type PlaybackView = z.infer<typeof playbackView>;
