import { z } from 'zod';
import type { RecordingLibrary } from '../../recordings/library';
import type { RecordingService } from '../../recordings/service';
import {
  downloadLinkView,
  downloadQuery,
  idParams,
  page,
  playbackView,
  recordingListQuery,
  recordingView,
  renameRecordingBody,
  trimRecordingBody,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

/** Reads of the workspace's recordings per user per minute. */
export const RECORDING_READS = { name: 'recording-read', points: 120, durationSeconds: 60 };
/** Renames, cuts and deletions per user per minute: a person's pace, not a script's. */
export const RECORDING_CHANGES = { name: 'recording-change', points: 30, durationSeconds: 60 };
/** Download links per user per minute. */
export const RECORDING_DOWNLOAD_LINKS = { name: 'recording-download-link', points: 20, durationSeconds: 60 };
/** Requests for MP4s per address per minute: a download manager's Range requests fit, a loop does not. */
export const RECORDING_DOWNLOADS = { name: 'recording-download', points: 60, durationSeconds: 60 };

const ownErrors = { 403: ['not_own_recording'], 404: ['recording_not_found'] } as const;

export function recordingRoutes(recordings: RecordingService, library: RecordingLibrary): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/seminars/:id/playback',
      tag: 'recordings',
      access: 'public',
      summary:
        'Signed HLS playback of the seminar: live while it runs, the finished recording (as cut) after; with chapters, chat and questions on the timeline of what plays. An encore plays the recording of the seminar it repeats, once on air (409 encore_not_started before)',
      params: idParams,
      response: playbackView,
      errors: {
        401: ['unauthorized'],
        403: ['not_allowed_to_watch', 'banned'],
        404: ['seminar_not_found', 'recording_not_found'],
        409: ['encore_not_started'],
      },
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
          title: z.string().nullable(),
          durationSeconds: z.number().nullable(),
          startedAt: z.date(),
        }),
      ),
      handler: async ({ actor }) =>
        (await recordings.unattached(actor)).map((r) => ({
          id: r.id,
          origin: r.origin,
          seminarId: r.seminarId,
          title: r.title,
          durationSeconds: r.durationSeconds,
          startedAt: r.startedAt,
        })),
    }),
    route({
      method: 'get',
      path: '/recordings',
      tag: 'recordings',
      access: 'seminars:manage',
      summary: 'Recordings of the seminars I teach (admins: all), newest first',
      query: recordingListQuery,
      response: page(recordingView),
      rateLimit: RECORDING_READS,
      handler: ({ actor, query }) => library.list(actor, query),
    }),
    route({
      method: 'get',
      path: '/recordings/:id',
      tag: 'recordings',
      access: 'seminars:manage',
      summary: 'One recording, as the workspace shows it (its seminar’s lecturers and admins)',
      params: idParams,
      response: recordingView,
      errors: ownErrors,
      rateLimit: RECORDING_READS,
      handler: ({ actor, params }) => library.get(actor, params.id),
    }),
    route({
      method: 'patch',
      path: '/recordings/:id',
      tag: 'recordings',
      access: 'seminars:manage',
      summary: 'Renames the recording: the title its replay and lists show (empty: the seminar’s title again)',
      params: idParams,
      body: renameRecordingBody,
      response: recordingView,
      errors: ownErrors,
      rateLimit: RECORDING_CHANGES,
      handler: ({ actor, params, body }) => library.rename(actor, params.id, body.title),
    }),
    route({
      method: 'put',
      path: '/recordings/:id/trim',
      tag: 'recordings',
      access: 'seminars:manage',
      summary:
        'Cuts the replay to [startSeconds, endSeconds] of the recording, each moved to the nearest segment boundary (whole segments; [0, null] plays it whole again). The replay’s duration, its timeline, course lessons’ length and the MP4 follow',
      params: idParams,
      body: trimRecordingBody,
      response: recordingView,
      errors: { 400: ['trim_out_of_range', 'trim_empty'], ...ownErrors, 409: ['recording_not_ready'] },
      rateLimit: RECORDING_CHANGES,
      handler: ({ actor, params, body }) => library.trim(actor, params.id, body),
    }),
    route({
      method: 'delete',
      path: '/recordings/:id',
      tag: 'recordings',
      access: 'seminars:manage',
      summary:
        'Deletes the recording and its files. Refused while it is written or while a published course plays it; lessons of unpublished courses that play a seminar’s recording are removed from them; an uploaded video is refused (recording_in_use) while any course has it as a lesson',
      params: idParams,
      status: 204,
      errors: { ...ownErrors, 409: ['recording_in_progress', 'recording_in_published_course', 'recording_in_use'] },
      rateLimit: RECORDING_CHANGES,
      handler: async ({ actor, params }) => {
        await library.remove(actor, params.id);
      },
    }),
    route({
      method: 'get',
      path: '/recordings/:id/download',
      tag: 'recordings',
      access: 'seminars:manage',
      summary: 'A signed link (valid an hour) to the recording as one MP4, for its seminar’s lecturers and admins',
      params: idParams,
      response: downloadLinkView,
      errors: { ...ownErrors, 409: ['recording_not_ready'] },
      rateLimit: RECORDING_DOWNLOAD_LINKS,
      handler: ({ actor, params }) => library.downloadLink(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/recordings/:id/download.mp4',
      tag: 'recordings',
      access: 'public',
      summary:
        'The recording (as cut) as one MP4, remuxed from its HLS without transcoding on the first request and kept until it is cut again; the signed link from GET /recordings/{id}/download is the authorization',
      params: idParams,
      query: downloadQuery,
      contentType: 'video/mp4',
      attachment: '<title>.mp4',
      errors: {
        403: ['bad_signature'],
        404: ['recording_not_found', 'media_not_found'],
        409: ['recording_not_ready', 'recording_changed'],
        416: ['range_not_satisfiable'],
      },
      rateLimit: RECORDING_DOWNLOADS,
      handler: ({ params, query }) => library.download(params.id, query.exp, query.sig),
    }),
  ];
}
