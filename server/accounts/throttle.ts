import { AppError } from '../errors';

interface Window {
  failures: number[];
}

/**
 * Counts failed sign-ins per account and per IP in a sliding window. It lives
 * in memory, per node: behind several nodes each one throttles on its own,
 * which still bounds guessing to nodes × limit.
 */
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits = { perAccount: 5, perIp: 30, windowMs: 15 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 when either key is over its limit. */
  check(email: string, ip: string): void {
    const wait = Math.max(this.retryAfter(`a:${email}`, this.limits.perAccount), this.retryAfter(`i:${ip}`, this.limits.perIp));
    if (wait > 0) {
      throw new AppError(429, 'too_many_attempts', 'Too many failed sign-in attempts; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
  }

  recordFailure(email: string, ip: string): void {
    for (const key of [`a:${email}`, `i:${ip}`]) {
      const w = this.windows.get(key) ?? { failures: [] };
      w.failures.push(this.now());
      this.windows.set(key, w);
    }
    if (this.windows.size > 50_000) this.prune();
  }

  recordSuccess(email: string): void {
    this.windows.delete(`a:${email}`);
  }

  private retryAfter(key: string, limit: number): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const since = this.now() - this.limits.windowMs;
    w.failures = w.failures.filter((t) => t > since);
    if (w.failures.length < limit) return 0;
    return w.failures[w.failures.length - limit]! + this.limits.windowMs - this.now();
  }

  private prune(): void {
    const since = this.now() - this.limits.windowMs;
    for (const [key, w] of this.windows) if (!w.failures.some((t) => t > since)) this.windows.delete(key);
  }
}
