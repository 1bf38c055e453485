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
});

export class TokenIssuer {
  // A KeyObject, not the string: given a string, jsonwebtoken first tries it as a
  // public key on every verify, which cost 40 % of the server's CPU under load.
  private readonly secret: KeyObject;

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
  verifyAccess(token: string): Extract<Actor, { kind: 'user' }> {
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.secret, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw new UnauthorizedError(expired ? 'token_expired' : 'invalid_token', expired ? 'The access token has expired' : 'The access token is not valid');
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new UnauthorizedError('invalid_token', 'The access token is not valid');
    const known = new Set<string>(grants);
    return {
      kind: 'user',
      userId: parsed.data.sub,
      roles: parsed.data.roles,
      grants: parsed.data.scope.split(' ').filter((g): g is (typeof grants)[number] => known.has(g)),
    };
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
