import path from 'node:path';
import { Router } from 'express';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import type { RecordingService } from '../recordings/service';

// replay-<start>-<end>.m3u8: the replay as its lecturer cut it (media/replay-cut.ts).
const FILE = /^(?:screen-\d{1,3}\/)?(?:index\.m3u8|seg_\d{5}\.ts|poster\.jpg)$|^replay-\d{1,9}-\d{1,9}\.m3u8$/;
const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.jpg': 'image/jpeg',
};

/**
 * Recording files behind signed, expiring, per-recording paths:
 * /media/<recordingId>/<exp>/<sig>/<file>. Only the file names a recording
 * has are accepted, so no path can leave its directory. Segments never change
 * (cached for a year); a playlist still being written is never cached.
 */
export function mediaRouter(recordings: RecordingService): Router {
  const router = Router();
  router.get('/media/:recordingId/:exp/:sig/*file', async (req, res, next) => {
    try {
      const { recordingId, exp, sig } = req.params as { recordingId: string; exp: string; sig: string };
      const file = ([] as string[]).concat((req.params as unknown as { file: string[] | string }).file).join('/');
      if (!/^[0-9a-f]{24}$/.test(recordingId) || !FILE.test(file)) throw new BadRequestError('bad_media_path', 'No such media file');
      if (!recordings.verifyMediaPath(recordingId, exp, sig))
        throw new ForbiddenError('bad_signature', 'The media link is invalid or has expired');
      const found = await recordings.recordingDir(recordingId);
      if (!found) throw new NotFoundError('recording_not_found', 'No such recording');
      const full = path.resolve(found.dir, file);
      if (!full.startsWith(path.resolve(found.dir) + path.sep)) throw new BadRequestError('bad_media_path', 'No such media file');
      const ext = path.extname(file);
      const playlist = ext === '.m3u8';
      res.setHeader('Content-Type', TYPES[ext]!);
      res.setHeader('Cache-Control', playlist ? (found.live ? 'no-cache' : 'private, max-age=60') : 'private, max-age=31536000, immutable');
      // No validators on a playlist: it changes several times a second, and Last-Modified has a
      // one-second resolution, so a 304 would leave a browser with a stale copy (which a finished
      // playlist's max-age then keeps): a live viewer would never see the end.
      res.sendFile(full, { dotfiles: 'deny', headers: {}, lastModified: !playlist, etag: !playlist }, (err) => {
        if (err && !res.headersSent) next(new NotFoundError('media_not_found', 'No such media file'));
      });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
