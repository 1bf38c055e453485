import type { Role } from './model';

/**
 * What a token may do. Each route asks for one grant; ownership (a lecturer's
 * own seminar) is checked by the domain on top of it.
 */
export const grants = [
  'profile',
  'seminars:register',
  'courses:enrol',
  'progress:write',
  'seminars:manage',
  'courses:manage',
  'stats:read',
  'articles:write',
  'users:manage',
  'all:admin',
] as const;
export type Grant = (typeof grants)[number];

const byRole: Record<Role, Grant[]> = {
  learner: ['profile', 'seminars:register', 'courses:enrol', 'progress:write'],
  lecturer: [
    'profile',
    'seminars:register',
    'courses:enrol',
    'progress:write',
    'seminars:manage',
    'courses:manage',
    'stats:read',
    'articles:write',
  ],
  admin: [...grants],
};

export function grantsFor(roles: readonly Role[]): Grant[] {
  return [...new Set(roles.flatMap((r) => byRole[r]))].sort();
}

/** Who is acting: the domain's view of an authenticated caller, or of nobody. */
export type Actor = { kind: 'user'; userId: string; roles: Role[]; grants: Grant[] } | { kind: 'anonymous' };

export const anonymous: Actor = { kind: 'anonymous' };

export function isAdmin(actor: Actor): boolean {
  return actor.kind === 'user' && actor.grants.includes('all:admin');
}

export function has(actor: Actor, grant: Grant): actor is Extract<Actor, { kind: 'user' }> {
  return actor.kind === 'user' && actor.grants.includes(grant);
}
