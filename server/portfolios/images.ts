import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppError, UnsupportedMediaTypeError } from '../errors';
import { ITEM_WIDTHS, PHOTO_SIZES, PORTFOLIO_IMAGE_MAX_PIXELS } from '../protocol/portfolios';

// Images people upload to their profiles, checked and converted by sharp (libvips). What
// a file is comes from its bytes (sharp reads the header), never from its name or the
// Content-Type the browser guessed. Every rendition is a WebP with the orientation applied
// and no metadata: sharp writes none unless asked, so EXIF (GPS, camera serials) is gone.

/** Formats taken in. HEIC from iPhones is not: sharp's prebuilt libvips decodes AVIF but not HEVC (patents). */
const ACCEPTED = new Set(['jpeg', 'png', 'webp']);

export interface Rendition {
  bytes: Buffer;
  width: number;
  height: number;
  /** Names the rendition in its file name: 'w480', 's160'. */
  label: string;
}

export class ImageTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'image_too_large', message);
  }
}

/** The header's facts, or 415 image_unreadable / image_type_unsupported / image_heic_unsupported, or 413 for too many pixels. */
async function inspect(bytes: Buffer): Promise<{ width: number; height: number }> {
  let meta: Metadata;
  try {
    // The header alone, no pixels decoded: unlimited here so that a bomb is told apart (413) from a non-image (415).
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new UnsupportedMediaTypeError('image_unreadable', 'The file is not an image Lectern can read (JPEG, PNG or WebP)');
  }
  // HEIF with HEVC inside is what iPhones write (.heic); AVIF is HEIF with AV1, and simply not taken.
  if (meta.format === 'heif' && meta.compression === 'hevc')
    throw new UnsupportedMediaTypeError(
      'image_heic_unsupported',
      'HEIC/HEIF photos are not accepted; export the photo as JPEG (iPhone: Settings → Camera → Formats → Most Compatible)',
    );
  if (!ACCEPTED.has(meta.format))
    throw new UnsupportedMediaTypeError('image_type_unsupported', `A ${meta.format} image; send JPEG, PNG or WebP`);
  const { width, height } = meta;
  // Read from the header before a pixel is decoded: a small file that claims 30000×30000 is a decompression bomb.
  if (width * height > PORTFOLIO_IMAGE_MAX_PIXELS)
    throw new ImageTooLargeError(`The image is ${width}×${height}; at most ${PORTFOLIO_IMAGE_MAX_PIXELS / 1e6} megapixels are accepted`);
  return { width, height };
}

async function render(bytes: Buffer, label: string, resize: (image: Sharp) => Sharp): Promise<Rendition> {
  try {
    // limitInputPixels again: the decoder itself refuses what the header understated; and
    // failOn stays sharp's strictest default ('warning'), so a truncated file is refused, not padded grey.
    const image = resize(sharp(bytes, { limitInputPixels: PORTFOLIO_IMAGE_MAX_PIXELS }).autoOrient());
    const { data, info } = await image.webp({ quality: 82 }).toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height, label };
  } catch (err) {
    if (err instanceof AppError) throw err;
    // A header that reads but pixels that do not (a truncated or corrupt file).
    throw new UnsupportedMediaTypeError('image_unreadable', 'The image could not be decoded; it may be damaged');
  }
}

/** A profile photo: square, cropped to the centre, at each PHOTO_SIZES. */
export async function photoRenditions(bytes: Buffer): Promise<Rendition[]> {
  await inspect(bytes);
  const out: Rendition[] = [];
  for (const size of PHOTO_SIZES)
    out.push(await render(bytes, `s${size}`, (i) => i.resize(size, size, { fit: 'cover', position: 'attention' })));
  return out;
}

/** A portfolio image: its proportions kept, at each ITEM_WIDTHS (never enlarged). */
export async function itemRenditions(bytes: Buffer): Promise<Rendition[]> {
  await inspect(bytes);
  const out: Rendition[] = [];
  for (const width of ITEM_WIDTHS) out.push(await render(bytes, `w${width}`, (i) => i.resize({ width, withoutEnlargement: true })));
  return out;
}
