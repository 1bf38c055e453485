import { z } from 'zod';
import { idParams } from '../../protocol';
import { DECK_CONTENT_TYPES, DECK_MAX_BYTES, DECK_MAX_PAGES, deckFileName, deckView } from '../../protocol/slides';
import type { SlideService } from '../../slides/service';
import { route, type RouteSpec } from '../route';

/** Uploads per lecturer per hour: a seminar has a deck or two, re-uploaded after a fix or so. */
const DECK_UPLOADS_PER_HOUR = 30;
/** Deletions per lecturer per hour: tidying up a seminar's decks, not a script. */
const DECK_DELETIONS_PER_HOUR = 60;

/** The seminar's decks: its lecturers and admins upload and list them (the studio). */
export function slideRoutes(slides: SlideService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/seminars/:id/decks',
      tag: 'slides',
      access: 'seminars:manage',
      summary: `Uploads a slide deck: the body is the file itself (PDF; PPTX where the server has LibreOffice), at most ${DECK_MAX_BYTES / 1024 / 1024} MB and ${DECK_MAX_PAGES} pages. Its pages are rendered to images and their titles read before anything is stored; a file that cannot be rendered leaves nothing behind.`,
      params: idParams,
      query: deckFileName,
      // The deck's kind comes from its bytes; the declared type only has to say "a deck" or "a file".
      file: {
        types: [...DECK_CONTENT_TYPES, 'application/octet-stream'],
        maxBytes: DECK_MAX_BYTES,
        description: 'The deck itself: a PDF, or a PPTX where the server has LibreOffice',
      },
      status: 201,
      response: deckView,
      errors: {
        400: ['deck_empty', 'deck_unreadable', 'deck_render_timeout'],
        403: ['not_own_seminar'],
        404: ['seminar_not_found'],
        409: ['seminar_over', 'too_many_decks'],
        413: ['deck_too_many_pages'],
        415: ['deck_unsupported_type', 'deck_pptx_unavailable'],
      },
      rateLimit: { name: 'deck-upload', points: DECK_UPLOADS_PER_HOUR, durationSeconds: 3600 },
      handler: ({ actor, params, query, file }) => slides.upload(actor, params.id, file, query.name),
    }),
    route({
      method: 'get',
      path: '/seminars/:id/decks',
      tag: 'slides',
      access: 'seminars:manage',
      summary: 'The seminar’s decks with signed addresses of their page images and thumbnails (the studio)',
      params: idParams,
      response: z.array(deckView),
      errors: { 403: ['not_own_seminar'], 404: ['seminar_not_found'] },
      handler: ({ actor, params }) => slides.list(actor, params.id),
    }),
    route({
      method: 'delete',
      path: '/decks/:id',
      tag: 'slides',
      access: 'seminars:manage',
      summary:
        'Deletes a deck with its page images; its pages also leave the seminar’s replay. Refused (deck_showing) while one of its pages is on screen in the live seminar',
      params: idParams,
      status: 204,
      errors: { 403: ['not_own_seminar'], 404: ['deck_not_found', 'seminar_not_found'], 409: ['deck_showing'] },
      rateLimit: { name: 'deck-delete', points: DECK_DELETIONS_PER_HOUR, durationSeconds: 3600 },
      handler: async ({ actor, params }) => {
        await slides.remove(actor, params.id);
      },
    }),
  ];
}
