import { ConflictError } from '../errors';

/** MongoDB's (and FerretDB's) duplicate-key code from a unique index. */
const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Runs a write and turns a unique-index violation into a domain conflict. */
export async function uniquely<T>(write: () => Promise<T>, conflict: () => ConflictError): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateKey(err)) throw conflict();
    throw err;
  }
}
