import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// Checks a response of the API against the OpenAPI document the server publishes:
// the status must be one the operation documents, and the body must match the
// schema documented for that status and content type. test/support/api.ts runs it
// on every response the API tests receive, so the document cannot drift from them.

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, unknown> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Ajv for JSON Schema 2020-12 (OpenAPI 3.1's dialect), knowing the keywords OpenAPI adds. */
export function schemaValidator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  return ajv;
}

export class ContractChecker {
  private readonly ajv = schemaValidator();
  private readonly compiled = new Map<object, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp; operations: Record<string, Operation> }>;

  constructor(document: Document) {
    // As Express matches: case-insensitive, an optional trailing slash, one segment per parameter.
    this.templates = Object.entries(document.paths).map(([template, operations]) => ({
      template,
      operations,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}/?$`, 'i'),
    }));
  }

  /** Throws an Error saying what differs from the document, if anything. */
  check(res: { method: string; url: string; status: number; headers: Headers; text: string }): void {
    const path = new URL(res.url).pathname;
    // The document describes the API; the docs page and the document itself are outside it.
    if (!path.toLowerCase().startsWith('/api/v1/')) return;
    const what = `${res.method} ${path} → ${res.status}`;
    const matching = this.templates.filter((t) => t.pattern.test(path));
    const method = res.method.toLowerCase() === 'head' ? 'get' : res.method.toLowerCase();
    const served = matching.find((t) => t.operations[method]);
    if (!served) {
      if (matching.length === 0) return this.expectError(what, res, 404, 'route_not_found');
      // Not an operation: the path exists for other methods, named in Allow.
      const allowed = new Set(matching.flatMap((t) => Object.keys(t.operations).filter((m) => METHODS.includes(m))));
      if (allowed.has('get')) allowed.add('head');
      const allow = [...allowed].map((m) => m.toUpperCase()).sort();
      if (res.headers.get('allow') !== allow.join(', '))
        throw new Error(`${what}: Allow is ${res.headers.get('allow')}, the document says ${allow.join(', ')}`);
      return this.expectError(what, res, 405, 'method_not_allowed');
    }

    const operation = served.operations[method]!;
    const documented = operation.responses[String(res.status)];
    if (!documented) {
      throw new Error(
        `${what}: status ${res.status} is not documented for ${method.toUpperCase()} ${served.template} ` +
          `(documented: ${Object.keys(operation.responses).join(', ')}); body: ${res.text.slice(0, 300)}`,
      );
    }
    for (const header of Object.keys(documented.headers ?? {})) {
      if (!res.headers.has(header)) throw new Error(`${what}: the documented header ${header} is missing`);
    }
    if (res.method.toUpperCase() === 'HEAD') return;
    const type = res.headers.get('content-type')?.split(';')[0]!.trim();
    if (!documented.content) {
      if (res.text !== '') throw new Error(`${what}: documented without a body, but sent ${type}: ${res.text.slice(0, 200)}`);
      return;
    }
    const media = type === undefined ? undefined : documented.content[type];
    if (!media) throw new Error(`${what}: sent ${type}, documented ${Object.keys(documented.content).join(', ')}`);
    const body: unknown = type === 'application/json' ? JSON.parse(res.text) : res.text;
    const validate = this.validatorFor(media.schema);
    if (!validate(body)) {
      throw new Error(
        `${what}: the body does not match the documented schema: ${this.ajv.errorsText(validate.errors)}; body: ${res.text.slice(0, 300)}`,
      );
    }
  }

  private expectError(what: string, res: { status: number; text: string }, status: number, code: string): void {
    if (res.status !== status) throw new Error(`${what}: a path the document does not serve this way must answer ${status}`);
    const body = JSON.parse(res.text) as { error?: { code?: unknown } };
    if (body.error?.code !== code) throw new Error(`${what}: expected the code ${code}, got ${res.text.slice(0, 200)}`);
  }

  private validatorFor(schema: object): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}

const checkers = new Map<string, Promise<ContractChecker>>();

/** The checker for a server, from the document it serves at /api/openapi.json (fetched once). */
export function contractOf(baseUrl: string): Promise<ContractChecker> {
  let checker = checkers.get(baseUrl);
  if (!checker) {
    checker = fetch(`${baseUrl}/api/openapi.json`).then(async (res) => {
      if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
      return new ContractChecker((await res.json()) as Document);
    });
    checkers.set(baseUrl, checker);
  }
  return checker;
}
