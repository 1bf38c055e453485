import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Actor } from '../accounts/grants';
import { NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { errorResponse } from './error-handler';
import { clientIp } from './client-ip';
import { readJsonBody } from './request';
import { authorize, type RouteSpec } from './route';
import { RouteTable } from './route-table';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  routes: RouteSpec[];
  /** The caller from the Authorization header; a present but bad token throws. */
  actorOf: (authorization: string | undefined) => Actor;
  /** Parse every response with its schema too (tests), so the schemas cannot drift. */
  checkResponses: boolean;
  logger: Logger;
}

/**
 * Serves /api/v1 straight on node:http. Every param, query and body is parsed
 * with its route's zod schema before the handler runs; a failure is an error
 * response that changes nothing.
 *
 * Not through Express: its per-request machinery (prototype swaps, the
 * middleware walk, body-parser's content sniffing, an ETag hash per JSON
 * response) cost more CPU than a whole heartbeat does without it, and players
 * send thousands of heartbeats a second. Express keeps the rest: pages, media,
 * docs and health checks.
 *
 * Returns false for a request outside /api/v1, which the caller passes on.
 */
export function apiHandler(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const table = new RouteTable<RouteSpec>();
  for (const spec of opts.routes) table.add(spec.method, spec.path, spec);

  const serve = async (req: IncomingMessage, res: ServerResponse, target: string): Promise<void> => {
    // A fragment is not the server's business (browsers never send one; parseurl dropped it too).
    const hashAt = target.indexOf('#');
    const url = hashAt === -1 ? target : target.slice(0, hashAt);
    const queryAt = url.indexOf('?');
    const path = url.slice(API_PREFIX.length, queryAt === -1 ? undefined : queryAt);
    try {
      const method = req.method ?? 'GET';
      const found = table.find(method, path);
      if (!found) throw new NotFoundError('route_not_found', `No route for ${method} ${API_PREFIX}${path}`);
      const spec = found.value;
      const json = await readJsonBody(req);
      const actor = opts.actorOf(req.headers.authorization);
      authorize(actor, spec.access);
      const params = spec.params ? spec.params.parse(found.params) : undefined;
      const query = spec.query ? spec.query.parse(queryAt === -1 ? {} : parseQuery(url.slice(queryAt + 1))) : undefined;
      const body = spec.body ? spec.body.parse(json ?? {}) : undefined;
      const result = await spec.handler({
        actor,
        params,
        query,
        body,
        // Only sign-in needs it: not worked out for every heartbeat.
        get clientIp() {
          return clientIp(req);
        },
      });
      const status = spec.status ?? 200;
      if (status === 204 || result === undefined) {
        send(res, status === 200 ? 204 : status);
      } else if (spec.contentType === 'text/calendar') {
        send(res, status, result as string, 'text/calendar; charset=utf-8', spec.attachment);
      } else {
        send(
          res,
          status,
          JSON.stringify(opts.checkResponses && spec.response ? spec.response.parse(result) : result),
          'application/json; charset=utf-8',
          spec.attachment,
        );
      }
    } catch (err) {
      const { status, body } = errorResponse(err, opts.logger, { method: req.method, url });
      // The rest of a body over the limit is not worth reading.
      if (status === 413) res.setHeader('connection', 'close');
      send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
    }
  };

  const prefix = `${API_PREFIX}/`;
  return (req, res) => {
    const url = req.url ?? '/';
    // Case-insensitive, as Express matched its mount path.
    if (!url.startsWith(prefix) && url.slice(0, prefix.length).toLowerCase() !== prefix) return false;
    serve(req, res, url).catch((err: unknown) => {
      // Only a fault in answering an error gets here: the request cannot be answered.
      opts.logger.error({ err, method: req.method, url }, 'could not answer the request');
      res.destroy();
    });
    return true;
  };
}

function send(res: ServerResponse, status: number, payload?: string, contentType?: string, attachment?: string): void {
  if (res.headersSent || res.destroyed) return;
  if (payload === undefined) {
    res.writeHead(status, status === 204 ? undefined : { 'content-length': '0' });
    res.end();
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': contentType!, 'content-length': Buffer.byteLength(payload) };
  if (attachment !== undefined) headers['content-disposition'] = `attachment; filename="${attachment}"`;
  res.writeHead(status, headers);
  res.end(payload);
}
