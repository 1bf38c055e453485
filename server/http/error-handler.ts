import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, BadRequestError, NotFoundError, toErrorBody } from '../errors';
import type { Logger } from '../logger';

/** The one place where errors become HTTP responses. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new BadRequestError(
      'invalid_request',
      'The request does not match the expected shape',
      err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  if (err instanceof URIError) {
    return new BadRequestError('malformed_path', 'The path is not valid percent-encoding');
  }
  // body-parser marks malformed JSON with type 'entity.parse.failed'.
  if (typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.parse.failed') {
    return new BadRequestError('malformed_json', 'The request body is not valid JSON');
  }
  if (typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.too.large') {
    return new AppError(413, 'payload_too_large', 'The request body is too large');
  }
  return new AppError(500, 'internal', 'Internal server error');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = toAppError(err);
    if (appError.status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    res.status(appError.status).json(toErrorBody(appError));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError('route_not_found', `No route for ${req.method} ${req.path}`));
};
