import path from 'node:path';
import { Router } from 'express';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import type { SlideService } from '../slides/service';

const FILE = /^(?:slide|thumb)-\d{1,3}\.png$/;

/**
 * Rendered slides behind signed, expiring, per-deck paths: /media/slides/<deckId>/<exp>/<sig>/<file>.
 * The signature is handed out only to who may see the deck (the seminar's room, its replay, its
 * lecturers), as recording files are. A deck's images never change: cached for as long as the link lives.
 */
export function slideImageRouter(slides: SlideService): Router {
  const router = Router();
  router.get('/media/slides/:deckId/:exp/:sig/:file', (req, res, next) => {
    try {
      const { deckId, exp, sig, file } = req.params;
      if (!/^[0-9a-f]{24}$/.test(deckId) || !FILE.test(file)) throw new BadRequestError('bad_media_path', 'No such media file');
      if (!slides.verify(deckId, exp, sig)) throw new ForbiddenError('bad_signature', 'The media link is invalid or has expired');
      res.setHeader('Content-Type', 'image/png');
      res.setHeader('Cache-Control', 'private, max-age=3600, immutable');
      res.sendFile(path.join(slides.deckDir(deckId), file), { dotfiles: 'deny' }, (err) => {
        if (err && !res.headersSent) next(new NotFoundError('media_not_found', 'No such media file'));
      });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
