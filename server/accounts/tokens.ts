import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
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
});

type UserActor = Extract<Actor, { kind: 'user' }>;

/** Enough for every viewer of a busy hour; the oldest entries go first beyond it. */
const VERIFIED_CACHE_SIZE = 20_000;

export class TokenIssuer {
  // A KeyObject, not the string: given a string, jsonwebtoken first tries it as a
  // public key on every verify, which cost 40 % of the server's CPU under load.
  private readonly secret: KeyObject;
  /**
   * Tokens that passed verification, until their expiry. A player sends a heartbeat
   * every few seconds with the same token, and verifying it again each time cost a
   * tenth of the server's CPU. Keyed by the whole token string, so only that exact
   * token hits; access tokens are not revocable one by one, so nothing else changes.
   */
  private readonly verified = new Map<string, { actor: UserActor; exp: number }>();

  constructor(secret: string) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
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

  /** Verifies algorithm, issuer, audience and expiry; the grants come from the token, never from input. */
  verifyAccess(token: string): UserActor {
    const cached = this.verified.get(token);
    // Seconds, compared as jsonwebtoken does: a token is expired from its `exp` second on.
    if (cached && Math.floor(Date.now() / 1000) < cached.exp) return cached.actor;
    if (cached) this.verified.delete(token);

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
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { actor, exp: parsed.data.exp });
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
