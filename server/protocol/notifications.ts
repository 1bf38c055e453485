import { z } from 'zod';
import { objectId } from './common';

export const notificationView = z.object({
  id: z.string(),
  kind: z.enum(['reminder_24h', 'reminder_1h', 'live_now', 'cancelled', 'promoted', 'rescheduled']),
  seminarId: objectId,
  title: z.string(),
  body: z.string(),
  createdAt: z.iso.datetime(),
  readAt: z.iso.datetime().nullable(),
});
export type NotificationView = z.infer<typeof notificationView>;
