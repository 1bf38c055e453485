// Accounts as the domain sees them: no Express, no mongoose.
export const roles = ['admin', 'lecturer', 'learner'] as const;
export type Role = (typeof roles)[number];
export const locales = ['ru', 'en'] as const;
export type Locale = (typeof locales)[number];

/** The seminar zone's default, and a new account's. */
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

/** 152-FZ: which version of the personal-data policy the user accepted, and when. */
export interface Consent {
  policyVersion: string;
  at: Date;
}

/** An account at the centre's OpenID Connect provider, linked to this one. */
export interface OidcLink {
  issuer: string;
  subject: string;
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  locale: Locale;
  roles: Role[];
  createdAt: Date;
  /** A disabled account cannot sign in, refresh, or join a live room. */
  disabled: boolean;
  /** Null until the owner of the address followed the confirmation link (or signed in through OIDC with a verified address). */
  emailConfirmedAt: Date | null;
  timeZone: string;
  consent: Consent | null;
  oidc: OidcLink[];
  /** False for an account made through OIDC that never set a password. */
  hasPassword: boolean;
}

export interface NewUser {
  email: string;
  displayName: string;
  locale: Locale;
  roles: Role[];
  /** Absent: the account signs in through OIDC only, until a password is set by reset. */
  passwordHash?: string;
  emailConfirmedAt?: Date | null;
  timeZone?: string;
  consent?: Consent | null;
  oidc?: OidcLink[];
}

export interface ProfileChanges {
  displayName?: string;
  locale?: Locale;
  timeZone?: string;
}

export interface UserRepository extends UserRoleUpdate {
  /** Throws ConflictError('email_taken') when the e-mail is already registered. */
  create(user: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  /** passwordHash is null for an account without a password (OIDC only). */
  findByEmail(email: string): Promise<(User & { passwordHash: string | null }) | null>;
  passwordHashOf(id: string): Promise<string | null>;
  setPasswordHash(id: string, hash: string): Promise<void>;
  confirmEmail(id: string, at: Date): Promise<void>;
  updateProfile(id: string, changes: ProfileChanges): Promise<User | null>;
  findByOidc(link: OidcLink): Promise<User | null>;
  addOidcLink(id: string, link: OidcLink): Promise<void>;
  /** Removes the account document itself; the rest of their data is PersonalDataStore's. */
  remove(id: string): Promise<boolean>;
}

export const accountTokenPurposes = ['confirm_email', 'password_reset'] as const;
export type AccountTokenPurpose = (typeof accountTokenPurposes)[number];

/** Single-use tokens sent by e-mail; only their hash is stored. */
export interface AccountTokenRepository {
  insert(record: { hash: string; userId: string; purpose: AccountTokenPurpose; expiresAt: Date }): Promise<void>;
  /** Atomically marks a live token used; its user id, or null when unknown, used or expired. */
  consume(hash: string, purpose: AccountTokenPurpose, now: Date): Promise<string | null>;
  /** Voids a user's unused tokens of one purpose (a new reset link replaces the old). */
  voidFor(userId: string, purpose: AccountTokenPurpose): Promise<void>;
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
  /** Every session of a user ends (a changed or reset password, a disabled account). */
  revokeAllFor(userId: string): Promise<void>;
}
