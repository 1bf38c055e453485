import { z } from 'zod';
import { objectId } from './common';

/** The badge stops counting here ("99+"): counting a forgotten inbox costs nothing more. */
export const UNREAD_COUNT_CAP = 100;

export const notificationView = z.object({
  id: z.string(),
  kind: z.enum(['reminder_24h', 'reminder_1h', 'live_now', 'cancelled', 'promoted', 'rescheduled', 'webhook_disabled']),
  seminarId: objectId.or(z.literal('')).meta({ description: "'' for a notice about Lectern itself (webhook_disabled, to admins)" }),
  title: z.string(),
  body: z.string(),
  createdAt: z.iso.datetime(),
  readAt: z.iso.datetime().nullable(),
});
export type NotificationView = z.infer<typeof notificationView>;

export const unreadCountView = z.object({
  count: z
    .number()
    .int()
    .min(0)
    .meta({ description: `Unread notifications, counted up to ${UNREAD_COUNT_CAP}: more reads as ${UNREAD_COUNT_CAP}` }),
});
export type UnreadCountView = z.infer<typeof unreadCountView>;
