import { z } from 'zod';
import type { RecordingService } from '../../recordings/service';
import { idParams, playbackView } from '../../protocol';
import { route, type RouteSpec } from '../route';

export function recordingRoutes(recordings: RecordingService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/seminars/:id/playback',
      tag: 'recordings',
      access: 'public',
      summary:
        'Signed HLS playback of the seminar: live while it runs, the finished recording after; with chapters, chat and questions on the timeline',
      params: idParams,
      response: playbackView,
      errors: { 401: ['unauthorized'], 403: ['not_allowed_to_watch', 'banned'], 404: ['seminar_not_found', 'recording_not_found'] },
      handler: ({ actor, params }) => recordings.playback(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/recordings/unattached',
      tag: 'recordings',
      access: 'seminars:manage',
      summary: 'Finished recordings not yet part of a course (draft lessons for staff): seminars’ recordings and uploaded videos',
      response: z.array(
        z.object({
          id: z.string(),
          origin: z.enum(['seminar', 'upload']),
          seminarId: z.string().nullable().meta({ description: 'Null for an uploaded video' }),
          durationSeconds: z.number().nullable(),
          startedAt: z.date(),
        }),
      ),
      handler: async ({ actor }) =>
        (await recordings.unattached(actor)).map((r) => ({
          id: r.id,
          origin: r.origin,
          seminarId: r.seminarId,
          durationSeconds: r.durationSeconds,
          startedAt: r.startedAt,
        })),
    }),
  ];
}
