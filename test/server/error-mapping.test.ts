import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MediaError } from '../../media';
import { MEDIA_ERROR_STATUS, toAppError } from '../../server/error-mapping';
import { ConflictError, toErrorBody } from '../../server/errors';

// The one mapping that REST (http/error-handler.ts) and Socket.IO (live/gateway.ts) share.

describe('the error mapping both transports use', () => {
  it('keeps an AppError as it is', () => {
    const err = new ConflictError('illegal_transition', 'no', { from: 'ended', to: 'live' });
    expect(toAppError(err)).toBe(err);
    expect(toErrorBody(err)).toEqual({ error: { code: 'illegal_transition', message: 'no', details: { from: 'ended', to: 'live' } } });
  });

  it('answers a schema failure as 400 invalid_request with one { path, message } per issue', () => {
    const parsed = z.object({ a: z.object({ b: z.number() }), c: z.string() }).safeParse({ a: { b: 'x' } });
    const e = toAppError(parsed.error);
    expect({ status: e.status, code: e.code }).toEqual({ status: 400, code: 'invalid_request' });
    expect(e.details).toEqual([
      { path: 'a.b', message: expect.stringMatching(/number/) },
      { path: 'c', message: expect.stringMatching(/string/) },
    ]);
  });

  it('gives media errors fitting statuses: no worker is 503, a closed room 410, a missing object 404', () => {
    expect(toAppError(new MediaError('no_worker', 'none'))).toMatchObject({ status: 503, code: 'no_worker', message: 'none' });
    expect(toAppError(new MediaError('room_closed', 'gone'))).toMatchObject({ status: 410, code: 'room_closed' });
    expect(toAppError(new MediaError('producer_not_found', 'x'))).toMatchObject({ status: 404, code: 'producer_not_found' });
    expect(toAppError(new MediaError('wrong_transport', 'x'))).toMatchObject({ status: 400 });
    expect(toAppError(new MediaError('already_producing', 'x'))).toMatchObject({ status: 409 });
  });

  it('has a status for every MediaError code that media/ and server/ throw', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const thrown = new Set<string>();
    for (const dir of ['media', 'server', 'server/live']) {
      for (const file of readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts'))) {
        for (const m of readFileSync(path.join(root, dir, file), 'utf8').matchAll(/new MediaError\(\s*'([a-z_]+)'/g)) thrown.add(m[1]!);
      }
    }
    expect(thrown.size).toBeGreaterThan(5);
    expect([...thrown].filter((code) => !(code in MEDIA_ERROR_STATUS))).toEqual([]);
  });

  it("answers Express's client errors by their status and name, and body-parser's by their type", () => {
    const httpError = (status: number, name: string, props: Record<string, unknown> = {}) =>
      Object.assign(new Error('what went wrong'), { name, status, expose: true, ...props });
    expect(toAppError(httpError(416, 'RangeNotSatisfiableError'))).toMatchObject({ status: 416, code: 'range_not_satisfiable' });
    expect(toAppError(httpError(400, 'BadRequestError', { type: 'entity.parse.failed' }))).toMatchObject({ code: 'malformed_json' });
    expect(toAppError(httpError(413, 'PayloadTooLargeError', { type: 'entity.too.large' }))).toMatchObject({ code: 'payload_too_large' });
    expect(toAppError(httpError(400, 'Error', { code: 'Z_DATA_ERROR' }))).toMatchObject({ status: 400, code: 'unreadable_body' });
    // Not exposed (a server-side fault that happens to carry a status): internal.
    expect(toAppError(Object.assign(new Error('x'), { status: 400 }))).toMatchObject({ status: 500, code: 'internal' });
  });

  it('answers an unreachable database as 503 database_unavailable, anything unknown as a bare 500', () => {
    const selection = new mongoose.mongo.MongoServerSelectionError('connect ECONNREFUSED 127.0.0.1:9', {
      type: 'Unknown',
      servers: new Map(),
      stale: false,
      compatible: true,
      heartbeatFrequencyMS: 10_000,
      localThresholdMS: 15,
      setName: null,
      maxElectionId: null,
      maxSetVersion: null,
      commonWireVersion: 0,
      logicalSessionTimeoutMS: null,
    } as never);
    expect(toAppError(selection)).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect(toAppError(new mongoose.Error('Operation `users.findOne()` buffering timed out after 10000ms'))).toMatchObject({ status: 503 });
    const internal = toAppError(new Error('secret detail'));
    expect({ status: internal.status, code: internal.code, message: internal.message }).toEqual({
      status: 500,
      code: 'internal',
      message: 'Internal server error',
    });
  });
});
