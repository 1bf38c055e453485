// Accounts as the domain sees them: no Express, no mongoose.
export const roles = ['admin', 'lecturer', 'learner'] as const;
export type Role = (typeof roles)[number];
export const locales = ['ru', 'en'] as const;
export type Locale = (typeof locales)[number];

export interface User {
  id: string;
  email: string;
  displayName: string;
  locale: Locale;
  roles: Role[];
  createdAt: Date;
  /** A disabled account cannot sign in, refresh, or join a live room. */
  disabled: boolean;
}

export interface NewUser {
  email: string;
  displayName: string;
  locale: Locale;
  roles: Role[];
  passwordHash: string;
}

export interface UserRepository extends UserRoleUpdate {
  /** Throws ConflictError('email_taken') when the e-mail is already registered. */
  create(user: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  findByEmail(email: string): Promise<(User & { passwordHash: string }) | null>;
}

/** E-mail addresses compare case-insensitively and without surrounding spaces. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface UserRoleUpdate {
  setRoles(id: string, roles: Role[]): Promise<User | null>;
  /** Stores the hash of the user's calendar-feed token (replacing any earlier one). */
  setCalendarTokenHash(id: string, hash: string): Promise<void>;
  findByCalendarTokenHash(hash: string): Promise<User | null>;
}

/** The admin's view over all accounts (the user list, the lecturer search). */
export interface UserDirectory {
  /** Newest first; `q` matches part of the name or the start of the e-mail, case-insensitively. */
  search(filter: { q?: string; role?: Role }, limit: number, cursor?: string): Promise<{ items: User[]; nextCursor: string | null }>;
  findByIds(ids: string[]): Promise<User[]>;
  setDisabled(id: string, disabled: boolean): Promise<User | null>;
}

export interface RefreshTokenRecord {
  userId: string;
  familyId: string;
}

export interface RefreshTokenRepository {
  insert(record: RefreshTokenRecord & { hash: string; expiresAt: Date }): Promise<void>;
  /**
   * Atomically marks a live token used. Returns its record; `reused` when it
   * exists but was already used or revoked (a stolen token replayed); null when unknown or expired.
   */
  consume(hash: string, now: Date): Promise<RefreshTokenRecord | { reused: RefreshTokenRecord } | null>;
  revokeFamily(familyId: string): Promise<void>;
  revoke(hash: string): Promise<void>;
  /** Every live refresh token of a user stops working (a disabled account). */
  revokeUser(userId: string): Promise<void>;
}
