import type { z } from 'zod';
import { errorBodySchema } from '../../../server/protocol/errors';

// The REST client: JSON to and from /api/v1, the bearer token from the session,
// and every failure as an ApiError with the server's status and code. Pages show
// errors through errorText() (kit/errors.ts), never the server's English message.

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One field the server refused (400 invalid_request): `path` is the field's dotted path. */
export interface FieldIssue {
  path: string;
  message: string;
  /** zod's issue code, bounds and kind, where the server sends them. */
  code?: string;
  minimum?: number;
  maximum?: number;
  origin?: string;
  format?: string;
}

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The machine-readable code: the server's, or `network`, or `http_<status>` for an answer without one. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The refused fields of a 400 invalid_request, if any. */
  get fieldIssues(): FieldIssue[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter((d): d is FieldIssue => typeof d === 'object' && d !== null && typeof (d as FieldIssue).path === 'string');
  }
}

/** One call to /api/v1 with the given token (or none): a body is sent as JSON, a Blob as its bytes. */
export async function request(method: Method, path: string, body: unknown, token: string | null): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  // A Blob (a file) goes as it is, with its own type: the file routes take raw bodies.
  const file = body instanceof Blob ? body : undefined;
  if (body !== undefined) headers['content-type'] = file ? file.type || 'application/octet-stream' : 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : (file ?? JSON.stringify(body)) });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const json = res.headers.get('content-type')?.includes('application/json');
  const parsed: unknown = json ? await res.json().catch(() => undefined) : undefined;
  if (!res.ok) {
    const error = errorBodySchema.safeParse(parsed);
    if (error.success) throw new ApiError(res.status, error.data.error.code, error.data.error.message, error.data.error.details);
    throw new ApiError(res.status, `http_${res.status}`, res.statusText);
  }
  return parsed;
}

// The session supplies the token; set by session.ts, which itself calls request()
// for sign-in and refresh (a setter rather than an import keeps the two apart).
let tokenSource: { token(): Promise<string | null>; refreshNow(): Promise<boolean> } = {
  token: () => Promise.resolve(null),
  refreshNow: () => Promise.resolve(false),
};

export function setTokenSource(source: typeof tokenSource): void {
  tokenSource = source;
}

/** A call as the signed-in user (or anonymously); an expired or revoked token is refreshed once and the call repeated. */
export async function api<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
  try {
    return (await request(method, path, body, await tokenSource.token())) as T;
  } catch (err) {
    if (
      err instanceof ApiError &&
      err.status === 401 &&
      (err.code === 'token_expired' || err.code === 'token_revoked') &&
      (await tokenSource.refreshNow())
    ) {
      return (await request(method, path, body, await tokenSource.token())) as T;
    }
    throw err;
  }
}

/** The same, with the answer checked against the shared protocol's schema. */
export async function apiParsed<S extends z.ZodType>(schema: S, method: Method, path: string, body?: unknown): Promise<z.infer<S>> {
  return schema.parse(await api(method, path, body));
}
