import { z } from 'zod';

/** A tus upload's id: the name of its file while it arrives. */
export const uploadId = z.string().regex(/^[0-9a-f]{32}$/, 'must be a 32-character hex upload id');
export const uploadParams = z.object({ id: uploadId });

export const uploadView = z.object({
  id: uploadId,
  fileName: z.string(),
  sizeBytes: z.number().int(),
  receivedBytes: z.number().int().meta({ description: 'Bytes the server holds: all of them once the upload is complete' }),
  state: z.enum(['uploading', 'processing', 'ready', 'failed']),
  progress: z.number().min(0).max(1).meta({ description: 'Packaging’s share done (0–1) while processing; 1 when ready' }),
  errorCode: z.string().nullable().meta({
    description: 'Why it failed, e.g. upload_unreadable, upload_no_video, upload_packaging_failed, upload_expired (abandoned half-way)',
  }),
  recordingId: z.string().nullable().meta({ description: 'The packaged recording, once ready: attach it to a course as an upload lesson' }),
  createdAt: z.iso.datetime(),
});
export type UploadView = z.infer<typeof uploadView>;

/** What the upload page needs to start: where tus uploads go and how large a file may be. */
export const uploadSettingsView = z.object({
  endpoint: z.string(),
  maxBytes: z.number().int(),
  chunkBytes: z.number().int().meta({ description: 'The size of one PATCH: a dropped connection costs at most this much' }),
  extensions: z.array(z.string()),
});
export type UploadSettingsView = z.infer<typeof uploadSettingsView>;
