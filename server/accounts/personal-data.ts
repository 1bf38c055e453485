import { randomBytes } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { PersonalDataView } from '../protocol';
import type { Actor } from './grants';
import type { AccountLimits } from './limits';
import type { UserRepository } from './model';
import { verifyPassword } from './passwords';
import { userView } from './service';

/** The name chat messages and questions keep once their author deleted the account. */
export const ANONYMOUS_NAME = 'Удалённый пользователь';

export type PersonalRecords = Omit<PersonalDataView, 'exportedAt' | 'user'>;

/** Everything stored about one user outside the account document (server/store/personal-data.ts). */
export interface PersonalDataStore {
  collect(userId: string): Promise<PersonalRecords>;
  /**
   * Deletes the user's progress, registrations, enrolments, attendance, notifications, mail,
   * sessions and links; their chat and questions stay, under `anonymousId` and ANONYMOUS_NAME.
   */
  erase(userId: string, anonymousId: string): Promise<void>;
}

export interface PersonalDataDeps {
  users: UserRepository;
  store: PersonalDataStore;
  limits: AccountLimits;
  /** Frees the user's seats the way unregistering does (the waitlist moves up). */
  releaseRegistrations(userId: string): Promise<void>;
  /** Writes buffered progress, so none of it lands after the erase. */
  flushProgress(): Promise<void>;
  /** Voids the user's access tokens and drops their live sockets, on every node: nothing they send lands after the erase. */
  signOutEverywhere(userId: string): Promise<void>;
}

/** 152-FZ: a user can take everything Lectern holds about them, and can have it deleted. */
export class PersonalData {
  constructor(private readonly deps: PersonalDataDeps) {}

  async export(actor: Actor): Promise<PersonalDataView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    await this.deps.limits.hit('export-user', actor.userId);
    const user = await this.deps.users.findById(actor.userId);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    await this.deps.flushProgress();
    const view = userView(user);
    return {
      exportedAt: new Date().toISOString(),
      user: { ...view, oidc: user.oidc },
      ...(await this.deps.store.collect(user.id)),
    };
  }

  async delete(actor: Actor, password: string | undefined): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    await this.deps.limits.hit('delete-user', actor.userId);
    const hash = await this.deps.users.passwordHashOf(actor.userId);
    if (!(await this.deps.users.findById(actor.userId))) throw new NotFoundError('user_not_found', 'No such user');
    // A stolen access token alone must not delete an account that has a password.
    if (hash !== null && (password === undefined || !(await verifyPassword(password, hash))))
      throw new ForbiddenError('wrong_password', 'The password is wrong');
    await this.deps.signOutEverywhere(actor.userId);
    await this.deps.releaseRegistrations(actor.userId);
    await this.deps.flushProgress();
    await this.deps.store.erase(actor.userId, randomBytes(12).toString('hex'));
    await this.deps.users.remove(actor.userId);
  }
}
