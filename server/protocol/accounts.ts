import { z } from 'zod';
import { locale, objectId, role } from './common';

export const registerBody = z.object({
  email: z.email().max(254),
  password: z.string().min(10, 'must be at least 10 characters').max(200),
  displayName: z.string().trim().min(1).max(100),
  locale: locale.default('ru'),
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
