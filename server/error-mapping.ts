import { ZodError } from 'zod';
import { MediaError } from '../media';
import { AppError, BadRequestError, PayloadTooLargeError, UnavailableError, UnsupportedMediaTypeError } from './errors';
import { isDatabaseUnavailable } from './store/mongo-errors';

// The one mapping from whatever was thrown to the status, code and details that
// clients see, for REST (http/error-handler.ts) and Socket.IO (live/gateway.ts)
// alike: a schema failure is `invalid_request` with the same `details` on both.

/** One failed rule of a schema: where in the input (dot-separated, '' for the root) and what is wrong. */
export interface IssueDetail {
  path: string;
  message: string;
}

/**
 * Statuses of the media layer's errors. A code missing here falls back to 409,
 * and test/server/error-mapping.test.ts fails until it is added.
 */
export const MEDIA_ERROR_STATUS: Readonly<Record<string, number>> = {
  // Nothing the client can fix: no worker is alive to host the room right now.
  no_worker: 503,
  // The server is stopping: another node (or this one, restarted) will host it in a moment.
  shutting_down: 503,
  // The room is gone (the seminar ended, or it was rebuilt after a worker died): join again.
  room_closed: 410,
  peer_closed: 409,
  already_producing: 409,
  too_many_transports: 409,
  too_many_consumers: 409,
  already_consuming: 409,
  wrong_transport: 400,
  cannot_consume: 400,
  producer_not_found: 404,
  consumer_not_found: 404,
  transport_not_found: 404,
};

/** body-parser's error types (express.json), by what they mean to a client. */
const BODY_ERRORS: Record<string, () => AppError> = {
  'entity.parse.failed': () => new BadRequestError('malformed_json', 'The request body is not valid JSON'),
  'entity.too.large': () => new PayloadTooLargeError(),
  'charset.unsupported': () => new UnsupportedMediaTypeError('unsupported_charset', 'The body must be UTF-8 JSON'),
  'encoding.unsupported': () =>
    new UnsupportedMediaTypeError('unsupported_encoding', 'Bodies are accepted as identity, gzip, deflate or br only'),
  'request.aborted': () => unreadableBody(),
  'request.size.invalid': () => unreadableBody(),
};

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return invalidRequest(err);
  if (err instanceof MediaError) return new AppError(MEDIA_ERROR_STATUS[err.code] ?? 409, err.code, err.message);
  if (err instanceof URIError) return new BadRequestError('malformed_path', 'The path is not valid percent-encoding');
  if (isDatabaseUnavailable(err)) return new UnavailableError('database_unavailable', 'The database is unavailable; try again shortly');
  const http = httpErrorOf(err);
  if (http) {
    const known = http.type === undefined ? undefined : BODY_ERRORS[http.type];
    if (known) return known();
    // A body that did not decode (a corrupt gzip stream): body-parser passes zlib's error on as a 400.
    if (http.code?.startsWith('Z_')) return unreadableBody();
    // Another client error Express raised: its status, and its name as the code (NotFoundError: not_found).
    return new AppError(http.status, snakeCase(http.name.replace(/Error$/, '')) || 'bad_request', http.message);
  }
  return new AppError(500, 'internal', 'Internal server error');
}

export function invalidRequest(err: ZodError): BadRequestError {
  const details: IssueDetail[] = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  return new BadRequestError('invalid_request', 'The request does not match the expected shape', details);
}

function unreadableBody(): BadRequestError {
  return new BadRequestError('unreadable_body', 'The request body could not be read in full');
}

/** The client errors Express and body-parser raise (http-errors, exposed): a 4xx status; body-parser's carry a type. */
function httpErrorOf(err: unknown): { status: number; name: string; message: string; type?: string; code?: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  const { status, type, code, expose } = err as Error & { status?: unknown; type?: unknown; code?: unknown; expose?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  return {
    status,
    name: err.name,
    message: err.message,
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * What a refused OpenID Connect answer means to the user (openid-client's errors carry
 * the reason in their message): a state that is not this browser's, a nonce that is not
 * this sign-in's, an issuer that is not the configured one, or a code the provider refused.
 */
export function oidcFailure(err: unknown): AppError {
  // The reason is often in the cause: "invalid response encountered" ← 'unexpected "state" …'.
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) messages.push(e.message);
  const message = messages.join(': ');
  if (/"state"/.test(message))
    return new BadRequestError('oidc_state_mismatch', 'The answer from the portal is not for this sign-in (state)');
  if (/nonce/i.test(message)) return new BadRequestError('oidc_nonce_mismatch', 'The portal’s ID token is not for this sign-in (nonce)');
  if (/\biss\b|issuer/i.test(message))
    return new BadRequestError('oidc_issuer_mismatch', 'The answer did not come from the configured portal (issuer)');
  if (/invalid_grant|authorization code|PKCE|code_verifier/i.test(message))
    return new BadRequestError('oidc_code_rejected', 'The portal refused the sign-in code; start again');
  return new AppError(502, 'oidc_failed', 'The sign-in through the portal failed; start again');
}
