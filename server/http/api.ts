import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Actor } from '../accounts/grants';
import path from 'node:path';
import { AppError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import type { RateLimits } from '../rate-limits';
import { isTable, type Table } from '../tables';
import { authorize, type RouteFile, type RouteSpec, type SentFile } from './route';

export const API_PREFIX = '/api/v1';
/**
 * The largest JSON body the API reads: both the bytes that arrive (a compressed body's as sent)
 * and what gzip, deflate or br decode them to.
 */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface ApiOptions {
  routes: RouteSpec[];
  /** The caller from the Authorization header; a present but bad token throws. */
  actorOf: (authorization: string | undefined) => Actor;
  /** Parse every response with its schema too (tests), so the schemas cannot drift. */
  checkResponses: boolean;
  /** Where the routes' rate limits count; a route with a rateLimit needs it. */
  limits?: RateLimits;
}

// express.json's rules: application/json only, a UTF charset, gzip/deflate/br decoded, the limit
// on the decoded size, an object or array at the top. Anything else is no body: the schema sees {}.
const jsonBody = express.json({ limit: BODY_LIMIT_BYTES, strict: true });

/**
 * express.json bounds what a body decodes to, not what arrives: a compressed stream that decodes
 * to little (empty deflate blocks) is read for as long as the client sends it, and after any
 * refusal body-parser reads the rest of the request before it answers. So the bytes that arrive
 * are bounded here too: a declared length over the limit is refused before a byte is read, and
 * a body that grows past it is refused the moment it does. Either 413 closes the connection
 * (error-handler.ts), so what the client still sends is never read.
 */
function readBody(req: Request, res: Response, parse: RequestHandler = jsonBody, limit = BODY_LIMIT_BYTES): Promise<void> {
  const tooLarge = () => new PayloadTooLargeError(`The request body is over ${limit} bytes, as sent or decoded`);
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let settled = false;
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) return;
      // The decoder gets no more: what already arrived is all it inflates.
      req.unpipe();
      settle(tooLarge());
    };
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      if (err) reject(err);
      else resolve();
    };
    // body-parser's http-errors: error-mapping.ts reads their status and type.
    parse(req, res, (err?: unknown) => settle(err as Error | undefined));
    // Listening in the same tick as body-parser starts to read: the request flows from the next
    // tick on, so this sees every chunk that body-parser (or its decoder) sees.
    if (!settled) req.on('data', count);
  });
}

/**
 * The REST API, mounted under /api/v1. Each route's caller is checked against
 * its access before its body is read, and every param, query and body is parsed
 * with its zod schema before the handler runs: a failure is an error response
 * (error-handler.ts) that changes nothing. A path that exists but not for the
 * method asked is 405 with an Allow header.
 */
