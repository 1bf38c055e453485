import type { AccountService } from '../../accounts/service';
import { idParams, loginBody, refreshBody, registerBody, rolesBody, sessionView, userView } from '../../protocol';
import { route, type RouteSpec } from '../route';

export function accountRoutes(accounts: AccountService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/auth/register',
      tag: 'accounts',
      access: 'public',
      status: 201,
      summary: 'Create a learner account and sign in (limited per address)',
      body: registerBody,
      response: sessionView,
      errors: { 409: ['email_taken'], 429: ['too_many_registrations'] },
      handler: ({ body, clientIp }) => accounts.register(body, clientIp),
    }),
    route({
      method: 'post',
      path: '/auth/login',
      tag: 'accounts',
      access: 'public',
      summary: 'Sign in with e-mail and password (counted per address and per account; a guessed account is slowed down, not locked)',
      body: loginBody,
      response: sessionView,
      errors: { 401: ['invalid_credentials'], 403: ['account_disabled'], 429: ['too_many_attempts'] },
      handler: ({ body, clientIp }) => accounts.login(body.email, body.password, clientIp),
    }),
    route({
      method: 'post',
      path: '/auth/refresh',
      tag: 'accounts',
      access: 'public',
      summary: 'Exchange a refresh token for new tokens; the old refresh token stops working',
      body: refreshBody,
      response: sessionView,
      errors: { 401: ['invalid_refresh_token', 'refresh_token_reused', 'account_disabled'] },
      handler: ({ body }) => accounts.refresh(body.refreshToken),
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      tag: 'accounts',
      access: 'public',
      status: 204,
      summary: 'Revoke a refresh token',
      body: refreshBody,
      handler: ({ body }) => accounts.logout(body.refreshToken),
    }),
    route({
      method: 'get',
      path: '/me',
      tag: 'accounts',
      access: 'profile',
      summary: 'The signed-in user',
      response: userView,
      errors: { 404: ['user_not_found'] },
      handler: ({ actor }) => accounts.me(actor),
    }),
    route({
      method: 'put',
      path: '/users/:id/roles',
      tag: 'accounts',
      access: 'users:manage',
      summary: 'Set a user’s roles (admins only); learner is always kept',
      params: idParams,
      body: rolesBody,
      response: userView,
      errors: { 403: ['cannot_demote_self'], 404: ['user_not_found'] },
      handler: ({ actor, params, body }) => accounts.setRoles(actor, params.id, body.roles),
    }),
  ];
}
