import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the metrics read when Prometheus scrapes: each part's own counts, nothing copied. */
export interface MetricSources {
  workers(): { alive: number; replaced: number; routers: number };
  media(): Promise<{ rooms: number; routers: number; transports: number; producers: number; consumers: number }>;
  viewers(): Map<string, number>;
  sockets(): number;
  recorderRestarts(): number;
  heartbeatBuffer(): number;
}

/**
 * Lectern's Prometheus metrics (prom-client), in a registry of its own per app so that
 * several apps in one process (tests) do not share counters. Served at /metrics only
 * with METRICS_TOKEN as a bearer token.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly refusals: Counter<'limit'>;
  private readonly flushSeconds: Histogram;

  constructor(private readonly sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'lectern_process_' });
    this.httpDuration = new Histogram({
      name: 'lectern_http_request_duration_seconds',
      help: 'HTTP answers by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.refusals = new Counter({
      name: 'lectern_rate_limit_refusals_total',
      help: 'Requests refused by a rate limit or cap',
      labelNames: ['limit'],
      registers,
    });
    this.flushSeconds = new Histogram({
      name: 'lectern_progress_flush_seconds',
      help: 'How long writing the heartbeat buffer to the database took',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await read());
        },
      });
    gauge('lectern_media_workers_alive', 'mediasoup workers running', () => sources.workers().alive);
    gauge('lectern_media_worker_replacements', 'mediasoup workers replaced after dying, since start', () => sources.workers().replaced);
    gauge('lectern_media_routers', 'mediasoup routers (one or more per live seminar)', () => sources.workers().routers);
    gauge('lectern_media_rooms', 'seminar rooms open on this node', async () => (await sources.media()).rooms);
    gauge('lectern_media_transports', 'WebRTC transports of participants', async () => (await sources.media()).transports);
    gauge('lectern_media_producers', 'streams sent by participants', async () => (await sources.media()).producers);
    gauge('lectern_media_consumers', 'streams received by participants', async () => (await sources.media()).consumers);
    gauge('lectern_live_sockets', 'open /live Socket.IO connections', () => sources.sockets());
    gauge('lectern_recorder_restarts', 'recording ffmpeg restarts after a crash, since start', () => sources.recorderRestarts());
    gauge('lectern_progress_buffered', 'heartbeat records waiting in the buffer for the next flush', () => sources.heartbeatBuffer());
    new Gauge({
      name: 'lectern_live_viewers',
      help: 'viewers per seminar with an open room on this node',
      labelNames: ['seminar'],
      registers,
      collect() {
        this.reset();
        for (const [seminar, count] of sources.viewers()) this.set({ seminar }, count);
      },
    });
  }

  refused(limit: string): void {
    this.refusals.inc({ limit });
  }

  flushed(ms: number): void {
    this.flushSeconds.observe(ms / 1000);
  }

  /** Times every HTTP answer under the route pattern that served it (never the raw path: bounded labels). */
  readonly httpTimer: RequestHandler = (req, res, next) => {
    const end = this.httpDuration.startTimer();
    res.once('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route =
        typeof res.locals.route === 'string'
          ? res.locals.route
          : typeof pattern === 'string'
            ? `${req.baseUrl}${pattern}`
            : res.statusCode === 404
              ? 'not_found'
              : 'other';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  /** GET /metrics, answered only to `Authorization: Bearer <token>`. */
  endpoint(token: string): RequestHandler {
    const expected = Buffer.from(`Bearer ${token}`);
    return async (req, res) => {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res
          .status(401)
          .set('WWW-Authenticate', 'Bearer')
          .json({ error: { code: 'unauthorized', message: 'The metrics token is required' } });
        return;
      }
      res.type(this.registry.contentType).send(await this.registry.metrics());
    };
  }
}
