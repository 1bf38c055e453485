import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../../server/http/api';
import type { Lectern } from '../../server/main';
import { startTestApp } from '../support/app';
import { ContractChecker, schemaValidator } from '../support/contract';

// The document at /api/openapi.json, read as a new user would. That every response
// of the API tests matches it is checked by test/support/api.ts on each call.

type Json = Record<string, any>;

let app: Lectern;
let doc: Json;

beforeAll(async () => {
  app = await startTestApp('openapi');
  const res = await fetch(`${app.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Json;
});
afterAll(() => app.stop());

const operation = (method: string, path: string): Json => {
  const op = doc.paths[`${API_PREFIX}${path}`]?.[method];
  expect(op, `${method} ${path} in the document`).toBeDefined();
  return op as Json;
};
const bodySchema = (method: string, path: string): Json => operation(method, path).requestBody.content['application/json'].schema;

/** Every Schema Object of the document, with where it is. */
function schemasOf(node: unknown, where = '#', out: Array<[string, Json]> = []): Array<[string, Json]> {
  if (Array.isArray(node)) node.forEach((item, i) => schemasOf(item, `${where}/${i}`, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'schema' && typeof value === 'object' && value !== null) out.push([`${where}/schema`, value as Json]);
      else schemasOf(value, `${where}/${key}`, out);
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has only schemas that are valid JSON Schema 2020-12, strictly (closed tuples, no unknown keywords)', () => {
    // The OpenAPI schema leaves Schema Objects to their dialect: a 3.0-style `items: [...]` passes it, so check each.
    const ajv = schemaValidator();
    const schemas = schemasOf(doc.paths);
    expect(schemas.length).toBeGreaterThan(100);
    const invalid = schemas.flatMap(([where, schema]) => {
      try {
        ajv.compile(schema);
        return [];
      } catch (err) {
        return [`${where}: ${(err as Error).message}`];
      }
    });
    expect(invalid).toEqual([]);
  });

  it('documents a tuple as prefixItems of exactly its length', () => {
    const interval = bodySchema('post', '/progress/heartbeats').properties.intervals.items;
    expect(interval).toMatchObject({ type: 'array', minItems: 2, maxItems: 2 });
    expect(interval.prefixItems).toHaveLength(2);
    expect(interval.items).toBeUndefined();
  });

  it('marks a body required exactly where the server refuses it absent', () => {
    for (const [method, path] of [
      ['post', '/auth/logout'],
      ['post', '/seminars/{id}/transitions'],
      ['put', '/courses/{id}/publication'],
      ['put', '/courses/{id}/structure'],
    ] as const) {
      expect(operation(method, path.replace(API_PREFIX, '')).requestBody.required, `${method} ${path}`).toBe(true);
    }
    for (const spec of app.domain.routes.filter((s) => s.body)) {
      const op = operation(spec.method, spec.path.replace(/:(\w+)/g, '{$1}'));
      expect(op.requestBody.required, `${spec.method} ${spec.path}`).toBe(!spec.body!.safeParse({}).success);
    }
  });

  it('states the rules the server enforces: at least one field, roles that do not repeat, the cursor', () => {
    expect(bodySchema('patch', '/seminars/{id}').minProperties).toBe(1);
    expect(bodySchema('patch', '/courses/{id}').minProperties).toBe(1);
    expect(bodySchema('put', '/users/{id}/roles').properties.roles).toMatchObject({ type: 'array', minItems: 1, uniqueItems: true });
    const cursor = operation('get', '/seminars').parameters.find((p: Json) => p.name === 'cursor');
    expect(cursor).toMatchObject({ in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 200 } });
    expect(cursor.schema.description).toMatch(/nextCursor of the previous page/);
    expect(
      operation('get', '/seminars').responses['400'].content['application/json'].schema.properties.error.properties.code.enum,
    ).toContain('invalid_cursor');
  });

  it('documents every status the server can answer: 401 on login and refresh, 413 and 415 on bodies, 503 everywhere', () => {
    const codes = (method: string, path: string, status: number): string[] =>
      operation(method, path).responses[String(status)]?.content['application/json'].schema.properties.error.properties.code.enum;
    expect(codes('post', '/auth/login', 401)).toEqual(expect.arrayContaining(['invalid_credentials']));
    expect(codes('post', '/auth/login', 429)).toEqual(['too_many_attempts']);
    expect(codes('post', '/auth/refresh', 401)).toEqual(expect.arrayContaining(['invalid_refresh_token', 'refresh_token_reused']));
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(methods)) {
        const statuses = Object.keys(op.responses);
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '500', '503']));
        if (op.requestBody) expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '415']));
        // Only what can happen: no 409 where nothing conflicts.
        if (method === 'get' && path === `${API_PREFIX}/seminars`) expect(statuses).not.toContain('409');
      }
    }
  });

  it('documents the shape of details where a status carries any', () => {
    const error = (method: string, path: string, status: number): Json =>
      operation(method, path).responses[String(status)].content['application/json'].schema.properties.error;
    expect(error('post', '/auth/register', 400).properties.details).toMatchObject({
      type: 'array',
      items: { type: 'object', required: ['path', 'message'] },
    });
    expect(error('post', '/seminars/{id}/transitions', 409).properties.details.required).toEqual(['from', 'to']);
    expect(error('post', '/auth/login', 429).properties.details.required).toEqual(['retryAfterSeconds']);
    expect(error('get', '/seminars/{id}', 404).properties.details).toBeUndefined();
  });

  it('documents a subtitle upload: a raw body of its media types, its own size limit, and the line a refusal names', () => {
    const op = operation('put', '/recordings/{id}/subtitles/{language}');
    expect(Object.keys(op.requestBody.content).sort()).toEqual([
      'application/octet-stream',
      'application/x-subrip',
      'text/plain',
      'text/vtt',
    ]);
    expect(op.requestBody.content['text/vtt'].schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(op.responses['413'].description).toMatch(/1024 kB/);
    expect(op.responses['415'].content['application/json'].schema.properties.error.properties.code.enum).toContain(
      'unsupported_media_type',
    );
    const details = op.responses['400'].content['application/json'].schema.properties.error.properties.details;
    expect(JSON.stringify(details)).toContain('"line"');
    expect(JSON.stringify(details)).toContain('after_end');
    // Other routes' refusals keep the plain list of issues.
    expect(
      operation('post', '/auth/register').responses['400'].content['application/json'].schema.properties.error.properties.details,
    ).toMatchObject({
      type: 'array',
    });
  });

  it('documents the 405 with its Allow header', () => {
    const notAllowed = doc.components.responses.MethodNotAllowed;
    expect(notAllowed.headers.Allow.schema).toEqual({ type: 'string' });
    expect(notAllowed.description).toMatch(/405|Allow/);
    expect(doc.info.description).toMatch(/405 with an `Allow` header/);
  });
});

describe('the response checker every API test runs (test/support/contract.ts)', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers: new Headers({ 'content-type': 'application/json; charset=utf-8', ...headers }),
    text: JSON.stringify(body),
  });
  const error = (code: string) => ({ error: { code, message: 'm' } });
  const url = (path: string) => `${app.url}${API_PREFIX}${path}`;

  it('passes what the document says', () => {
    const checker = new ContractChecker(doc as never);
    expect(() => checker.check({ method: 'POST', url: url('/auth/login'), ...json(429, error('too_many_attempts')) })).not.toThrow();
    expect(() =>
      checker.check({ method: 'POST', url: url('/progress/heartbeats'), status: 202, headers: new Headers(), text: '' }),
    ).not.toThrow();
    expect(() =>
      checker.check({
        method: 'DELETE',
        url: url('/progress/heartbeats'),
        ...json(405, error('method_not_allowed'), { allow: 'GET, HEAD, POST' }),
      }),
    ).not.toThrow();
  });

  it('refuses a status, a code, a body or an Allow that the document does not state', () => {
    const checker = new ContractChecker(doc as never);
    expect(() => checker.check({ method: 'GET', url: url('/seminars'), ...json(409, error('illegal_transition')) })).toThrow(
      /status 409 is not documented/,
    );
    expect(() => checker.check({ method: 'POST', url: url('/auth/login'), ...json(401, error('no_such_code')) })).toThrow(/does not match/);
    expect(() => checker.check({ method: 'GET', url: url('/me'), ...json(200, { id: 'not an id' }) })).toThrow(/does not match/);
    expect(() => checker.check({ method: 'POST', url: url('/progress/heartbeats'), ...json(202, { accepted: true }) })).toThrow(
      /without a body/,
    );
    expect(() =>
      checker.check({ method: 'DELETE', url: url('/auth/login'), ...json(405, error('method_not_allowed'), { allow: 'GET, POST' }) }),
    ).toThrow(/Allow/);
    expect(() => checker.check({ method: 'GET', url: url('/no/such/path'), ...json(200, {}) })).toThrow(/404/);
  });
});
