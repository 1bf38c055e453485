import {
  itemCaptionQuery,
  PORTFOLIO_IMAGE_MAX_BYTES,
  profileItemParams,
  profileParams,
  profileRefParams,
  profileView,
  reorderItemsBody,
  updateItemBody,
  updateProfileBody,
} from '../../protocol/portfolios';
import type { PortfolioService } from '../../portfolios/service';
import { route, type RouteSpec } from '../route';

/** Reading profiles: public pages, so counted per address for anonymous visitors. */
const PROFILE_READS = { name: 'profile-reads', points: 300, durationSeconds: 60 };
/** Edits: a person typing and dragging, not a script. */
const PROFILE_CHANGES = { name: 'profile-changes', points: 60, durationSeconds: 60 };
/** Uploads decode and re-encode images (CPU): a handful a minute is what a person does. */
const PROFILE_UPLOADS = { name: 'profile-uploads', points: 20, durationSeconds: 60 };

const IMAGE_ERRORS = {
  413: ['image_too_large'],
  415: ['image_unreadable', 'image_type_unsupported', 'image_heic_unsupported'],
} as const;
const EDIT_ERRORS = { 403: ['profile_not_yours', 'profile_not_eligible'], 404: ['profile_not_found'] } as const;

// What the image is comes from its bytes: the declared type only has to say "a file".
const image = {
  types: ['application/octet-stream', 'image/*'],
  maxBytes: PORTFOLIO_IMAGE_MAX_BYTES,
  description: 'The image file itself (JPEG, PNG or WebP, recognised by its bytes, sent as application/octet-stream or any image/* type)',
};

/** Lecturers' and designers' public profiles (issue 16). */
export function portfolioRoutes(portfolios: PortfolioService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/profiles/:ref',
      tag: 'profiles',
      access: 'public',
      summary:
        'A lecturer’s or designer’s profile with their public seminars, courses and recordings (a hidden one: its owner and staff only)',
      params: profileRefParams,
      response: profileView,
      errors: { 404: ['profile_not_found'] },
      rateLimit: PROFILE_READS,
      handler: ({ actor, params }) => portfolios.view(actor, params.ref),
    }),
    route({
      method: 'patch',
      path: '/profiles/:userId',
      tag: 'profiles',
      access: 'profile',
      summary: 'Change a profile (its owner, or staff); staff alone mark designers, which gives a learner a profile',
      params: profileParams,
      body: updateProfileBody,
      response: profileView,
      errors: { 403: [...EDIT_ERRORS[403], 'designer_staff_only'], 404: EDIT_ERRORS[404], 409: ['profile_slug_taken'] },
      rateLimit: PROFILE_CHANGES,
      handler: ({ actor, params, body }) => portfolios.update(actor, params.userId, body),
    }),
    route({
      method: 'put',
      path: '/profiles/:userId/photo',
      tag: 'profiles',
      access: 'profile',
      summary: 'Replace the photo: cropped square, 160 and 400 px WebP, metadata stripped',
      params: profileParams,
      file: image,
      response: profileView,
      errors: { ...EDIT_ERRORS, ...IMAGE_ERRORS },
      rateLimit: PROFILE_UPLOADS,
      handler: ({ actor, params, file }) => portfolios.setPhoto(actor, params.userId, file),
    }),
    route({
      method: 'delete',
      path: '/profiles/:userId/photo',
      tag: 'profiles',
      access: 'profile',
      status: 204,
      summary: 'Remove the photo and its files',
      params: profileParams,
      errors: EDIT_ERRORS,
      rateLimit: PROFILE_CHANGES,
      handler: ({ actor, params }) => portfolios.removePhoto(actor, params.userId),
    }),
    route({
      method: 'post',
      path: '/profiles/:userId/items',
      tag: 'profiles',
      access: 'profile',
      status: 201,
      summary: 'Add a portfolio image at the end: 480 and 1600 px wide WebP (never enlarged), metadata stripped',
      params: profileParams,
      query: itemCaptionQuery,
      file: image,
      response: profileView,
      errors: { ...EDIT_ERRORS, ...IMAGE_ERRORS, 409: ['portfolio_full'] },
      rateLimit: PROFILE_UPLOADS,
      handler: ({ actor, params, query, file }) => portfolios.addItem(actor, params.userId, file, query.caption),
    }),
    route({
      method: 'put',
      path: '/profiles/:userId/items/order',
      tag: 'profiles',
      access: 'profile',
      summary: 'Put the portfolio’s items in a new order',
      params: profileParams,
      body: reorderItemsBody,
      response: profileView,
      errors: { ...EDIT_ERRORS, 400: ['items_mismatch'] },
      rateLimit: PROFILE_CHANGES,
      handler: ({ actor, params, body }) => portfolios.reorder(actor, params.userId, body.itemIds),
    }),
    route({
      method: 'patch',
      path: '/profiles/:userId/items/:itemId',
      tag: 'profiles',
      access: 'profile',
      summary: 'Change a portfolio item’s caption',
      params: profileItemParams,
      body: updateItemBody,
      response: profileView,
      errors: { ...EDIT_ERRORS, 404: ['profile_not_found', 'portfolio_item_not_found'] },
      rateLimit: PROFILE_CHANGES,
      handler: ({ actor, params, body }) => portfolios.setCaption(actor, params.userId, params.itemId, body.caption),
    }),
    route({
      method: 'delete',
      path: '/profiles/:userId/items/:itemId',
      tag: 'profiles',
      access: 'profile',
      status: 204,
      summary: 'Remove a portfolio item and its files',
      params: profileItemParams,
      errors: { ...EDIT_ERRORS, 404: ['profile_not_found', 'portfolio_item_not_found'] },
      rateLimit: PROFILE_CHANGES,
      handler: ({ actor, params }) => portfolios.removeItem(actor, params.userId, params.itemId),
    }),
  ];
}
