import type { z, ZodType } from 'zod';
import { has, type Actor, type Grant } from '../accounts/grants';
import { ForbiddenError, UnauthorizedError } from '../errors';

/**
 * Who may call a route: anyone, any signed-in user, or a holder of one grant.
 * The domain checks ownership on top of this.
 */
export type Access = 'public' | 'user' | Grant;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Error statuses that a route can answer (405 is answered for a path, not a route). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 416 | 429 | 500 | 502 | 503;

export interface RouteRateLimit {
  /** Names the limit in keys, logs and metrics: 'notifications-read'. */
  name: string;
  points: number;
  durationSeconds: number;
}

export interface RouteContext<P, Q, B> {
  actor: Actor;
  params: P;
  query: Q;
  body: B;
  /** The file sent as the body, for a route with an `upload` (read whole, up to its limit). */
  file?: Buffer;
  /** The caller's address (req.ip: X-Forwarded-For is believed only from the proxies TRUST_PROXY names). */
  clientIp: string;
}

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** Express style, under /api/v1: /seminars/:id */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The body is a file, not JSON: read whole as bytes (any content type; the domain checks the
   * bytes themselves) up to maxBytes, past which it is 413 payload_too_large. Never with `body`.
   */
  upload?: { contentTypes: readonly string[]; maxBytes: number };
  /** Status and schema of a success; `text/calendar` and `text/csv` bodies are strings. */
  status?: 200 | 201 | 202 | 204;
  response?: ZodType;
  /** `video/mp4`: the handler resolves to a SentFile, served with Range support (206, 416). */
  contentType?: 'application/json' | 'text/calendar' | 'text/csv' | 'video/mp4';
  /** Sent as a download with this file name (on success only). */
  attachment?: string;
  /**
   * The errors the handler's domain code can answer, by status, with their codes. Those of
   * the inputs, access, body and database are added from the rest of the spec (http/openapi.ts).
   */
  errors?: Partial<Record<ErrorStatus, readonly string[]>>;
  /** Most of the traffic (heartbeats): tried before every other route. Fixed paths only. */
  hot?: boolean;
  /**
   * At most `points` calls in `durationSeconds` per signed-in user (per address for anonymous
   * callers), counted before the handler runs; past it 429 `rate_limited` with retryAfterSeconds.
   */
  rateLimit?: RouteRateLimit;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

/** A file on disk as a route's answer (contentType video/mp4): sent as a download with this name. */
export interface SentFile {
  file: string;
  fileName: string;
}

export function route<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec;
}

export function authorize(actor: Actor, access: Access): void {
  if (access === 'public') return;
  if (actor.kind !== 'user') throw new UnauthorizedError();
  if (access !== 'user' && !has(actor, access)) throw new ForbiddenError('missing_grant', `This needs the ${access} grant`);
}
