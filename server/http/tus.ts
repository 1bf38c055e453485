import type { IncomingMessage } from 'node:http';
import { Server as TusServer, type DataStore } from '@tus/server';
import { Router } from 'express';
import type { Actor } from '../accounts/grants';
import { AppError, ConflictError, NotFoundError, toErrorBody } from '../errors';
import { toAppError } from '../error-mapping';
import type { Logger } from '../logger';
import type { RateLimits } from '../rate-limits';
import type { UploadService } from '../uploads/service';
import { API_PREFIX } from './api';

/** Where tus uploads are created (POST) and continued (HEAD, PATCH on /<id>). */
export const TUS_PATH = `${API_PREFIX}/uploads/files`;
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const RATE_LIMITED = { code: 'rate_limited', message: 'Too many requests; slow down' };

/** tus's own refusals (plain text) as the API's errors: a status and a code. */
const TUS_CODES: Record<number, string> = {
  404: 'upload_not_found',
  409: 'upload_offset_conflict',
  410: 'upload_not_found',
  413: 'upload_too_large',
};

export interface TusUploadDeps {
  uploads: UploadService;
  store: DataStore;
  maxBytes: number;
  actorOf: (authorization: string | undefined) => Actor;
  limits: RateLimits;
  logger: Logger;
}

function errorResponse(err: AppError): { status_code: number; body: string } {
  return { status_code: err.status, body: JSON.stringify(toErrorBody(err)) };
}

/**
 * Resumable uploads of lesson videos through the tus protocol (@tus/server with
 * @tus/file-store). Before tus sees a request, the caller is authenticated with the API's
 * bearer token, must be allowed to upload, is rate limited, and may only touch an upload
 * of their own; tus then does the protocol. Creating an upload records its job (name,
 * size); the last byte queues packaging. Only creation (POST), HEAD and PATCH are served:
 * reading a file back or terminating it through tus is not (DELETE /uploads/:id cancels).
 */
export function tusUploadRouter(deps: TusUploadDeps): Router {
  const actors = new WeakMap<IncomingMessage, Actor>();
  const nodeRequest = (req: unknown) => (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  const tus = new TusServer({
    path: TUS_PATH,
    datastore: deps.store,
    maxSize: deps.maxBytes,
    relativeLocation: true,
    // Same origin only: the pages upload from where they are served.
    allowedOrigins: [],
    onUploadCreate: async (req, upload) => {
      const node = nodeRequest(req);
      const actor = node ? actors.get(node) : undefined;
      try {
        if (!actor) throw new AppError(500, 'internal', 'No caller for an upload');
        await deps.uploads.created(actor, upload.id, { fileName: upload.metadata?.filename ?? undefined, sizeBytes: upload.size });
      } catch (err) {
        // tus answers a thrown { status_code, body } as it is.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw errorResponse(toAppError(err));
      }
      return {};
    },
    onUploadFinish: async (_req, upload) => {
      await deps.uploads.received(upload.id);
      return {};
    },
    onResponseError: (_req, err) => {
      if (err instanceof Error && !('status_code' in err)) {
        const appError = toAppError(err);
        if (appError.status >= 500) deps.logger.error({ err }, 'tus upload request failed');
        return errorResponse(appError);
      }
      const { status_code, body } = err as { status_code: number; body: string };
      // Already one of ours (JSON from a hook).
      if (body.startsWith('{')) return { status_code, body };
      const code = TUS_CODES[status_code] ?? (status_code >= 500 ? 'internal' : 'upload_protocol_error');
      return errorResponse(new AppError(status_code, code, body.trim()));
    },
  });
  const createLimiter = deps.limits.limiter({ name: 'upload-create', points: 20, durationSeconds: 3600 });
  const requestLimiter = deps.limits.limiter({ name: 'upload-request', points: 600, durationSeconds: 60 });

  const router = Router();
  router.use(TUS_PATH, async (req, res, next) => {
    res.locals.route = TUS_PATH;
    try {
      if (!['OPTIONS', 'POST', 'HEAD', 'PATCH'].includes(req.method)) {
        res.set('Allow', 'HEAD, OPTIONS, PATCH, POST');
        throw new AppError(405, 'method_not_allowed', `${req.method} is not served here; see the Allow header`);
      }
      if (req.method !== 'OPTIONS') {
        const actor = deps.actorOf(req.headers.authorization);
        deps.uploads.assertMayUpload(actor);
        await deps.limits.consume(req.method === 'POST' ? createLimiter : requestLimiter, `u:${actor.userId}`, RATE_LIMITED);
        const id = req.path.replace(/^\/|\/$/g, '');
        if (req.method === 'POST') {
          if (id !== '') throw new NotFoundError('upload_not_found', 'Create an upload at the collection, not at an id');
        } else {
          if (!UPLOAD_ID.test(id)) throw new NotFoundError('upload_not_found', 'No such upload');
          const job = await deps.uploads.owned(actor, id);
          if (req.method === 'PATCH' && job.errorCode === 'upload_expired')
            throw new ConflictError('upload_expired', 'This upload was abandoned too long and its part removed; upload the file again');
          if (req.method === 'PATCH' && job.state !== 'uploading')
            throw new ConflictError('upload_complete', 'This upload is complete; nothing more can be sent to it');
        }
        actors.set(req, actor);
      }
      await tus.handle(req, res);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
