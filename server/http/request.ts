import type { IncomingMessage } from 'node:http';
import { AppError, BadRequestError } from '../errors';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The JSON body of a request, or undefined when it has none or is not JSON
 * (the route's schema then sees `{}`). Same rules as express.json's defaults:
 * only application/json, UTF-8, no content coding, an object or array at the
 * top, and a size limit checked against the header and while reading.
 */
export function readJsonBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const { headers } = req;
  const type = headers['content-type'];
  if (type === undefined || (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined)) return Promise.resolve(undefined);
  const semicolon = type.indexOf(';');
  if ((semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase() !== 'application/json') return Promise.resolve(undefined);
  const charset = semicolon === -1 ? undefined : /charset\s*=\s*"?([^";\s]+)/i.exec(type.slice(semicolon))?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return Promise.reject(new AppError(415, 'unsupported_charset', `The body must be UTF-8, not ${charset}`));
  }
  const coding = headers['content-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'identity') {
    return Promise.reject(new AppError(415, 'unsupported_encoding', `Bodies with content-encoding ${coding} are not accepted`));
  }
  if (Number(headers['content-length']) > limit) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        reject(tooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      stop();
      try {
        resolve(parseStrictJson(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    };
    const onError = () => {
      stop();
      reject(new BadRequestError('request_aborted', 'The request body was not received in full'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function parseStrictJson(text: string): unknown {
  const first = /\S/.exec(text)?.[0];
  // An empty body is no body, as in express.json.
  if (first === undefined) return undefined;
  if (first !== '{' && first !== '[') throw malformed();
  try {
    return JSON.parse(text);
  } catch {
    throw malformed();
  }
}

function malformed(): BadRequestError {
  return new BadRequestError('malformed_json', 'The request body is not valid JSON');
}

function tooLarge(): AppError {
  return new AppError(413, 'payload_too_large', 'The request body is too large');
}

/**
 * The caller's address as Express gives it with `trust proxy` set to loopback:
 * X-Forwarded-For is believed only for hops made through a proxy on this host.
 */
export function clientIp(req: IncomingMessage): string {
  let address = req.socket.remoteAddress ?? 'unknown';
  const forwarded = req.headers['x-forwarded-for'];
  if (forwarded === undefined) return address;
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',');
  for (let i = hops.length - 1; i >= 0 && isLoopback(address); i--) {
    const hop = hops[i]!.trim();
    if (hop === '') break;
    address = hop;
  }
  return address;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
