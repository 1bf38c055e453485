import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredImage } from './model';
import type { Rendition } from './images';

/** Where profile images are served from (http/profile-images.ts mounts the folder there). */
export const PROFILE_IMAGES_URL = '/media/profiles';

/**
 * Profile images on disk: DATA_DIR/profiles/<userId>/<random>-<label>.webp. The names are
 * random and never reused, so a file's URL can be cached for good (immutable), and a replaced
 * or deleted image is a different URL.
 */
export class ProfileImageFiles {
  constructor(readonly dir: string) {}

  /**
   * Writes every rendition or none: each goes to a temporary name first and is renamed into
   * place, and whatever was written is removed if any write fails.
   */
  async write(userId: string, renditions: Rendition[]): Promise<StoredImage[]> {
    const folder = path.join(this.dir, userId);
    await mkdir(folder, { recursive: true });
    const stem = randomBytes(12).toString('hex');
    const stored: StoredImage[] = [];
    try {
      for (const r of renditions) {
        const file = `${stem}-${r.label}.webp`;
        const temp = path.join(folder, `.${file}.part`);
        // Pushed first: a half-written temporary file is cleaned up too.
        stored.push({ file, width: r.width, height: r.height });
        await writeFile(temp, r.bytes);
        await rename(temp, path.join(folder, file));
      }
      return stored;
    } catch (err) {
      await this.remove(userId, stored);
      throw err;
    }
  }

  /** Removes the files (and any temporary file of theirs); missing ones are no error. */
  async remove(userId: string, images: readonly StoredImage[]): Promise<void> {
    const folder = path.join(this.dir, userId);
    for (const image of images) {
      await rm(path.join(folder, image.file), { force: true });
      await rm(path.join(folder, `.${image.file}.part`), { force: true });
    }
  }

  url(userId: string, image: StoredImage): string {
    return `${PROFILE_IMAGES_URL}/${userId}/${image.file}`;
  }
}
