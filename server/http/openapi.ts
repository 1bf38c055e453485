import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { RETRY_AFTER_SECONDS } from './error-handler';
import { z } from 'zod';
import { API_PREFIX, BODY_LIMIT_BYTES } from './api';
import { subtitleInvalidDetails } from '../protocol/subtitles';
import type { ErrorStatus, RouteFile, RouteSpec } from './route';

// The OpenAPI 3.1 document, generated from the routes and the zod schemas that
// parse every request: it has to say exactly what the server accepts and answers.

const STATUS_MEANING: Record<ErrorStatus, string> = {
  400: 'Bad input; nothing changed',
  401: 'Not signed in, or the bearer token is malformed, invalid or expired',
  403: 'Signed in, but not allowed to do this',
  404: 'No such thing (or not visible to the caller)',
  405: 'The path does not serve this method; the Allow header lists those it does',
  409: 'Conflicts with the current state; nothing changed',
  410: 'Gone',
  413: `The body is over its limit: ${BODY_LIMIT_BYTES / 1024} kB once decoded for JSON; a file route states its own in its request body`,
  415: "The body is JSON in a charset other than UTF, or in a content coding other than gzip, deflate or br; or a file route's body is of a media type it does not take, or no file of a kind it takes",
  416: 'The Range asked for lies outside the file; Content-Range gives its size',
  429: 'Too many attempts; details.retryAfterSeconds says when to try again',
  500: 'An unexpected fault (logged)',
  502: 'The OpenID Connect provider answered in a way that could not be used',
  503: 'The database (or, for portal sign-in, the OpenID Connect provider) cannot be reached right now; try again shortly',
};

/** Every error status a route can answer, with the codes each may carry. */
export function errorCodes(spec: RouteSpec): Map<ErrorStatus, Set<string>> {
  const out = new Map<ErrorStatus, Set<string>>();
  const add = (status: ErrorStatus, ...codes: string[]) => {
    const set = out.get(status) ?? new Set<string>();
    for (const c of codes) set.add(c);
    out.set(status, set);
  };
  if (spec.params) add(400, 'invalid_request', 'malformed_path');
  if (spec.query) add(400, 'invalid_request');
  if (spec.query && 'shape' in spec.query && 'cursor' in (spec.query as z.ZodObject).shape) add(400, 'invalid_cursor');
  if (spec.body) {
    add(400, 'invalid_request', 'malformed_json', 'unreadable_body');
    add(413, 'payload_too_large');
    add(415, 'unsupported_charset', 'unsupported_encoding');
  }
  if (spec.file) {
    add(400, 'unreadable_body');
    add(413, 'payload_too_large');
    add(415, 'unsupported_media_type', 'unsupported_encoding');
  }
  // A token that is present but bad is refused on every route, public ones too.
  add(401, 'invalid_token', 'token_expired', 'token_revoked');
  if (spec.access !== 'public') add(401, 'unauthorized');
  if (spec.access !== 'public' && spec.access !== 'user') add(403, 'missing_grant');
  if (spec.rateLimit) add(429, 'rate_limited');
  for (const [status, codes] of Object.entries(spec.errors ?? {})) add(Number(status) as ErrorStatus, ...codes);
  add(500, 'internal');
  add(503, 'database_unavailable');
  return new Map([...out].sort(([a], [b]) => a - b));
}

/** What `details` holds, where a status has any: the same shapes on REST and Socket.IO (error-mapping.ts). */
const DETAILS: Partial<Record<ErrorStatus, z.ZodType>> = {
  400: z.array(z.object({ path: z.string(), message: z.string() })).meta({
    description: 'invalid_request: one entry per failed rule; path is dot-separated, "" for the root',
  }),
  409: z
    .object({ from: z.string(), to: z.string() })
    .meta({ description: 'illegal_transition: the status it is in, and the one asked for' }),
  429: z.object({ retryAfterSeconds: z.number().int() }),
};

/** What a status means on this route: a file route's body has limits of its own. */
function meaning(status: ErrorStatus, spec: RouteSpec): string {
  if (spec.file && status === 413) return `The body is over ${spec.file.maxBytes / 1024} kB, as sent or decoded`;
  if (spec.file && status === 415)
    return `The body is not one of ${spec.file.types.join(', ')}, or is in a content coding other than gzip, deflate or br`;
  return STATUS_MEANING[status];
}

/** The body of an error response, with the codes this response may carry. */
function errorBody(status: ErrorStatus, codes: Iterable<string>) {
  const list = [...codes].sort() as [string, ...string[]];
  // A subtitle upload's refusal names the line instead.
  const details = status === 400 && list.includes('subtitles_invalid') ? z.union([DETAILS[400]!, subtitleInvalidDetails]) : DETAILS[status];
  return z.object({
    error: z.object({ code: z.enum(list), message: z.string(), ...(details ? { details: details.optional() } : {}) }),
  });
}

