import { z } from 'zod';
import { objectId } from './common';

// Slides of a live seminar (issue 15): the lecturer uploads a deck (PDF), Lectern renders its
// pages to images, the lecturer flips them in the studio and viewers see the current one. Each
// flip is stored with its offset on the recording's timeline, so the replay shows it in step.

/** The largest deck Lectern takes: a long lecture's PDF with images is a few tens of MB. */
export const DECK_MAX_BYTES = 50 * 1024 * 1024;
/** Pages per deck: rendering time and disk grow with them; a seminar's deck has tens. */
export const DECK_MAX_PAGES = 200;
/** Decks per seminar. */
export const DECKS_PER_SEMINAR = 20;
/** The width slides are rendered at (px), and their thumbnails'. */
export const SLIDE_WIDTH = 1280;
export const THUMB_WIDTH = 240;
/** Longest title kept per page (the first line of its text). */
export const SLIDE_TITLE_MAX = 200;
/** The content types a deck may be sent as (the bytes decide: %PDF- or a zip for PPTX). */
export const DECK_CONTENT_TYPES = ['application/pdf', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'] as const;

export const deckFileName = z.object({
  /** The file's name as the lecturer chose it: shown in the studio. */
  name: z.string().trim().min(1).max(200).optional(),
});

export const slidePage = z.object({
  /** 1-based. */
  page: z.number().int().min(1),
  /** The first non-empty line of the page's text; '' when it has none. */
  title: z.string(),
  imageUrl: z.string(),
  thumbUrl: z.string(),
});

export const deckView = z.object({
  id: z.string(),
  seminarId: z.string(),
  name: z.string(),
  pageCount: z.number().int().min(1),
  createdAt: z.iso.datetime(),
  pages: z.array(slidePage),
  /** When the signed image URLs stop working: ask again after. */
  expiresAt: z.iso.datetime(),
});
export type DeckView = z.infer<typeof deckView>;

/** The slide everyone in the room sees now; null before the lecturer shows one. */
export const currentSlide = z
  .object({
    deckId: z.string(),
    page: z.number().int().min(1),
    pageCount: z.number().int().min(1),
    title: z.string(),
    imageUrl: z.string(),
    /** Milliseconds from the live start. */
    offsetMs: z.number(),
  })
  .nullable();
export type CurrentSlide = z.infer<typeof currentSlide>;

export const slideClientEvents = {
  /** The lecturer shows a page of one of the seminar's decks to the room (the seminar must be live). */
  'slide:show': z.object({ deckId: objectId, page: z.number().int().min(1).max(DECK_MAX_PAGES) }),
  /** The slide shown now, for a connection that joined after it was shown. */
  'slide:current': z.object({}),
} as const;

/** A slide change on the replay's timeline: from offsetMs on, this page shows. */
export const slideChange = z.object({
  offsetMs: z.number(),
  deckId: z.string(),
  page: z.number().int().min(1),
  title: z.string(),
  imageUrl: z.string(),
});
export type SlideChange = z.infer<typeof slideChange>;
