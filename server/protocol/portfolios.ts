import { z } from 'zod';
import { objectId } from './common';

// Lecturer and designer profiles (issue 16): a public page per person, with a photo,
// a bio, links and portfolio images. Images arrive as raw request bodies (not JSON)
// and are checked by their bytes; see server/portfolios/images.ts.

/** The largest image file accepted, in bytes (a phone's full-size JPEG fits). */
export const PORTFOLIO_IMAGE_MAX_BYTES = 15 * 1024 * 1024;
/** The largest image accepted, in pixels (width × height): a decompression bomb is refused before it is decoded. */
export const PORTFOLIO_IMAGE_MAX_PIXELS = 50_000_000;
/** What a photo and a portfolio item are turned into, in pixels (square photos; items by width). */
export const PHOTO_SIZES = [160, 400] as const;
export const ITEM_WIDTHS = [480, 1600] as const;
export const PORTFOLIO_MAX_ITEMS = 30;
export const PROFILE_MAX_LINKS = 10;

/** A slug is the profile's address (/people/<slug>); a 24-hex id is the user's id, so a slug cannot look like one. */
export const profileSlug = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be latin letters, digits and single hyphens')
  .refine((s) => !/^[0-9a-f]{24}$/.test(s), 'must not look like a user id');

export const profileRefParams = z.object({
  ref: z
    .string()
    .max(40)
    .regex(/^[a-z0-9-]+$/i, 'must be a slug or a user id')
    .meta({ description: 'The profile’s slug, or its owner’s user id' }),
});
export const profileParams = z.object({ userId: objectId });
export const profileItemParams = z.object({ userId: objectId, itemId: objectId });

export const profileLink = z.strictObject({
  label: z.string().trim().min(1).max(80),
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .max(500)
    .meta({ description: 'http or https only' }),
});
export type ProfileLink = z.infer<typeof profileLink>;

export const bioFormat = z.enum(['text', 'markdown']);

export const updateProfileBody = z
  .strictObject({
    slug: profileSlug
      .nullable()
      .meta({ description: 'Null: the profile is at /people/<user id>. 409 profile_slug_taken if another has it.' }),
    headline: z.string().trim().max(200),
    bio: z.string().trim().max(5000),
    bioFormat,
    links: z.array(profileLink).max(PROFILE_MAX_LINKS),
    hidden: z.boolean().meta({ description: 'Hidden: only its owner and staff see the page' }),
    designer: z.boolean().meta({ description: 'Staff only (403 designer_staff_only otherwise): marks a designer of the fashion track' }),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'must change something');
export type UpdateProfileBody = z.infer<typeof updateProfileBody>;

export const itemCaptionQuery = z.object({
  caption: z.string().trim().max(300).default(''),
});
export const updateItemBody = z.strictObject({ caption: z.string().trim().max(300) });
export const reorderItemsBody = z.strictObject({
  itemIds: z
    .array(objectId)
    .max(PORTFOLIO_MAX_ITEMS)
    .meta({ description: 'Every item id of the profile exactly once, in the new order (400 items_mismatch otherwise)' }),
});

/** One rendition of an image: its URL and its width in pixels, for an <img srcset>. */
export const imageRendition = z.object({ url: z.string(), width: z.number().int().positive(), height: z.number().int().positive() });
export type ImageRendition = z.infer<typeof imageRendition>;

export const portfolioItemView = z.object({
  id: objectId,
  caption: z.string(),
  /** Smallest first. */
  images: z.array(imageRendition),
});
export type PortfolioItemView = z.infer<typeof portfolioItemView>;

const listedSeminar = z.object({ id: objectId, title: z.string(), startsAt: z.iso.datetime(), timeZone: z.string(), status: z.string() });
const listedCourse = z.object({ id: objectId, title: z.string() });
const listedRecording = z.object({ seminarId: objectId, title: z.string(), durationSeconds: z.number().nullable() });

export const profileView = z.object({
  userId: objectId,
  slug: z.string().nullable(),
  displayName: z.string(),
  headline: z.string(),
  bio: z.string(),
  bioFormat,
  /** The bio rendered (sanitized Markdown, or the text's paragraphs), for the page. */
  bioHtml: z.string(),
  links: z.array(profileLink),
  hidden: z.boolean(),
  designer: z.boolean(),
  lecturer: z.boolean(),
  /** Smallest first; null without a photo. */
  photo: z.array(imageRendition).nullable(),
  items: z.array(portfolioItemView),
  /** Public ones only, unless the caller is the owner or staff. */
  seminars: z.array(listedSeminar),
  courses: z.array(listedCourse),
  recordings: z.array(listedRecording),
  /** Whether the caller may change it (owner or staff). */
  editable: z.boolean(),
  updatedAt: z.iso.datetime().nullable(),
});
export type ProfileView = z.infer<typeof profileView>;
