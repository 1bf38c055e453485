import express, { Router } from 'express';
import { PROFILE_IMAGES_URL, type ProfileImageFiles } from '../portfolios/files';

/**
 * Profile photos and portfolio images. Their names are random and never reused (a new
 * upload is a new name), so browsers and proxies keep them for a year without asking again.
 */
export function profileImagesRouter(files: ProfileImageFiles): Router {
  const router = Router();
  router.use(
    PROFILE_IMAGES_URL,
    express.static(files.dir, {
      index: false,
      dotfiles: 'deny',
      redirect: false,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => res.setHeader('Content-Type', 'image/webp'),
    }),
  );
  return router;
}
