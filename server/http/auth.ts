import { anonymous, type Actor } from '../accounts/grants';
import type { TokenIssuer } from '../accounts/tokens';
import { UnauthorizedError } from '../errors';

/** The caller from an Authorization header. A token that is present but bad is a 401, never anonymity. */
export function actorFromAuthorization(tokens: TokenIssuer): (header: string | undefined) => Actor {
  return (header) => {
    if (header === undefined) return anonymous;
    const match = /^Bearer ([A-Za-z0-9._-]+)$/.exec(header);
    if (!match?.[1]) throw new UnauthorizedError('invalid_token', 'The Authorization header must be "Bearer <token>"');
    return tokens.verifyAccess(match[1]);
  };
}