function errorResponse(status: ErrorStatus, codes: Iterable<string>, spec: RouteSpec): ResponseConfig {
  const list = [...codes].sort();
  return {
    description: `${meaning(status, spec)}. Codes: ${list.map((c) => `\`${c}\``).join(', ')}.`,
    ...(status === 503
      ? {
          headers: {
            'Retry-After': {
              description: 'Seconds to wait before trying again',
              schema: { type: 'string' as const, example: String(RETRY_AFTER_SECONDS) },
            },
          },
        }
      : {}),
    content: { 'application/json': { schema: errorBody(status, list) } },
  };
}

function successResponse(spec: RouteSpec): ResponseConfig {
  const headers =
    spec.attachment === undefined
      ? {}
      : {
          headers: {
            'Content-Disposition': {
              description: `A download named ${spec.attachment}`,
              schema: { type: 'string' as const, example: `attachment; filename=${spec.attachment}` },
            },
          },
        };
  if (spec.contentType === 'text/calendar') {
    return { description: 'An iCalendar file', ...headers, content: { 'text/calendar': { schema: z.string() } } };
  }
  if (spec.contentType === 'text/csv') {
    return {
      description: 'A CSV file: UTF-8 with a byte-order mark (so that Excel reads Cyrillic), comma-separated, CRLF lines, a header row',
      ...headers,
      content: { 'text/csv': { schema: z.string() } },
    };
  }
  if (spec.contentType === 'application/pdf') {
    return { description: 'A PDF file', ...headers, content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } } };
  }
  if (spec.contentType === 'video/mp4') {
    return {
      description: 'The whole MP4 file (a Range request gets 206 and the part; If-None-Match/If-Modified-Since may get 304)',
      ...headers,
      content: { 'video/mp4': { schema: z.string().meta({ format: 'binary' }) } },
    };
  }
  if (!spec.response) return { description: spec.status === 202 ? 'Accepted; no body' : 'Done; no body', ...headers };
  return { description: 'Success', ...headers, content: { 'application/json': { schema: spec.response } } };
}

/** A raw body: the same bytes under each media type the route takes. */
function fileBody(file: RouteFile) {
  const schema = z.string().meta({ format: 'binary', description: `${file.description}; at most ${file.maxBytes} bytes` });
  return { required: true, description: file.description, content: Object.fromEntries(file.types.map((t) => [t, { schema }])) };
}

/** A Range request's answer, for a file route. */
function partialResponse(): ResponseConfig {
  return {
    description: 'The part of the MP4 that the Range header asked for',
    headers: {
      'Content-Range': { description: 'bytes first-last/size', schema: { type: 'string' as const, example: 'bytes 0-1023/52428800' } },
    },
    content: { 'video/mp4': { schema: z.string().meta({ format: 'binary' }) } },
  };
}

export function openApiDocument(routes: RouteSpec[], info: { title: string; version: string; serverUrl: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  registry.registerComponent('responses', 'MethodNotAllowed', {
    description: `${STATUS_MEANING[405]}. Answered for any path of this document asked with a method it does not list (HEAD is served wherever GET is). Code: \`method_not_allowed\`.`,
    headers: { Allow: { description: 'The methods the path serves, e.g. "GET, HEAD, PATCH"', schema: { type: 'string' } } },
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: ['method_not_allowed'] }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  });
  for (const spec of routes) {
    const status = spec.status ?? 200;
    // A missing body is parsed as {}: the body is optional only where the schema accepts that.
    const bodyRequired = spec.body ? !spec.body.safeParse({}).success : false;
    registry.registerPath({
      method: spec.method,
      path: `${API_PREFIX}${spec.path.replace(/:(\w+)/g, '{$1}')}`,
      summary: spec.summary,
      tags: [spec.tag],
      description:
        spec.access === 'public'
          ? 'Open to anyone; a bearer token, if sent, must be valid.'
          : spec.access === 'user'
            ? 'Any signed-in user.'
            : `Needs the \`${spec.access}\` grant.`,
      // Public routes take an optional token (drafts show to their lecturers, for one).
      security: spec.access === 'public' ? [{}, { bearer: [] }] : [{ bearer: [] }],
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(spec.body ? { body: { required: bodyRequired, content: { 'application/json': { schema: spec.body } } } } : {}),
        ...(spec.file ? { body: fileBody(spec.file) } : {}),
      },
      responses: {
        [status]: successResponse(spec),
        ...(spec.contentType === 'video/mp4' ? { 206: partialResponse() } : {}),
        ...Object.fromEntries([...errorCodes(spec)].map(([s, codes]) => [s, errorResponse(s, codes, spec)])),
      },
    });
  }
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        'Errors are `{"error": {"code", "message", "details?"}}`; each response lists the codes it can carry. ' +
        'Every GET also answers HEAD. A method a path does not serve is 405 with an `Allow` header (components.responses.MethodNotAllowed); ' +
        'a path that is not here is 404 `route_not_found`. Request bodies are JSON (UTF charsets; gzip, deflate or br content coding), ' +
        `at most ${BODY_LIMIT_BYTES / 1024} kB decoded. Text fields are trimmed before their length is checked; ` +
        "other rules JSON Schema cannot state are in the fields' descriptions.",
    },
    servers: [{ url: info.serverUrl }],
  });
  closeTuples(document);
  return document;
}

/**
 * zod tuples come out as `prefixItems` alone, which in JSON Schema 2020-12 admits
 * arrays of any length; the server takes exactly as many items as the tuple has.
 */
function closeTuples(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) closeTuples(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (Array.isArray(schema.prefixItems) && schema.items === undefined) {
    schema.minItems ??= schema.prefixItems.length;
    schema.maxItems ??= schema.prefixItems.length;
  }
  for (const value of Object.values(schema)) closeTuples(value);
}
