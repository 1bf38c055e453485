import { randomBytes, randomUUID } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { RegisterBody, SessionView, UserView } from '../protocol';
import { has, type Actor } from './grants';
import { normalizeEmail, type RefreshTokenRepository, type Role, type User, type UserRepository } from './model';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import type { SignInThrottle } from './throttle';
import { ACCESS_TOKEN_SECONDS, hashOpaqueToken, newOpaqueToken, REFRESH_TOKEN_DAYS, type TokenIssuer } from './tokens';

export interface AccountDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  tokens: TokenIssuer;
  throttle: SignInThrottle;
}

/** What `npm run admin -- create` did: a new account comes with its generated password, shown once. */
export interface AdminCreated {
  user: UserView;
  password?: string;
}

export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  async register(input: RegisterBody, ip: string): Promise<SessionView> {
    await this.deps.throttle.registration(ip);
    const email = normalizeEmail(input.email);
    // Registering never makes an admin: only someone at the server's console can (makeAdmin).
    const user = await this.deps.users.create({
      email,
      displayName: input.displayName,
      locale: input.locale,
      roles: ['learner'],
      passwordHash: await hashPassword(input.password),
    });
    return this.openSession(user, randomUUID());
  }

  async login(emailInput: string, password: string, ip: string): Promise<SessionView> {
    const email = normalizeEmail(emailInput);
    // Counted before anything else is awaited: parallel guesses each take their own count.
    const attempt = await this.deps.throttle.attempt(email, ip);
    const user = await this.deps.users.findByEmail(email);
    const ok = user ? await verifyPassword(password, user.passwordHash) : (await burnPasswordCheck(password), false);
    if (!user || !ok) throw new UnauthorizedError('invalid_credentials', 'E-mail or password is wrong');
    await attempt.succeeded();
    // Told only to who knows the password: a guess learns nothing about the account.
    if (user.disabled) throw new ForbiddenError('account_disabled', 'This account is disabled');
    return this.openSession(user, randomUUID());
  }

  /** Rotates a refresh token. Replaying a used one revokes its whole family. */
  async refresh(refreshToken: string): Promise<SessionView> {
    const result = await this.deps.refreshTokens.consume(hashOpaqueToken(refreshToken), new Date());
    if (!result) throw new UnauthorizedError('invalid_refresh_token', 'The refresh token is not valid');
    const owner = await this.deps.users.findById('reused' in result ? result.reused.userId : result.userId);
    if (owner?.disabled) throw new UnauthorizedError('account_disabled', 'This account is disabled');
    if ('reused' in result) {
      await this.deps.refreshTokens.revokeFamily(result.reused.familyId);
      throw new UnauthorizedError('refresh_token_reused', 'The refresh token was already used; sign in again');
    }
    const user = owner;
    if (!user) throw new UnauthorizedError('invalid_refresh_token', 'The refresh token is not valid');
    return this.openSession(user, result.familyId);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.deps.refreshTokens.revoke(hashOpaqueToken(refreshToken));
  }

  async me(actor: Actor): Promise<UserView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const user = await this.deps.users.findById(actor.userId);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return userView(user);
  }

  async setRoles(actor: Actor, userId: string, roles: Role[]): Promise<UserView> {
    if (!has(actor, 'users:manage')) throw new ForbiddenError();
    if (actor.userId === userId && !roles.includes('admin')) {
      throw new ForbiddenError('cannot_demote_self', 'An admin cannot remove their own admin role');
    }
    const user = await this.deps.users.setRoles(userId, roles.includes('learner') ? roles : [...roles, 'learner']);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return userView(user);
  }

  /**
   * The server's console (npm run admin -- create): an existing account gains the admin
   * role; otherwise one is created with a random password that is returned once.
   */
  async makeAdmin(emailInput: string, displayName: string): Promise<AdminCreated> {
    const email = normalizeEmail(emailInput);
    const existing = await this.deps.users.findByEmail(email);
    if (existing) {
      const roles: Role[] = existing.roles.includes('admin') ? existing.roles : ['admin', ...existing.roles];
      const user = await this.deps.users.setRoles(existing.id, roles);
      if (!user) throw new NotFoundError('user_not_found', 'No such user');
      return { user: userView(user) };
    }
    const password = randomBytes(18).toString('base64url');
    const user = await this.deps.users.create({
      email,
      displayName,
      locale: 'ru',
      roles: ['admin', 'learner'],
      passwordHash: await hashPassword(password),
    });
    return { user: userView(user), password };
  }

  private async openSession(user: User, familyId: string): Promise<SessionView> {
    const refresh = newOpaqueToken();
    await this.deps.refreshTokens.insert({
      hash: refresh.hash,
      userId: user.id,
      familyId,
      expiresAt: new Date(Date.now() + REFRESH_TOKEN_DAYS * 86_400_000),
    });
    return {
      user: userView(user),
      accessToken: this.deps.tokens.issueAccess(user.id, user.roles),
      accessTokenExpiresIn: ACCESS_TOKEN_SECONDS,
      refreshToken: refresh.token,
    };
  }
}

export function userView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    locale: user.locale,
    roles: user.roles,
    createdAt: user.createdAt.toISOString(),
  };
}
