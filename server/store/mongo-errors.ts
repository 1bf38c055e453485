import mongoose from 'mongoose';
import { ConflictError } from '../errors';

// Atomicity rule for this store: a conditional write is an updateOne/deleteOne
// whose filter states the precondition, and modifiedCount/deletedCount says who
// won; updates run through the WriteGate (write-gate.ts), because FerretDB 1.24
// does not isolate concurrent updates of one document.

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

/**
 * Whether an operation failed because no database server could be reached (not
 * because of what it asked): no server selected, the connection lost or closed,
 * or mongoose gave up waiting for a connection to run it on.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const { mongo } = mongoose;
  if (
    err instanceof mongo.MongoServerSelectionError ||
    err instanceof mongoose.Error.MongooseServerSelectionError ||
    err instanceof mongo.MongoNetworkError ||
    err instanceof mongo.MongoNotConnectedError ||
    err instanceof mongo.MongoTopologyClosedError
  ) {
    return true;
  }
  // mongoose has no class of its own for this one: "Operation `x.find()` buffering timed out after 10000ms".
  return err instanceof mongoose.Error && /buffering timed out/.test(err.message);
}
