import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { ProfileBody, RegisterBody, SessionView, UserView } from '../protocol';
import { has, type Actor } from './grants';
import type { AccountLimits } from './limits';
import type { MailLinks } from './mail-links';
import { DEFAULT_TIME_ZONE, normalizeEmail, type RefreshTokenRepository, type Role, type User, type UserRepository } from './model';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import type { SignInThrottle } from './throttle';
import { ACCESS_TOKEN_SECONDS, hashOpaqueToken, newOpaqueToken, REFRESH_TOKEN_DAYS, type TokenIssuer } from './tokens';

export interface AccountDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  tokens: TokenIssuer;
  throttle: SignInThrottle;
  limits: AccountLimits;
  mailLinks: MailLinks;
  /** The personal-data policy's current version: sign-up must accept this one. */
  policyVersion: string;
}

/** What `npm run admin -- create` did: a new account comes with its generated password, shown once. */
export interface AdminCreated {
  user: UserView;
  password?: string;
}

export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  async register(input: RegisterBody, ip: string): Promise<SessionView> {
    this.checkPolicy(input.consent.policyVersion);
    await this.deps.throttle.registration(ip);
    const email = normalizeEmail(input.email);
    // Registering never makes an admin: only someone at the server's console can (makeAdmin).
    const user = await this.deps.users.create({
      email,
      displayName: input.displayName,
      locale: input.locale,
      roles: ['learner'],
      passwordHash: await hashPassword(input.password),
      timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
      emailConfirmedAt: null,
      consent: { policyVersion: input.consent.policyVersion, at: new Date() },
    });
    await this.deps.mailLinks.sendConfirmation(user);
    return this.openSession(user, randomUUID());
  }

  /** 152-FZ consent is to one text: a page showing an older version must be reloaded. */
  checkPolicy(version: string): void {
    if (version !== this.deps.policyVersion)
      throw new ConflictError('policy_outdated', 'The personal-data policy has changed; read the current version and accept it');
  }

  async resendConfirmation(actor: Actor): Promise<void> {
    await this.deps.mailLinks.resendConfirmation(await this.current(actor));
  }

  async updateProfile(actor: Actor, changes: ProfileBody): Promise<UserView> {
    const me = await this.current(actor);
    await this.deps.limits.hit('profile-user', me.id);
    const user = await this.deps.users.updateProfile(me.id, changes);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return userView(user);
  }

  /** Ends every other session: the tab that changed it gets a new one. */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string): Promise<SessionView> {
    const me = await this.current(actor);
    await this.deps.limits.hit('password-change-user', me.id);
    const hash = await this.deps.users.passwordHashOf(me.id);
    if (hash === null) throw new ConflictError('no_password', 'This account signs in through the portal; set a password by reset');
    if (!(await verifyPassword(currentPassword, hash))) throw new ForbiddenError('wrong_password', 'The password is wrong');
    await this.deps.users.setPasswordHash(me.id, await hashPassword(newPassword));
    await this.deps.refreshTokens.revokeAllFor(me.id);
    await this.deps.mailLinks.passwordChanged(me.id);
    return this.openSession(me, randomUUID());
  }

  /** A session for a user another way proved (OIDC); a disabled account gets none, whichever way it came. */
  async sessionFor(user: User): Promise<SessionView> {
    if (user.disabled) throw new ForbiddenError('account_disabled', 'This account is disabled');
    return this.openSession(user, randomUUID());
  }

  private async current(actor: Actor): Promise<User> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const user = await this.deps.users.findById(actor.userId);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return user;
  }

  async login(emailInput: string, password: string, ip: string): Promise<SessionView> {
    const email = normalizeEmail(emailInput);
    // Counted before anything else is awaited: parallel guesses each take their own count.
    const attempt = await this.deps.throttle.attempt(email, ip);
    const user = await this.deps.users.findByEmail(email);
    const ok = user?.passwordHash ? await verifyPassword(password, user.passwordHash) : (await burnPasswordCheck(password), false);
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
    return userView(await this.current(actor));
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
      // The operator at the console vouches for the address.
      emailConfirmedAt: new Date(),
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
    emailConfirmed: user.emailConfirmedAt !== null,
    timeZone: user.timeZone,
    hasPassword: user.hasPassword,
    consent: user.consent ? { policyVersion: user.consent.policyVersion, at: user.consent.at.toISOString() } : null,
  };
}