export function apiRouter(opts: ApiOptions): Router {
  // Express tries routes in order: fixed paths first, so a pattern never takes their requests, and
  // the hot ones (heartbeats: most of the traffic) before all, so they pass no other route's match.
  const fixed = opts.routes.filter((s) => !s.path.includes(':'));
  const routes = [...fixed.filter((s) => s.hot), ...fixed.filter((s) => !s.hot), ...opts.routes.filter((s) => s.path.includes(':'))];
  if (opts.routes.some((s) => s.hot && s.path.includes(':'))) throw new Error('Only a fixed path may be a hot route');
  refuseShadowedRoutes(routes);
  const router = Router();
  for (const spec of routes) router[spec.method](spec.path, serve(spec, opts));

  // Reached only when no route of the path served the method: each path the request matches
  // adds its methods, and the last handler answers 405 with all of them.
  const methodsByPath = new Map<string, Set<string>>();
  for (const spec of opts.routes) {
    const methods = methodsByPath.get(spec.path) ?? new Set<string>();
    methods.add(spec.method.toUpperCase());
    if (spec.method === 'get') methods.add('HEAD');
    methodsByPath.set(spec.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    router.all(path, (_req, res, next) => {
      const allowed = (res.locals.allow ??= new Set<string>()) as Set<string>;
      for (const m of methods) allowed.add(m);
      next();
    });
  }
  router.use((req, res, next) => {
    const allowed = res.locals.allow as Set<string> | undefined;
    if (!allowed) return next();
    res.set('Allow', [...allowed].sort().join(', '));
    next(new AppError(405, 'method_not_allowed', `${req.method} is not served here; see the Allow header`));
  });
  return router;
}

const EMPTY = Buffer.alloc(0);

/**
 * The raw body of a file route, bounded as a JSON body is (as sent and decoded). A media type
 * the route does not take is 415 before a byte is read; a request without a body is no bytes.
 */
async function readFileBody(req: Request, res: Response, file: RouteFile, parse: RequestHandler): Promise<Buffer> {
  // A body of no bytes is no file, whatever it is labelled (fetch sends Content-Length: 0).
  if (req.headers['content-length'] === '0') return EMPTY;
  const type = req.is([...file.types]);
  if (type === null) return EMPTY;
  if (type === false) throw new UnsupportedMediaTypeError('unsupported_media_type', `The body must be one of ${file.types.join(', ')}`);
  await readBody(req, res, parse, file.maxBytes);
  return Buffer.isBuffer(req.body) ? req.body : EMPTY;
}

const RATE_LIMITED = { code: 'rate_limited', message: 'Too many requests; slow down' };

/** The route's limiter, if it has a limit; a limit without a store to count in is refused at start. */
function limiterOf(spec: RouteSpec, limits: RateLimits | undefined): RateLimiterAbstract | undefined {
  if (!spec.rateLimit) return undefined;
  if (!limits) throw new Error(`${spec.method.toUpperCase()} ${spec.path} has a rate limit but the API was given no limits`);
  return limits.limiter({
    name: `route-${spec.rateLimit.name}`,
    points: spec.rateLimit.points,
    durationSeconds: spec.rateLimit.durationSeconds,
  });
}

function serve(spec: RouteSpec, opts: ApiOptions): RequestHandler {
  const status = spec.status ?? 200;
  const limiter = limiterOf(spec, opts.limits);
  // Any type: readFileBody has checked it against the route's.
  const rawBody = spec.file ? express.raw({ type: () => true, limit: spec.file.maxBytes }) : undefined;
  // Express 5 passes a rejected promise on to the error handler.
  return async (req, res) => {
    // Metrics label the answer with this pattern (an error answer is sent after the router has left).
    res.locals.route = `${req.baseUrl}${spec.path}`;
    // The token before the body: a caller who may not use the route costs no body read.
    const actor = opts.actorOf(req.headers.authorization);
    authorize(actor, spec.access);
    if (limiter)
      await opts.limits!.consume(limiter, actor.kind === 'user' ? `u:${actor.userId}` : `ip:${req.ip ?? 'unknown'}`, RATE_LIMITED);
    if (spec.body) await readBody(req, res);
    const file = spec.file ? await readFileBody(req, res, spec.file, rawBody!) : EMPTY;
    const params = spec.params ? spec.params.parse(req.params) : undefined;
    const query = spec.query ? spec.query.parse(req.query) : undefined;
    const body = spec.body ? spec.body.parse((req.body as unknown) ?? {}) : undefined;
    const result = await spec.handler({
      actor,
      params,
      query,
      body,
      file,
      // Only sign-in needs it: not worked out for every heartbeat.
      get clientIp() {
        return req.ip ?? 'unknown';
      },
    });
    if (status === 204 || result === undefined) {
      res.status(status === 200 ? 204 : status).end();
      return;
    }
    if (spec.contentType === 'video/mp4') return sendFile(res, result as SentFile);
    if (spec.attachment !== undefined) res.attachment(spec.attachment);
    if (spec.contentType === 'text/csv') {
      if (!isTable(result)) throw new Error(`${spec.method.toUpperCase()} ${spec.path} answered no table for its CSV`);
      res.status(status).type('text/csv; charset=utf-8');
      await streamCsv(result, res);
    } else if (spec.contentType === 'application/pdf') {
      if (!Buffer.isBuffer(result)) throw new Error(`${spec.method.toUpperCase()} ${spec.path} answered no bytes for its PDF`);
      res.status(status).setHeader('Cache-Control', 'private, no-store');
      res.type('application/pdf').send(result);
    } else if (spec.contentType === 'text/calendar') {
      res.status(status).type(`${spec.contentType}; charset=utf-8`).send(result);
    } else {
      res.status(status).json(opts.checkResponses && spec.response ? checkedResponse(spec, result) : result);
    }
  };
}

/**
 * A file as a download, through Express's sendFile: Range requests get 206 and the part,
 * conditional ones 304, HEAD the headers alone. A client that leaves midway is no error.
 */
function sendFile(res: Response, sent: SentFile): Promise<void> {
  res.attachment(sent.fileName);
  res.setHeader('Cache-Control', 'private, no-cache');
  return new Promise((resolve, reject) => {
    // Relative to its folder: the dot-file rule then looks at the name alone, not at DATA_DIR's path.
    res.sendFile(path.basename(sent.file), { root: path.dirname(sent.file), dotfiles: 'deny', cacheControl: false }, (err?: Error) => {
      if (!err || res.headersSent) return resolve();
      // The error is JSON, not the file.
      res.removeHeader('Content-Disposition');
      res.removeHeader('Content-Type');
      const http = err as Error & { status?: number; headers?: Record<string, string> };
      if (http.status === 416) {
        if (http.headers?.['Content-Range']) res.setHeader('Content-Range', http.headers['Content-Range']);
        return reject(new AppError(416, 'range_not_satisfiable', 'The range asked for lies outside the file'));
      }
      reject(new NotFoundError('media_not_found', 'No such media file'));
    });
  });
}

/**
 * A table as CSV, streamed as its rows come from the database: UTF-8 with a byte-order mark
 * (what makes Excel read Cyrillic as UTF-8 on open), CRLF lines, and cells that a spreadsheet
 * would run as a formula (=, +, -, @ first) defused with a leading apostrophe. A failure
 * mid-way (the database gone) destroys the response, so the client sees a cut download, never
 * a short file that looks whole.
 */
async function streamCsv(table: Table, res: Response): Promise<void> {
  async function* records() {
    yield table.header;
    yield* table.rows;
  }
  try {
    await pipeline(Readable.from(records()), stringify({ bom: true, record_delimiter: 'windows', escape_formulas: true }), res);
  } catch (err) {
    // The client went away (a download cancelled): the rows stop being read and the cursor is
    // closed (pipeline ends the generator); there is nobody left to answer.
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}

/** The answer parsed with its schema: a mismatch is the server's fault (500), not the caller's bad input. */
function checkedResponse(spec: RouteSpec, result: unknown): unknown {
  const parsed = spec.response!.safeParse(result);
  if (!parsed.success)
    throw new Error(`${spec.method.toUpperCase()} ${spec.path} answered off its response schema: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Express tries routes in order, so a route registered first would take all of a later one's
 * requests (a duplicate, or GET /seminars/:id before GET /seminars/upcoming): refused at start.
 */
export function refuseShadowedRoutes(routes: RouteSpec[]): void {
  const segments = (path: string) => path.toLowerCase().split('/').slice(1);
  routes.forEach((later, i) => {
    const mine = segments(later.path);
    for (const earlier of routes.slice(0, i)) {
      if (earlier.method !== later.method) continue;
      const theirs = segments(earlier.path);
      if (theirs.length === mine.length && theirs.every((s, k) => s.startsWith(':') || s === mine[k])) {
        throw new Error(`${later.method.toUpperCase()} ${later.path} is shadowed by ${earlier.path}, registered before it`);
      }
    }
  });
}
