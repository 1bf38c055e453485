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
}

export interface NewUser {
  email: string;
  displayName: string;
  locale: Locale;
  roles: Role[];
  passwordHash: string;
}

export interface UserRepository {
  /** Throws ConflictError('email_taken') when the e-mail is already registered. */
  create(user: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  findByEmail(email: string): Promise<(User & { passwordHash: string }) | null>;
}

/** E-mail addresses compare case-insensitively and without surrounding spaces. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
