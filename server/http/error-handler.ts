import type { ErrorRequestHandler, RequestHandler } from 'express';
import { NotFoundError, toErrorBody } from '../errors';
import { toAppError } from '../error-mapping';
import type { Logger } from '../logger';

/** What a 503 tells clients to wait: the embedded database restarts within seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** Errors become HTTP responses here, through the mapping both transports share (error-mapping.ts). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    const appError = toAppError(err);
    if (appError.status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    // Headers already out (a file half-sent): Express's own handler ends the connection.
    if (res.headersSent) return next(err);
    // What is left of a body over the limit is not worth reading on this connection.
    if (appError.status === 413) res.set('connection', 'close');
    // 503 is a passing state (the database restarting, the server stopping): say when to come back.
    if (appError.status === 503) res.set('retry-after', String(RETRY_AFTER_SECONDS));
    res.status(appError.status).json(toErrorBody(appError));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError('route_not_found', `No route for ${req.method} ${req.originalUrl.split('?')[0]}`));
};
