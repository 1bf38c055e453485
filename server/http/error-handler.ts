import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, BadRequestError, NotFoundError, toErrorBody, type ErrorBody } from '../errors';
import type { Logger } from '../logger';

/** The one place where errors become HTTP responses, for the API and the Express side alike. */
export function errorResponse(
  err: unknown,
  logger: Logger,
  request: { method?: string | undefined; url?: string | undefined },
): { status: number; body: ErrorBody } {
  const appError = toAppError(err);
  if (appError.status >= 500) logger.error({ err, method: request.method, url: request.url }, 'request failed');
  return { status: appError.status, body: toErrorBody(appError) };
}

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
  return new AppError(500, 'internal', 'Internal server error');
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
