import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';
import { has, type Actor, type Grant } from '../accounts/grants';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { errorBodySchema } from '../protocol';

/**
 * Who may call a route: anyone, any signed-in user, or a holder of one grant.
 * The domain checks ownership on top of this.
 */
export type Access = 'public' | 'user' | Grant;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<P, Q, B> {
  actor: Actor;
  params: P;
  query: Q;
  body: B;
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
  /** Status and schema of a success; `text/calendar` bodies are strings. */
  status?: 200 | 201 | 202 | 204;
  response?: ZodType;
  contentType?: 'application/json' | 'text/calendar';
  /** Sent as a download with this file name (on success only). */
  attachment?: string;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
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

export function openApiDocument(routes: RouteSpec[], info: { title: string; version: string; serverUrl: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const errorResponse = { description: 'Error', content: { 'application/json': { schema: errorBodySchema } } };
  for (const spec of routes) {
    const status = spec.status ?? 200;
    registry.registerPath({
      method: spec.method,
      path: `/api/v1${spec.path.replace(/:(\w+)/g, '{$1}')}`,
      summary: spec.summary,
      tags: [spec.tag],
      description:
        spec.access === 'public'
          ? 'Open to anyone.'
          : spec.access === 'user'
            ? 'Any signed-in user.'
            : `Needs the \`${spec.access}\` grant.`,
      ...(spec.access === 'public' ? {} : { security: [{ bearer: [] }] }),
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
      },
      responses: {
        [status]: {
          description: 'Success',
          ...(spec.response
            ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.response } } }
            : spec.contentType === 'text/calendar'
              ? { content: { 'text/calendar': { schema: z.string() } } }
              : {}),
        },
        400: errorResponse,
        ...(spec.body ? { 413: errorResponse, 415: errorResponse } : {}),
        ...(spec.access === 'public' ? {} : { 401: errorResponse, 403: errorResponse }),
        404: errorResponse,
        409: errorResponse,
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverUrl }],
  });
}
