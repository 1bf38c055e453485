import { BadRequestError } from '../errors';

// Opaque page cursors: the sort key of the last item, base64url-encoded.

type Part = 'id' | 'time' | 'string';

const valid: Record<Part, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && /^[0-9a-f]{24}$/.test(v),
  time: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 8.64e15,
  string: (v) => typeof v === 'string' && v.length <= 200,
};

export function encodeCursor(parts: Array<string | number>): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The parts of a cursor this API issued, each checked against its shape; anything else is 400 invalid_cursor. */
export function decodeCursor(cursor: string | undefined, shape: Part[]): Array<string | number> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === shape.length && parts.every((p, i) => valid[shape[i]!](p))) {
      return parts as Array<string | number>;
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('invalid_cursor', 'The cursor is not one this API returned');
}
