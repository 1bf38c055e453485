import { BadRequestError } from '../errors';
import type { AccountLimits } from './limits';
import { confirmationMail, resetMail } from './mail-texts';
import {
  normalizeEmail,
  type AccountTokenPurpose,
  type AccountTokenRepository,
  type RefreshTokenRepository,
  type User,
  type UserRepository,
} from './model';
import { hashPassword } from './passwords';
import { hashOpaqueToken, newOpaqueToken } from './tokens';

export const CONFIRMATION_HOURS = 48;
/** A reset link works once, within this time (the issue: "expiring within an hour"). */
export const RESET_MINUTES = 60;

export interface MailLinkDeps {
  users: UserRepository;
  accountTokens: AccountTokenRepository;
  refreshTokens: RefreshTokenRepository;
  limits: AccountLimits;
  /** Queues one account e-mail through the outbox (NotificationService.accountMail). */
  send(id: string, userId: string, mail: { to: string; subject: string; text: string }): Promise<void>;
  publicBaseUrl: string;
  /** A reset mail that could not be queued after the answer went out: logged, as nobody waits for it. */
  onMailError(err: unknown): void;
}

/**
 * The flows that prove a mailbox: e-mail confirmation and password reset. Each link
 * carries a random token; only its hash is stored, it works once, and it expires.
 */
export class MailLinks {
  constructor(private readonly deps: MailLinkDeps) {}

  async sendConfirmation(user: User): Promise<void> {
    const token = await this.issue(user.id, 'confirm_email', CONFIRMATION_HOURS * 60);
    const link = `${this.deps.publicBaseUrl}/confirm-email?token=${token}`;
    await this.deps.send(`account_mail.confirm_email.${hashOpaqueToken(token).slice(0, 16)}`, user.id, {
      to: user.email,
      ...confirmationMail(user.locale, user.displayName, link),
    });
  }

  async resendConfirmation(user: User): Promise<void> {
    await this.deps.limits.hit('confirm-resend-user', user.id);
    if (user.emailConfirmedAt) return;
    await this.deps.accountTokens.voidFor(user.id, 'confirm_email');
    await this.sendConfirmation(user);
  }

  async confirm(token: string, ip: string): Promise<void> {
    await this.deps.limits.hit('confirm-ip', ip);
    const userId = await this.deps.accountTokens.consume(hashOpaqueToken(token), 'confirm_email', new Date());
    if (!userId) throw new BadRequestError('invalid_link', 'The link is not valid: it was used already, has expired or is wrong');
    await this.deps.users.confirmEmail(userId, new Date());
  }

  /** Always succeeds for the caller, so that nobody learns which addresses have accounts. */
  async requestReset(emailInput: string, ip: string): Promise<void> {
    const email = normalizeEmail(emailInput);
    await this.deps.limits.hit('reset-request-ip', ip);
    await this.deps.limits.hit('reset-request-email', email);
    const user = await this.deps.users.findByEmail(email);
    // The link is made and queued after the answer: a known address must not answer later
    // than an unknown one, or the timing tells which addresses have accounts.
    if (user) this.mailReset(user).catch((err: unknown) => this.deps.onMailError(err));
  }

  private async mailReset(user: User): Promise<void> {
    // Only the newest link works.
    await this.deps.accountTokens.voidFor(user.id, 'password_reset');
    const token = await this.issue(user.id, 'password_reset', RESET_MINUTES);
    const link = `${this.deps.publicBaseUrl}/reset-password?token=${token}`;
    await this.deps.send(`account_mail.password_reset.${hashOpaqueToken(token).slice(0, 16)}`, user.id, {
      to: user.email,
      ...resetMail(user.locale, user.displayName, link),
    });
  }

  async reset(token: string, password: string, ip: string): Promise<void> {
    await this.deps.limits.hit('reset-ip', ip);
    const userId = await this.deps.accountTokens.consume(hashOpaqueToken(token), 'password_reset', new Date());
    if (!userId) throw new BadRequestError('invalid_link', 'The link is not valid: it was used already, has expired or is wrong');
    await this.deps.users.setPasswordHash(userId, await hashPassword(password));
    // The link came through the mailbox: that proves the address as well as a confirmation would.
    await this.deps.users.confirmEmail(userId, new Date());
    // Whoever knew the old password is signed out everywhere.
    await this.deps.refreshTokens.revokeAllFor(userId);
  }

  /** A password changed by its owner: a reset link mailed before it must not set another. */
  async passwordChanged(userId: string): Promise<void> {
    await this.deps.accountTokens.voidFor(userId, 'password_reset');
  }

  private async issue(userId: string, purpose: AccountTokenPurpose, minutes: number): Promise<string> {
    const { token, hash } = newOpaqueToken();
    await this.deps.accountTokens.insert({ hash, userId, purpose, expiresAt: new Date(Date.now() + minutes * 60_000) });
    return token;
  }
}
