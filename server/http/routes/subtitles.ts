import { SUBTITLE_MAX_BYTES, SUBTITLE_MEDIA_TYPES, subtitleParams, subtitleTrackView } from '../../protocol';
import type { SubtitleService } from '../../subtitles/service';
import { route, type RouteSpec } from '../route';

/** Subtitle uploads and deletions per user per minute: a lecturer fixing a file and trying again, not a script. */
export const SUBTITLE_CHANGES = { name: 'subtitle-change', points: 20, durationSeconds: 60 };

const ownErrors = { 403: ['not_own_recording'], 404: ['recording_not_found'] } as const;

export function subtitleRoutes(subtitles: SubtitleService): RouteSpec[] {
  return [
    route({
      method: 'put',
      path: '/recordings/:id/subtitles/:language',
      tag: 'recordings',
      access: 'seminars:manage',
      summary:
        'Uploads the recording’s subtitles in one language (ru or en), replacing any: WebVTT or SRT, in UTF-8 (a byte-order mark is fine), UTF-16 with its byte-order mark, or Windows-1251, as the raw body. Cue times are those of the replay as it plays (as cut, as in the downloaded MP4). Stored as WebVTT; the replay offers it as an HLS subtitle track and a transcript. A file that does not parse is refused whole (subtitles_invalid names its line) and nothing is written',
      params: subtitleParams,
      file: {
        types: SUBTITLE_MEDIA_TYPES,
        maxBytes: SUBTITLE_MAX_BYTES,
        description: 'The subtitle file as it is: WebVTT (starting with WEBVTT) or SRT',
      },
      response: subtitleTrackView,
      errors: {
        400: ['subtitles_invalid', 'subtitles_empty', 'subtitles_not_text', 'subtitles_too_many_cues'],
        ...ownErrors,
        409: ['recording_not_ready'],
      },
      rateLimit: SUBTITLE_CHANGES,
      handler: ({ actor, params, file }) => subtitles.upload(actor, params.id, params.language, file),
    }),
    route({
      method: 'delete',
      path: '/recordings/:id/subtitles/:language',
      tag: 'recordings',
      access: 'seminars:manage',
      summary: 'Deletes the recording’s subtitles in that language (nothing when it has none)',
      params: subtitleParams,
      status: 204,
      errors: ownErrors,
      rateLimit: SUBTITLE_CHANGES,
      handler: async ({ actor, params }) => {
        await subtitles.remove(actor, params.id, params.language);
      },
    }),
  ];
}
