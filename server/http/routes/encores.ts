import { createEncoreBody, idParams, seminarView } from '../../protocol';
import type { EncoreService } from '../../seminars/encores';
import { route, type RouteSpec } from '../route';

/** Encores scheduled per user per hour: a lecturer planning a season of repeats, not a script. */
export const ENCORES_SCHEDULED = { name: 'encore-schedule', points: 30, durationSeconds: 3600 };

export function encoreRoutes(encores: EncoreService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/seminars/:id/encores',
      tag: 'seminars',
      access: 'seminars:manage',
      status: 201,
      summary:
        'Schedule an encore (a repeat) of an ended seminar with a ready recording: a new scheduled seminar that plays the recording as a live event at startsAt (wall-clock time in timeZone, the source’s zone when omitted), with the original chat, questions and polls in step',
      params: idParams,
      body: createEncoreBody,
      response: seminarView,
      errors: {
        400: ['encore_start_in_past'],
        403: ['not_own_seminar'],
        404: ['seminar_not_found'],
        409: ['encore_source_not_ended', 'encore_no_recording', 'illegal_transition'],
        429: ['rate_limited'],
      },
      rateLimit: ENCORES_SCHEDULED,
      handler: ({ actor, params, body }) => encores.schedule(actor, params.id, body),
    }),
  ];
}
