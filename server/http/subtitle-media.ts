import { Router } from 'express';
import { ForbiddenError, NotFoundError } from '../errors';
import type { Recording } from '../recordings/model';
import { SUBTITLE_MEDIA_FILE, type SubtitleService } from '../subtitles/service';

export interface SubtitleMediaDeps {
  subtitles: SubtitleService;
  /** The media URL signature (recordings' MediaUrlSigner): the same signed prefix as the recording's other files. */
  verify(recordingId: string, exp: string, sig: string): boolean;
  recording(id: string): Promise<Recording | null>;
}

/**
 * A recording's subtitle files beside its media, under the same signed, expiring prefix:
 * /media/<recordingId>/<exp>/<sig>/subtitled-<cut>.m3u8 (the master playlist),
 * subtitles-<lang>-<cut>.m3u8, .vtt and .json (the transcript). They are made from the stored
 * track and the recording's current cut on each request, so they are never cached; any other
 * name goes on to the media router.
 */
export function subtitleMediaRouter(deps: SubtitleMediaDeps): Router {
  const router = Router();
  router.get('/media/:recordingId/:exp/:sig/:file', async (req, res, next) => {
    try {
      const { recordingId, exp, sig, file } = req.params;
      if (!/^[0-9a-f]{24}$/.test(recordingId) || !SUBTITLE_MEDIA_FILE.test(file)) return next();
      if (!deps.verify(recordingId, exp, sig)) throw new ForbiddenError('bad_signature', 'The media link is invalid or has expired');
      const recording = await deps.recording(recordingId);
      if (!recording) throw new NotFoundError('recording_not_found', 'No such recording');
      const media = await deps.subtitles.media(recording, file);
      if (!media) throw new NotFoundError('media_not_found', 'No such media file');
      res.setHeader('Content-Type', media.type);
      res.setHeader('Cache-Control', 'private, no-cache');
      res.send(media.body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
