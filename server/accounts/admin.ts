import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { AdminUserView, PageQuery } from '../protocol';
import { grantsFor, has, type Actor } from './grants';
import type { RefreshTokenRepository, Role, User, UserDirectory, UserRepository } from './model';

export interface UserAdminDeps {
  users: UserRepository & UserDirectory;
  refreshTokens: RefreshTokenRepository;
  /** Ends the user's open live sockets (on every node). */
  dropSockets(userId: string): Promise<void>;
}

/** How many lecturers one search answers: enough to pick from, too few to list everyone. */
const LECTURER_SEARCH_LIMIT = 10;

/**
 * The admin's user list and account switches, and the lecturers' search for
 * co-lecturers. Role changes themselves are AccountService.setRoles.
 */
export class UserAdminService {
  constructor(private readonly deps: UserAdminDeps) {}

  async list(actor: Actor, filter: { q?: string; role?: Role }, page: PageQuery) {
    if (!has(actor, 'users:manage')) throw new ForbiddenError();
    const result = await this.deps.users.search(filter, page.limit, page.cursor);
    return { items: result.items.map(adminUserView), nextCursor: result.nextCursor };
  }

  async get(actor: Actor, id: string): Promise<AdminUserView> {
    if (!has(actor, 'users:manage')) throw new ForbiddenError();
    const user = await this.deps.users.findById(id);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return adminUserView(user);
  }

  /**
   * Disabling refuses sign-in and refresh from now on, revokes every refresh token and drops
   * the live sockets. An access token already issued stays valid until it expires (15 minutes
   * at most) for the REST API; a live room refuses it at once, since joining reads the account.
   */
  async setDisabled(actor: Actor, id: string, disabled: boolean): Promise<AdminUserView> {
    if (!has(actor, 'users:manage')) throw new ForbiddenError();
    if (actor.userId === id && disabled) throw new ForbiddenError('cannot_disable_self', 'An admin cannot disable their own account');
    const user = await this.deps.users.setDisabled(id, disabled);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    if (disabled) {
      await this.deps.refreshTokens.revokeAllFor(id);
      await this.deps.dropSockets(id);
    }
    return adminUserView(user);
  }

  /** Lecturers (and admins) by name or e-mail, or by id, for picking co-lecturers: ids and names only. */
  async lecturers(actor: Actor, query: { q?: string; ids?: string }) {
    if (!has(actor, 'seminars:manage')) throw new ForbiddenError();
    const found = query.ids
      ? await this.deps.users.findByIds(query.ids.split(','))
      : [
          ...(await this.deps.users.search({ q: query.q, role: 'lecturer' }, LECTURER_SEARCH_LIMIT)).items,
          ...(await this.deps.users.search({ q: query.q, role: 'admin' }, LECTURER_SEARCH_LIMIT)).items,
        ];
    const seen = new Set<string>();
    return found
      .filter((u) => (u.roles.includes('lecturer') || u.roles.includes('admin')) && !u.disabled && !seen.has(u.id) && seen.add(u.id))
      .slice(0, LECTURER_SEARCH_LIMIT)
      .map((u) => ({ id: u.id, displayName: u.displayName }));
  }

  /** Someone else's account as that user's own services see it: for the admin's view of their registrations and progress. */
  async actorOf(actor: Actor, id: string): Promise<Actor> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'users:manage')) throw new ForbiddenError();
    const user = await this.deps.users.findById(id);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return { kind: 'user', userId: user.id, roles: user.roles, grants: grantsFor(user.roles) };
  }
}

export function adminUserView(user: User): AdminUserView {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    locale: user.locale,
    roles: user.roles,
    createdAt: user.createdAt.toISOString(),
    disabled: user.disabled,
  };
}
