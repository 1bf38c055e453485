import { createClient } from 'redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from './errors';
import type { Logger } from './logger';

export interface LimiterSpec {
  /** Names the limit in keys, logs and metrics: 'login-ip', 'live-event'. */
  name: string;
  points: number;
  durationSeconds: number;
  /** Once over, the key stays refused this long (default: until the window ends). */
  blockSeconds?: number;
}

/** Creates a limiter: in Redis when REDIS_URL is set, so that limits hold across nodes; in memory otherwise. */
export type LimiterFactory = (spec: LimiterSpec) => RateLimiterAbstract;

/** Whoever counts refusals (metrics) listens here. */
export type RefusalListener = (name: string) => void;

/** What this module needs of a node-redis client; rate-limiter-flexible drives the rest. */
interface RedisClient {
  quit(): Promise<unknown>;
}

/**
 * The one place that decides where rate-limit counters live. With Redis, each
 * limiter keeps an in-memory twin as insurance: a Redis outage falls back to
 * per-node limits instead of refusing every sign-in.
 */
export class RateLimits {
  private readonly listeners: RefusalListener[] = [];

  private constructor(
    private readonly redis: RedisClient | undefined,
    private readonly logger: Logger,
  ) {}

  static async create(opts: { redisUrl?: string; logger: Logger }): Promise<RateLimits> {
    if (!opts.redisUrl) return new RateLimits(undefined, opts.logger);
    const client = createClient({ url: opts.redisUrl });
    client.on('error', (err: unknown) => opts.logger.error({ err }, 'rate-limit redis error'));
    await client.connect();
    return new RateLimits(client, opts.logger);
  }

  readonly limiter: LimiterFactory = (spec) => {
    const memory = () =>
      new RateLimiterMemory({
        keyPrefix: spec.name,
        points: spec.points,
        duration: spec.durationSeconds,
        ...(spec.blockSeconds ? { blockDuration: spec.blockSeconds } : {}),
      });
    if (!this.redis) return memory();
    return new RateLimiterRedis({
      storeClient: this.redis,
      useRedisPackage: true,
      keyPrefix: `lectern:rl:${spec.name}`,
      points: spec.points,
      duration: spec.durationSeconds,
      ...(spec.blockSeconds ? { blockDuration: spec.blockSeconds } : {}),
      insuranceLimiter: memory(),
    });
  };

  /** A limiter kept in this process whatever the store: for keys that live on one node (a socket). */
  readonly local: LimiterFactory = (spec) =>
    new RateLimiterMemory({
      keyPrefix: spec.name,
      points: spec.points,
      duration: spec.durationSeconds,
      ...(spec.blockSeconds ? { blockDuration: spec.blockSeconds } : {}),
    });

  /** Takes points from key, or throws 429 `code` with details.retryAfterSeconds. */
  async consume(
    limiter: RateLimiterAbstract,
    key: string,
    refusal: { code: string; message: string },
    opts: { points?: number; customDuration?: number } = {},
  ): Promise<RateLimiterRes> {
    try {
      return await limiter.consume(key, opts.points ?? 1, opts.customDuration === undefined ? {} : { customDuration: opts.customDuration });
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      this.refused(limiter.keyPrefix);
      throw new AppError(429, refusal.code, refusal.message, { retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) });
    }
  }

  /** Counts a refusal decided outside consume(), e.g. a socket cap. */
  refused(name: string): void {
    const plain = name.replace(/^lectern:rl:/, '');
    for (const listener of this.listeners) listener(plain);
  }

  onRefused(listener: RefusalListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    await this.redis.quit().catch((err: unknown) => this.logger.warn({ err }, 'rate-limit redis did not quit cleanly'));
  }
}
