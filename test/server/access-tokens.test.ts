import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenIssuer, ACCESS_TOKEN_SECONDS } from '../../server/accounts/tokens';

// verifyAccess remembers tokens it has verified; the memory must never outlive
// the token's expiry nor accept anything but the exact token.
const userId = 'a'.repeat(24);
afterEach(() => vi.useRealTimers());

describe('access token verification', () => {
  it('refuses a token after its expiry even when it was verified before', () => {
    vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    const issuer = new TokenIssuer('s'.repeat(40));
    const token = issuer.issueAccess(userId, ['learner']);
    expect(issuer.verifyAccess(token)).toMatchObject({ kind: 'user', userId, roles: ['learner'] });
    vi.setSystemTime(Date.now() + (ACCESS_TOKEN_SECONDS - 1) * 1000);
    expect(issuer.verifyAccess(token).userId).toBe(userId);
    vi.setSystemTime(Date.now() + 1000);
    expect(() => issuer.verifyAccess(token)).toThrow(expect.objectContaining({ code: 'token_expired', status: 401 }));
  });

  it('remembers a token first verified late in its life only until its expiry', () => {
    vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    const issuer = new TokenIssuer('s'.repeat(40));
    const token = issuer.issueAccess(userId, ['learner']);
    vi.setSystemTime(Date.now() + (ACCESS_TOKEN_SECONDS - 2) * 1000);
    expect(issuer.verifyAccess(token).userId).toBe(userId);
    expect(issuer.rememberedTokens).toBe(1);
    vi.setSystemTime(Date.now() + 1999);
    expect(issuer.verifyAccess(token).userId).toBe(userId);
    vi.setSystemTime(Date.now() + 1);
    expect(() => issuer.verifyAccess(token)).toThrow(expect.objectContaining({ code: 'token_expired' }));
  });

  it('refuses every token of a revoked user issued up to the revocation, remembered or not, and accepts later ones', () => {
    vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    const issuer = new TokenIssuer('s'.repeat(40));
    const remembered = issuer.issueAccess(userId, ['learner']);
    issuer.verifyAccess(remembered);
    vi.setSystemTime(Date.now() + 5000);
    const fresh = issuer.issueAccess(userId, ['learner']);
    const other = issuer.issueAccess('b'.repeat(24), ['learner']);
    issuer.revokeUser(userId);
    for (const token of [remembered, fresh]) {
      expect(() => issuer.verifyAccess(token)).toThrow(expect.objectContaining({ code: 'token_revoked', status: 401 }));
    }
    expect(issuer.verifyAccess(other).userId).toBe('b'.repeat(24));
    vi.setSystemTime(Date.now() + 1000);
    expect(issuer.verifyAccess(issuer.issueAccess(userId, ['learner'])).userId).toBe(userId);
  });

  it('remembers at most its cap of tokens, dropping the least recently used', () => {
    const issuer = new TokenIssuer('s'.repeat(40), { verifiedCacheSize: 2 });
    const tokens = ['a', 'b', 'c'].map((c) => issuer.issueAccess(c.repeat(24), ['learner']));
    issuer.verifyAccess(tokens[0]!);
    issuer.verifyAccess(tokens[1]!);
    issuer.verifyAccess(tokens[0]!);
    issuer.verifyAccess(tokens[2]!);
    expect(issuer.rememberedTokens).toBe(2);
    // The one dropped is verified again in full, and still passes.
    expect(issuer.verifyAccess(tokens[1]!).userId).toBe('b'.repeat(24));
    expect(issuer.rememberedTokens).toBe(2);
  });

  it('accepts only the exact token that was verified', () => {
    const issuer = new TokenIssuer('s'.repeat(40));
    const token = issuer.issueAccess(userId, ['lecturer']);
    issuer.verifyAccess(token);
    const [head, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    expect(() => issuer.verifyAccess(`${head}.${payload}.${flipped}`)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
    expect(() => issuer.verifyAccess(`${token}x`)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
    expect(() => new TokenIssuer('t'.repeat(40)).verifyAccess(token)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
  });

  it('hands out an actor that callers cannot change', () => {
    const issuer = new TokenIssuer('s'.repeat(40));
    const token = issuer.issueAccess(userId, ['learner']);
    const actor = issuer.verifyAccess(token);
    expect(() => (actor.grants as string[]).push('admin:users')).toThrow();
    expect(issuer.verifyAccess(token).grants).not.toContain('admin:users');
  });
});
