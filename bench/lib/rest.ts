// The few REST calls the benchmarks make to set a scene (users, seminars, courses).

export interface CallOptions {
  token?: string;
  body?: unknown;
}

/** One call to /api/v1; the body is parsed when the answer is JSON. */
export async function call(base: string, method: string, p: string, opts: CallOptions = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1${p}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined, text };
}

/** The same, for calls that must succeed: the parsed body, or an error naming the call. */
export async function ok(base: string, method: string, p: string, opts: CallOptions = {}) {
  const res = await call(base, method, p, opts);
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${res.text.slice(0, 300)}`);
  return res.body;
}
