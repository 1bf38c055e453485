import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Actor } from '../accounts/grants';
import { NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { errorResponse } from './error-handler';
import { clientIp, readJsonBody } from './request';
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

  const serve = async (req: IncomingMessage, res: ServerResponse, url: string): Promise<void> => {
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
      const result = await spec.handler({ actor, params, query, body, clientIp: clientIp(req) });
      const status = spec.status ?? 200;
      if (status === 204 || result === undefined) {
        send(res, status === 200 ? 204 : status);
      } else if (spec.contentType === 'text/calendar') {
        send(res, status, String(result), 'text/calendar; charset=utf-8', spec.attachment);
      } else {
        send(res, status, JSON.stringify(opts.checkResponses && spec.response ? spec.response.parse(result) : result), 'application/json; charset=utf-8', spec.attachment);
      }
    } catch (err) {
      const { status, body } = errorResponse(err, opts.logger, { method: req.method, url });
      // The rest of a body over the limit is not worth reading.
      if (status === 413) res.setHeader('connection', 'close');
      send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
    }
  };

  return (req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${API_PREFIX}/`)) return false;
    void serve(req, res, url);
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
