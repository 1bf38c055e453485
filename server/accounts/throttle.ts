import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimits } from '../rate-limits';

export interface SignInLimits {
  /** Attempts per address in the window; a success gives its point back. */
  perIp: number;
  /** Attempts at one account from one address before that pair is refused for the window. */
  perAccountAndIp: number;
  /** Attempts at one account, from anywhere, before each further one must wait. */
  freePerAccount: number;
  /** The longest wait between attempts at a slowed account. */
  maxDelaySeconds: number;
  windowSeconds: number;
  /** New accounts per address per hour. */
  registrationsPerIp: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perIp: 30,
  perAccountAndIp: 5,
  freePerAccount: 5,
  maxDelaySeconds: 60,
  windowSeconds: 15 * 60,
  registrationsPerIp: 20,
};

const TOO_MANY = { code: 'too_many_attempts', message: 'Too many sign-in attempts; try again later' };
const TOO_MANY_REGISTRATIONS = { code: 'too_many_registrations', message: 'Too many new accounts from this address; try again later' };

/** What the caller reports once the password was checked. */
export interface SignInAttempt {
  succeeded(): Promise<void>;
}

/**
 * Sign-in and registration throttling. Every attempt is counted by the limiter
 * itself (an atomic increment in memory or Redis) before the password is looked
 * at, so a burst of parallel guesses cannot all pass one check. A known account
 * is slowed, not locked: past its free attempts, each next attempt waits a delay
 * that doubles up to maxDelaySeconds, so its owner still gets in while guessing
 * stays slow. The address that guesses is the one refused for the window.
 */
export class SignInThrottle {
  private readonly ip: RateLimiterAbstract;
  private readonly pair: RateLimiterAbstract;
  private readonly account: RateLimiterAbstract;
  private readonly pace: RateLimiterAbstract;
  private readonly registrations: RateLimiterAbstract;

  constructor(
    private readonly limits: RateLimits,
    private readonly config: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
  ) {
    const window = config.windowSeconds;
    this.ip = limits.limiter({ name: 'login-ip', points: config.perIp, durationSeconds: window });
    this.pair = limits.limiter({ name: 'login-account-ip', points: config.perAccountAndIp, durationSeconds: window });
    // Only counts: the pace limiter below does the refusing, so the count may grow without bound.
    this.account = limits.limiter({ name: 'login-account', points: Number.MAX_SAFE_INTEGER, durationSeconds: window });
    this.pace = limits.limiter({ name: 'login-account-pace', points: 1, durationSeconds: 1 });
    this.registrations = limits.limiter({ name: 'register-ip', points: config.registrationsPerIp, durationSeconds: 3600 });
  }

  /** Counts one sign-in attempt; throws 429 too_many_attempts when it must not go ahead. */
  async attempt(email: string, ip: string): Promise<SignInAttempt> {
    const pairKey = `${email}|${ip}`;
    await this.limits.consume(this.ip, ip, TOO_MANY);
    await this.limits.consume(this.pair, pairKey, TOO_MANY);
    const tried = await this.account.consume(email);
    const over = tried.consumedPoints - this.config.freePerAccount;
    if (over > 0) {
      // 1 s after the first attempt past the free ones, then 2, 4, … seconds.
      const delay = Math.min(2 ** (over - 1), this.config.maxDelaySeconds);
      await this.limits.consume(this.pace, email, TOO_MANY, { customDuration: delay });
    }
    return {
      succeeded: async () => {
        await Promise.all([this.account.delete(email), this.pair.delete(pairKey), this.ip.reward(ip)]);
      },
    };
  }

  /** Counts one registration from this address; throws 429 too_many_registrations past the hourly limit. */
  async registration(ip: string): Promise<void> {
    await this.limits.consume(this.registrations, ip, TOO_MANY_REGISTRATIONS);
  }
}
