import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { UnauthorizedError } from '../errors';
import { grants, grantsFor, type Actor } from './grants';
import { roles, type Role } from './model';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_DAYS = 30;
const ISSUER = 'lectern';
const AUDIENCE = 'lectern-api';

const claims = z.object({
  sub: z.string().regex(/^[0-9a-f]{24}$/),
  roles: z.array(z.enum(roles)),
  scope: z.string(),
  exp: z.number(),
  // jsonwebtoken sets it on every token it signs; one without it predates any revocation check.
  iat: z.number().optional(),
});

type UserActor = Extract<Actor, { kind: 'user' }>;

/** Enough for every viewer of a busy hour; the least recently used go first beyond it. */
const VERIFIED_CACHE_SIZE = 20_000;
/** Expiry on the wall clock, the one `exp` is on (and the one tests can set). */
const wallClock = { now: () => Date.now() };

export class TokenIssuer {
  // A KeyObject, not the string: given a string, jsonwebtoken first tries it as a
  // public key on every verify, which cost 40 % of the server's CPU under load.
  private readonly secret: KeyObject;
  /**
   * Tokens that passed verification, until their expiry. A player sends a heartbeat
   * every few seconds with the same token, and verifying it again each time cost a
   * tenth of the server's CPU. Keyed by the whole token string, so only that exact
   * token hits; a user's revocation is checked on every hit all the same.
   * Each entry lives until its token's `exp`, never longer.
   */
  private readonly verified: LRUCache<string, { actor: UserActor; issuedAt: number }>;
  /**
   * Users whose access tokens issued before a moment are void: a disabled or deleted account
   * must not keep writing for the quarter hour its last token lives. Kept for that quarter
   * hour only: every token issued before then has expired by itself after it.
   */
  private readonly revoked = new LRUCache<string, number>({
    max: 100_000,
    ttl: ACCESS_TOKEN_SECONDS * 1000,
    perf: wallClock,
    ttlResolution: 0,
  });

  constructor(secret: string, opts: { verifiedCacheSize?: number } = {}) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
    this.verified = new LRUCache({
      max: opts.verifiedCacheSize ?? VERIFIED_CACHE_SIZE,
      ttl: ACCESS_TOKEN_SECONDS * 1000,
      perf: wallClock,
      ttlResolution: 0,
    });
  }

  /** Verified tokens remembered right now (expired ones may count until they are next looked up). */
  get rememberedTokens(): number {
    return this.verified.size;
  }

  issueAccess(userId: string, userRoles: Role[]): string {
    return jwt.sign({ roles: userRoles, scope: grantsFor(userRoles).join(' ') }, this.secret, {
      algorithm: 'HS256',
      subject: userId,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: ACCESS_TOKEN_SECONDS,
    });
  }

  /** When a token that verifyAccess accepted expires. */
  expiryOf(token: string): Date {
    const { exp } = claims.pick({ exp: true }).parse(jwt.decode(token));
    return new Date(exp * 1000);
  }

  /** Verifies algorithm, issuer, audience and expiry; the grants come from the token, never from input. */
  verifyAccess(token: string): UserActor {
    const cached = this.verified.get(token);
    if (cached) return this.unlessRevoked(cached.actor, cached.issuedAt);

    let payload: unknown;
    try {
      payload = jwt.verify(token, this.secret, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw new UnauthorizedError(
        expired ? 'token_expired' : 'invalid_token',
        expired ? 'The access token has expired' : 'The access token is not valid',
      );
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new UnauthorizedError('invalid_token', 'The access token is not valid');
    const known = new Set<string>(grants);
    const actor: UserActor = Object.freeze({
      kind: 'user' as const,
      userId: parsed.data.sub,
      roles: Object.freeze(parsed.data.roles) as Role[],
      grants: Object.freeze(parsed.data.scope.split(' ').filter((g): g is (typeof grants)[number] => known.has(g))) as UserActor['grants'],
    });
    // jsonwebtoken treats a token as expired from its `exp` second on; an entry goes stale once
    // more than its ttl has passed, so it ends 1 ms before that second begins.
    const ttl = parsed.data.exp * 1000 - Date.now() - 1;
    const issuedAt = parsed.data.iat ?? 0;
    if (ttl > 0) this.verified.set(token, { actor, issuedAt }, { ttl });
    return this.unlessRevoked(actor, issuedAt);
  }

  /** Voids the user's access tokens issued up to now (to the second: `iat` has no finer grain, so one issued later in this second goes too). */
  revokeUser(userId: string): void {
    this.revoked.set(userId, Math.floor(Date.now() / 1000));
  }

  private unlessRevoked(actor: UserActor, issuedAt: number): UserActor {
    const since = this.revoked.get(actor.userId);
    if (since !== undefined && issuedAt <= since) throw new UnauthorizedError('token_revoked', 'The access token was revoked');
    return actor;
  }
}

/** Refresh tokens are random; only their hash is stored. */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
