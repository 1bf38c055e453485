import { z } from 'zod';
import { localDateTime, timeZone } from './seminars';

/** An encore of an ended seminar: when it plays, as wall-clock time in its zone (the source's zone when none is given). */
export const createEncoreBody = z.object({
  startsAt: localDateTime,
  timeZone: timeZone.optional(),
});
export type CreateEncoreBody = z.infer<typeof createEncoreBody>;
