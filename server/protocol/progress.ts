import { z } from 'zod';

const mediaSeconds = z
  .number()
  .min(0)
  .max(24 * 3600);

/**
 * A player heartbeat. `intervals` are the spans actually watched, in media
 * seconds; players send everything watched since the page opened, so a lost
 * or reordered heartbeat is covered by the next one.
 */
export const heartbeatBody = z.object({
  contentId: z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, 'must be a lesson id or a seminar id'),
  intervals: z
    .array(
      z
        .tuple([mediaSeconds, mediaSeconds])
        .refine(([from, to]) => from <= to, 'from must not exceed to')
        .meta({ description: '[from, to] in media seconds, from ≤ to' }),
    )
    .min(1)
    .max(200),
  position: mediaSeconds,
  durationSeconds: z
    .number()
    .positive()
    .max(24 * 3600)
    .optional(),
  /** The client's clock when it sent this, ms since the epoch: orders resume positions across tabs. */
  sentAt: z.number().int().positive(),
  /** Only for navigator.sendBeacon, which cannot set an Authorization header: the same access token. */
  accessToken: z.string().min(20).max(4096).optional(),
});
export type HeartbeatBody = z.infer<typeof heartbeatBody>;

export const progressView = z.object({
  contentId: z.string(),
  coveredSeconds: z.number(),
  intervals: z.array(z.tuple([z.number(), z.number()])),
  resumePosition: z.number(),
  durationSeconds: z.number().nullable(),
  liveSeconds: z.number(),
});
export type ProgressView = z.infer<typeof progressView>;
