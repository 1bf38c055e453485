import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimits } from '../rate-limits';

/**
 * The account routes' rate limits beyond sign-in (throttle.ts): each action has one
 * limiter, keyed by who acts (a user id) or, for public routes, by address or e-mail.
 */
const SPECS = {
  // Public, by address: a link followed, a policy read, a portal sign-in begun or finished.
  'confirm-ip': { points: 30, durationSeconds: 15 * 60 },
  'reset-ip': { points: 30, durationSeconds: 15 * 60 },
  'reset-request-ip': { points: 10, durationSeconds: 3600 },
  'policy-ip': { points: 120, durationSeconds: 60 },
  'oidc-ip': { points: 30, durationSeconds: 60 },
  // A mailbox gets at most a few mails an hour, whoever asks.
  'reset-request-email': { points: 3, durationSeconds: 3600 },
  'confirm-resend-user': { points: 3, durationSeconds: 3600 },
  // Signed in, by user: a current password guessed, a profile saved, data downloaded, an account deleted.
  'password-change-user': { points: 10, durationSeconds: 15 * 60 },
  'profile-user': { points: 30, durationSeconds: 60 },
  'export-user': { points: 5, durationSeconds: 3600 },
  'delete-user': { points: 5, durationSeconds: 3600 },
} as const;
export type AccountAction = keyof typeof SPECS;

const REFUSAL = { code: 'too_many_requests', message: 'Too many requests of this kind; try again later' };

export class AccountLimits {
  private readonly limiters = new Map<AccountAction, RateLimiterAbstract>();

  constructor(private readonly limits: RateLimits) {
    for (const [name, spec] of Object.entries(SPECS) as Array<[AccountAction, (typeof SPECS)[AccountAction]]>)
      this.limiters.set(name, limits.limiter({ name, ...spec }));
  }

  /** Counts one action by key; throws 429 too_many_requests past its limit. */
  async hit(action: AccountAction, key: string): Promise<void> {
    await this.limits.consume(this.limiters.get(action)!, key, REFUSAL);
  }
}
