import { z } from 'zod';
import { uploadParams, uploadSettingsView, uploadView } from '../../protocol';
import { UPLOAD_EXTENSIONS, type UploadService } from '../../uploads/service';
import { route, type RouteSpec } from '../route';
import { TUS_PATH } from '../tus';

export function uploadRoutes(uploads: UploadService, settings: { maxBytes: number; chunkBytes: number }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/uploads',
      tag: 'uploads',
      access: 'seminars:manage',
      summary: 'The caller’s uploaded lesson videos, newest first (at most 100): uploading, processing, ready or failed with the reason',
      response: z.array(uploadView),
      rateLimit: { name: 'uploads-list', points: 120, durationSeconds: 60 },
      handler: ({ actor }) => uploads.list(actor),
    }),
    route({
      method: 'get',
      path: '/uploads/settings',
      tag: 'uploads',
      access: 'seminars:manage',
      summary: `Where videos are uploaded (the tus endpoint, ${TUS_PATH}: POST to create, HEAD and PATCH to resume, with the same bearer token) and the largest file`,
      response: uploadSettingsView,
      rateLimit: { name: 'uploads-list', points: 120, durationSeconds: 60 },
      handler: async () => ({
        endpoint: TUS_PATH,
        maxBytes: settings.maxBytes,
        chunkBytes: settings.chunkBytes,
        extensions: UPLOAD_EXTENSIONS,
      }),
    }),
    route({
      method: 'delete',
      path: '/uploads/:id',
      tag: 'uploads',
      access: 'seminars:manage',
      summary:
        'Takes an upload off the list: cancels one still uploading (its file removed), forgets a failed one, deletes a finished one with its recording and files (409 recording_in_use while a course has it as a lesson: nothing is deleted)',
      params: uploadParams,
      status: 204,
      errors: { 404: ['upload_not_found'], 409: ['upload_busy', 'recording_in_use'] },
      rateLimit: { name: 'uploads-dismiss', points: 60, durationSeconds: 60 },
      handler: async ({ actor, params }) => {
        await uploads.dismiss(actor, params.id);
      },
    }),
  ];
}
