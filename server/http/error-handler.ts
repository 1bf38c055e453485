import type { ErrorRequestHandler, RequestHandler } from 'express';
import { NotFoundError, toErrorBody, type ErrorBody } from '../errors';
import { toAppError } from '../error-mapping';
import type { Logger } from '../logger';

/** Errors become HTTP responses here, through the mapping both transports share (error-mapping.ts). */
export function errorResponse(
  err: unknown,
  logger: Logger,
  request: { method?: string | undefined; url?: string | undefined },
): { status: number; body: ErrorBody } {
  const appError = toAppError(err);
  if (appError.status >= 500) logger.error({ err, method: request.method, url: request.url }, 'request failed');
  return { status: appError.status, body: toErrorBody(appError) };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body } = errorResponse(err, logger, { method: req.method, url: req.originalUrl });
    res.status(status).json(body);
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError('route_not_found', `No route for ${req.method} ${req.path}`));
};
