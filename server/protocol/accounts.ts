import { z } from 'zod';
import { locale, objectId, role } from './common';

const password = z.string().min(10, 'must be at least 10 characters').max(200);
/** An IANA zone name as Intl knows it (Europe/Moscow); checked on both ends with the runtime's own list. */
export const userTimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((v) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return /^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(v);
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Moscow')
  .meta({ example: 'Europe/Moscow' });

export const registerBody = z.object({
  email: z.email().max(254),
  password,
  displayName: z.string().trim().min(1).max(100),
  locale: locale.default('ru'),
  timeZone: userTimeZone.optional(),
  /** 152-FZ: the version of the personal-data policy the user was shown and accepted (GET /privacy-policy). */
  consent: z.object({ policyVersion: z.string().min(1).max(64), accepted: z.literal(true) }),
});
export type RegisterBody = z.infer<typeof registerBody>;

export const loginBody = z.object({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(200),
});

export const refreshBody = z.object({ refreshToken: z.string().min(20).max(200) });

export const userView = z.object({
  id: objectId,
  email: z.string(),
  displayName: z.string(),
  locale,
  roles: z.array(role),
  createdAt: z.iso.datetime(),
  emailConfirmed: z.boolean(),
  timeZone: z.string(),
  /** False for an account made through the centre's portal (OIDC) that never set a password. */
  hasPassword: z.boolean(),
  consent: z.object({ policyVersion: z.string(), at: z.iso.datetime() }).nullable(),
});
export type UserView = z.infer<typeof userView>;

export const sessionView = z.object({
  user: userView,
  accessToken: z.string(),
  accessTokenExpiresIn: z.number().int(),
  refreshToken: z.string(),
});
export type SessionView = z.infer<typeof sessionView>;

export const rolesBody = z.object({
  roles: z
    .array(role)
    .min(1)
    .refine((r) => new Set(r).size === r.length, 'must not repeat a role')
    .meta({ uniqueItems: true }),
});

export const calendarFeedView = z.object({ url: z.url() });

/** A link's token from an e-mail (confirmation or reset): 32 random bytes, base64url. */
const mailToken = z
  .string()
  .min(40)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be the token from the link');

export const confirmEmailBody = z.object({ token: mailToken });
export const passwordResetRequestBody = z.object({ email: z.email().max(254) });
export const passwordResetBody = z.object({ token: mailToken, password });
export const changePasswordBody = z.object({ currentPassword: z.string().min(1).max(200), newPassword: password });

export const profileBody = z
  .object({
    displayName: z.string().trim().min(1).max(100).optional(),
    locale: locale.optional(),
    timeZone: userTimeZone.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'must change at least one field');
export type ProfileBody = z.infer<typeof profileBody>;

export const deleteAccountBody = z.object({
  /** Needed for an account with a password; an OIDC-only account has none to give. */
  password: z.string().min(1).max(200).optional(),
});

export const privacyPolicyView = z.object({
  version: z.string(),
  text: z.object({ ru: z.string(), en: z.string() }),
});
export type PrivacyPolicyView = z.infer<typeof privacyPolicyView>;

/** Records of one kind, as stored, without secrets (password and token hashes are left out). */
const records = z.array(z.record(z.string(), z.unknown()));
export const personalDataView = z.object({
  exportedAt: z.iso.datetime(),
  user: z.record(z.string(), z.unknown()),
  registrations: records,
  enrolments: records,
  progress: records,
  chat: records,
  questions: records,
  attendance: records,
  notifications: records,
  sessions: records,
  /** Courses completed, and the certificates issued for them (revoked ones too). */
  completions: records,
  certificates: records,
});
export type PersonalDataView = z.infer<typeof personalDataView>;

export const oidcConfigView = z.object({ enabled: z.boolean() });
export const oidcStartBody = z.object({
  /** The accepted policy's version: needed when this sign-in creates the account. */
  policyVersion: z.string().min(1).max(64).optional(),
});
export const oidcStartView = z.object({
  authorizationUrl: z.url(),
  /** Kept by the tab that started (sessionStorage) and sent back with the callback: it binds the answer to this browser. */
  flow: z.string().max(4000),
});
export const oidcCallbackBody = z.object({
  flow: z.string().min(1).max(4000),
  /** The query string the provider redirected to /sign-in/oidc with (code, state, iss). */
  callbackQuery: z.string().min(1).max(4000),
});
