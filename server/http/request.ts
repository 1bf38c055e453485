import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { parse as parseContentType } from 'content-type';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';

export const BODY_LIMIT_BYTES = 64 * 1024;

const DECODERS: Record<string, () => NodeJS.ReadWriteStream & Readable> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The JSON body of a request, or undefined when it has none or is not JSON
 * (the route's schema then sees `{}`). express.json's default rules, except
 * that the charset must be UTF-8: only application/json; gzip, deflate or br
 * content coding; a size limit on the decoded body, checked against the
 * header and while reading; a leading byte-order mark skipped; an object or
 * array at the top.
 */
export function readJsonBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const { headers } = req;
  if (headers['content-type'] === undefined || (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined)) {
    return Promise.resolve(undefined);
  }
  let type: ReturnType<typeof parseContentType>;
  try {
    type = parseContentType(headers['content-type']);
  } catch {
    return Promise.resolve(undefined);
  }
  if (type.type !== 'application/json') return Promise.resolve(undefined);
  const charset = type.parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8') {
    return Promise.reject(new UnsupportedMediaTypeError('unsupported_charset', `The body must be UTF-8, not ${charset}`));
  }
  const coding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  const decoder = coding === 'identity' ? undefined : DECODERS[coding];
  if (coding !== 'identity' && !decoder) {
    return Promise.reject(new UnsupportedMediaTypeError('unsupported_encoding', `Bodies with content-encoding ${coding} are not accepted`));
  }
  if (!decoder && Number(headers['content-length']) > limit) return Promise.reject(new PayloadTooLargeError());
  // pipeline passes a client's abort on to the decoder, which then fails the read.
  return readText(decoder ? pipeline(req, decoder(), () => {}) : req, limit).then(parseStrictJson);
}

function readText(stream: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        reject(new PayloadTooLargeError());
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    // A client gone mid-body (closed before the end), or a compressed body that does not decode.
    const onError = () => {
      stop();
      reject(new BadRequestError('unreadable_body', 'The request body could not be read in full'));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onError);
  });
}

function parseStrictJson(raw: string): unknown {
  // An empty body is no body, as in express.json.
  if (raw.length === 0) return undefined;
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const first = /[^\x20\t\n\r]/.exec(text)?.[0];
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
