import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveTarget } from './targets';

export interface SendResult {
  statusCode: number | null;
  durationMs: number;
  ok: boolean;
  error: string | null;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

/** How much of a receiver's answer is read (and thrown away): a receiver cannot make Lectern read forever. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One POST to a webhook URL. The connection goes to an address checked just now (see
 * targets.ts); redirects are not followed (a 3xx is a failure); the whole exchange has
 * one deadline. Never throws: what went wrong is in the result, for the delivery log.
 */
export async function sendWebhook(url: string, headers: Record<string, string>, body: string, opts: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(url);
  try {
    // An address literal never reaches the lookup below: it is checked here.
    await resolveTarget(target.hostname, opts.allowPrivate);
  } catch (err) {
    return { statusCode: null, durationMs: elapsed(), ok: false, error: (err as Error).message };
  }
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const done = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ ...r, durationMs: elapsed() });
    };
    const checkedLookup: LookupFunction = (hostname, options, callback) => {
      resolveTarget(hostname, opts.allowPrivate).then(
        (addresses) => {
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        },
        (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
      );
    };
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, {
      method: 'POST',
      lookup: checkedLookup,
      agent: false,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Lectern-Webhooks/1',
      },
    });
    const deadline = setTimeout(() => {
      req.destroy();
      done({ statusCode: null, ok: false, error: `timed out after ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('response', (res) => {
      const statusCode = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const finish = () =>
        done({
          statusCode,
          ok: statusCode >= 200 && statusCode < 300,
          error: statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
        });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.on('error', (err) => done({ statusCode: null, ok: false, error: err.message.slice(0, 500) }));
    req.end(body);
  });
}
