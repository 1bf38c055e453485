// The load generator: a child process of the benchmark, driven over IPC, so that
// autocannon has its own event loop and does not queue behind the server it measures.
// It keeps the learners' heartbeat state across runs (warm-up, then measured run).
import { Agent, request as httpRequest } from 'node:http';
import { cpuUsage } from 'node:process';
import autocannon from 'autocannon';
import { initialState, markAccepted, nextHeartbeat, type Learner, type LearnerState } from './heartbeats';

export type Target =
  /** GET, no body */
  | { kind: 'get'; url: string; path: string }
  /** POST of generated heartbeats (with their Authorization headers); with `rate`, paced instead of as fast as answered */
  | { kind: 'heartbeats'; url: string; path: string; track: boolean; rate?: number };

export interface RunRequest {
  type: 'run';
  id: number;
  title: string;
  target: Target;
  connections: number;
  durationSeconds: number;
}

export type ToLoadgen = { type: 'init'; learners: Learner[]; clockBase: number } | RunRequest | { type: 'state'; id: number };

export interface RunSummary {
  title: string;
  requests: number;
  durationSeconds: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Paced runs: the rate asked for (requests are sent on schedule whether or not earlier ones were answered). */
  requestedRate?: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** CPU seconds the load generator itself used during the run */
  loadgenCpuSeconds: number;
}

export type FromLoadgen =
  | { type: 'ready' }
  | { type: 'result'; id: number; summary: RunSummary }
  | { type: 'state'; id: number; learners: LearnerState[] }
  | { type: 'error'; id: number; message: string };

let learners: Learner[] = [];
/** What the real learners sent; tracked runs read and write these. */
let tracked: LearnerState[] = [];
/** Same generator, separate state, for untracked runs (the hello-world POST baseline). */
let scratch: LearnerState[] = [];
let clockBase = 0;

function send(msg: FromLoadgen): void {
  process.send!(msg);
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i/rate and is sent then, over a
 * keep-alive pool of `connections` sockets, whatever happened to earlier requests. Latency counts
 * from the due time, so time spent queued for a free socket is included (no coordinated omission).
 * autocannon's own rate limit sends each second's quota in a burst, which measures queueing instead.
 */
async function paced(req: RunRequest, target: Extract<Target, { kind: 'heartbeats' }>, rate: number): Promise<RunSummary> {
  const states = target.track ? tracked : scratch;
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: req.connections });
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  let outstanding = 0;
  let next = 0;
  const before = cpuUsage();
  const t0 = performance.now();
  const end = t0 + req.durationSeconds * 1000;
  const total = Math.floor(rate * req.durationSeconds);
  const fire = (due: number) => {
    const i = next++ % learners.length;
    const { hb, session } = nextHeartbeat(states[i]!);
    const body = JSON.stringify(hb);
    outstanding++;
    const r = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: target.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${learners[i]!.token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          latencies.push(performance.now() - due);
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status === 202) markAccepted(states[i]!, session, hb.position);
          if (status < 200 || status > 299) non2xx++;
          outstanding--;
        });
      },
    );
    r.on('error', () => {
      errors++;
      outstanding--;
    });
    r.end(body);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
      while (sent < due) fire(t0 + (sent++ * 1000) / rate);
      if (sent >= total || now >= end) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  // Wait for the answers still due (at most 10 s, autocannon's default timeout).
  for (const giveUp = performance.now() + 10_000; outstanding > 0 && performance.now() < giveUp;)
    await new Promise((r) => setTimeout(r, 5));
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuUsage(before);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10 : 0;
  return {
    title: req.title,
    requests: latencies.length,
    durationSeconds: Math.round(wall * 10) / 10,
    reqPerSec: latencies.length / wall,
    requestedRate: rate,
    latencyMs: {
      p50: pct(0.5),
      p90: pct(0.9),
      p99: pct(0.99),
      max: latencies.length ? Math.round(latencies[latencies.length - 1]! * 10) / 10 : 0,
      mean: latencies.length ? Math.round((latencies.reduce((a, b) => a + b, 0) / latencies.length) * 10) / 10 : 0,
    },
    errors,
    timeouts: 0,
    non2xx,
    statusCodes,
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function run(req: RunRequest): Promise<RunSummary> {
  const { target } = req;
  if (target.kind === 'heartbeats' && target.rate !== undefined) return paced(req, target, target.rate);
  let requestsOpt: autocannon.Request[] | undefined;
  if (target.kind === 'heartbeats') {
    const states = target.track ? tracked : scratch;
    let next = 0;
    const setupRequest = (request: autocannon.Request, context: Record<string, unknown>) => {
      const i = next++ % learners.length;
      const { hb, session } = nextHeartbeat(states[i]!);
      context.pending = { i, session, to: hb.position };
      request.headers = { 'content-type': 'application/json', authorization: `Bearer ${learners[i]!.token}` };
      request.body = JSON.stringify(hb);
      return request;
    };
    const onResponse = (status: number, _body: string, context: Record<string, unknown>) => {
      const p = context.pending as { i: number; session: number; to: number } | undefined;
      if (p && status === 202) markAccepted(states[p.i]!, p.session, p.to);
      context.pending = undefined;
    };
    requestsOpt = [{ method: 'POST', path: target.path, setupRequest, onResponse } as unknown as autocannon.Request];
  }
  const before = cpuUsage();
  const result = await autocannon({
    url: target.kind === 'get' ? target.url + target.path : target.url,
    title: req.title,
    connections: req.connections,
    duration: req.durationSeconds,
    pipelining: 1,
    ...(requestsOpt ? { requests: requestsOpt } : { method: 'GET' }),
  });
  const cpu = cpuUsage(before);
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(
    (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {},
  )) {
    statusCodes[code] = Number(v.count);
  }
  return {
    title: req.title,
    requests: result.requests.total,
    durationSeconds: result.duration,
    reqPerSec: result.requests.total / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

process.on('message', (msg: ToLoadgen) => {
  if (msg.type === 'init') {
    learners = msg.learners;
    clockBase = msg.clockBase;
    tracked = learners.map((l, i) => initialState(l, i, clockBase));
    scratch = learners.map((l, i) => initialState(l, i, clockBase));
    send({ type: 'ready' });
  } else if (msg.type === 'run') {
    run(msg).then(
      (summary) => send({ type: 'result', id: msg.id, summary }),
      (err: Error) => send({ type: 'error', id: msg.id, message: err.stack ?? String(err) }),
    );
  } else if (msg.type === 'state') {
    send({ type: 'state', id: msg.id, learners: tracked });
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
