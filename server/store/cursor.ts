import { BadRequestError } from '../errors';

// Opaque page cursors: the sort key of the last item, base64url-encoded.

export function encodeCursor(parts: Array<string | number>): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: Array<'string' | 'number'>): Array<string | number> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === shape.length && parts.every((p, i) => typeof p === shape[i])) {
      return parts as Array<string | number>;
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('invalid_cursor', 'The cursor is not one this API returned');
}
