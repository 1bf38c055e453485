import type { MailLinks } from '../../accounts/mail-links';
import type { OidcSignIn } from '../../accounts/oidc';
import type { PersonalData } from '../../accounts/personal-data';
import type { AccountService } from '../../accounts/service';
import type { AccountLimits } from '../../accounts/limits';
import {
  changePasswordBody,
  confirmEmailBody,
  deleteAccountBody,
  idParams,
  loginBody,
  oidcCallbackBody,
  oidcConfigView,
  oidcStartBody,
  oidcStartView,
  passwordResetBody,
  passwordResetRequestBody,
  personalDataView,
  privacyPolicyView,
  profileBody,
  refreshBody,
  registerBody,
  rolesBody,
  sessionView,
  userView,
  type PrivacyPolicyView,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

export interface AccountRouteDeps {
  accounts: AccountService;
  mailLinks: MailLinks;
  personalData: PersonalData;
  oidc: OidcSignIn;
  limits: AccountLimits;
  policy: PrivacyPolicyView;
}

const TOO_MANY = { 429: ['too_many_requests'] } as const;

export function accountRoutes({ accounts, mailLinks, personalData, oidc, limits, policy }: AccountRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/auth/register',
      tag: 'accounts',
      access: 'public',
      status: 201,
      summary:
        'Create a learner account and sign in (limited per address). Records consent to the current personal-data policy and e-mails a confirmation link; until it is followed, the account cannot register for seminars',
      body: registerBody,
      response: sessionView,
      errors: { 409: ['email_taken', 'policy_outdated'], 429: ['too_many_registrations'] },
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
      method: 'post',
      path: '/auth/confirm-email',
      tag: 'accounts',
      access: 'public',
      status: 204,
      summary: 'Confirm an e-mail address with the token from the link mailed at sign-up (single use, 48 hours)',
      body: confirmEmailBody,
      errors: { 400: ['invalid_link'], ...TOO_MANY },
      handler: ({ body, clientIp }) => mailLinks.confirm(body.token, clientIp),
    }),
    route({
      method: 'post',
      path: '/me/confirmation-email',
      tag: 'accounts',
      access: 'user',
      status: 202,
      summary: 'Send the confirmation link again (a few an hour); the earlier links stop working',
      errors: { 404: ['user_not_found'], ...TOO_MANY },
      handler: async ({ actor }) => {
        await accounts.resendConfirmation(actor);
      },
    }),
    route({
      method: 'post',
      path: '/auth/password-reset-request',
      tag: 'accounts',
      access: 'public',
      status: 202,
      summary: 'E-mail a password-reset link (single use, one hour) if an account has this address; the answer is the same either way',
      body: passwordResetRequestBody,
      errors: TOO_MANY,
      handler: async ({ body, clientIp }) => {
        await mailLinks.requestReset(body.email, clientIp);
      },
    }),
    route({
      method: 'post',
      path: '/auth/password-reset',
      tag: 'accounts',
      access: 'public',
      status: 204,
      summary: 'Set a new password with the token from the reset link; every session of the account ends',
      body: passwordResetBody,
      errors: { 400: ['invalid_link'], ...TOO_MANY },
      handler: ({ body, clientIp }) => mailLinks.reset(body.token, body.password, clientIp),
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
      method: 'patch',
      path: '/me',
      tag: 'accounts',
      access: 'profile',
      summary: 'Change the display name, language or time zone',
      body: profileBody,
      response: userView,
      errors: { 404: ['user_not_found'], ...TOO_MANY },
      handler: ({ actor, body }) => accounts.updateProfile(actor, body),
    }),
    route({
      method: 'post',
      path: '/me/password',
      tag: 'accounts',
      access: 'profile',
      summary: 'Change the password; every other session ends and this one gets new tokens',
      body: changePasswordBody,
      response: sessionView,
      errors: { 403: ['wrong_password'], 404: ['user_not_found'], 409: ['no_password'], ...TOO_MANY },
      handler: ({ actor, body }) => accounts.changePassword(actor, body.currentPassword, body.newPassword),
    }),
    route({
      method: 'get',
      path: '/me/personal-data',
      tag: 'accounts',
      access: 'user',
      summary: 'Everything Lectern holds about the signed-in user, as one JSON download (152-FZ)',
      response: personalDataView,
      attachment: 'lectern-personal-data.json',
      errors: { 404: ['user_not_found'], ...TOO_MANY },
      handler: ({ actor }) => personalData.export(actor),
    }),
    route({
      method: 'post',
      path: '/me/deletion',
      tag: 'accounts',
      access: 'user',
      status: 204,
      summary:
        'Delete the account (the password is asked again when it has one): progress, registrations, enrolments and sessions are removed; chat messages and questions stay under an anonymous name',
      body: deleteAccountBody,
      errors: { 403: ['wrong_password'], 404: ['user_not_found'], ...TOO_MANY },
      handler: ({ actor, body }) => personalData.delete(actor, body.password),
    }),
    route({
      method: 'get',
      path: '/privacy-policy',
      tag: 'accounts',
      access: 'public',
      summary: 'The personal-data processing policy (152-FZ) that sign-up accepts, with its version',
      response: privacyPolicyView,
      errors: TOO_MANY,
      handler: async ({ clientIp }) => {
        await limits.hit('policy-ip', clientIp);
        return policy;
      },
    }),
    route({
      method: 'get',
      path: '/auth/oidc',
      tag: 'accounts',
      access: 'public',
      summary: 'Whether sign-in with the centre’s portal account (OpenID Connect) is configured',
      response: oidcConfigView,
      errors: TOO_MANY,
      handler: async ({ clientIp }) => {
        await limits.hit('policy-ip', clientIp);
        return { enabled: oidc.enabled };
      },
    }),
    route({
      method: 'post',
      path: '/auth/oidc/start',
      tag: 'accounts',
      access: 'public',
      summary:
        'Begin signing in through the centre’s portal: the address to send the browser to, and the flow to send back with its answer',
      body: oidcStartBody,
      response: oidcStartView,
      errors: { 404: ['oidc_disabled'], 502: ['oidc_issuer_mismatch'], 503: ['oidc_unavailable'], ...TOO_MANY },
      handler: ({ body, clientIp }) => oidc.start(clientIp, body.policyVersion),
    }),
    route({
      method: 'post',
      path: '/auth/oidc/callback',
      tag: 'accounts',
      access: 'public',
      summary:
        'Finish signing in through the portal with its answer: the first time creates the account, or links the one with the same confirmed e-mail',
      body: oidcCallbackBody,
      response: sessionView,
      errors: {
        400: ['oidc_flow_invalid', 'oidc_state_mismatch', 'oidc_nonce_mismatch', 'oidc_issuer_mismatch', 'oidc_code_rejected'],
        403: ['oidc_email_unverified', 'consent_required', 'account_disabled'],
        404: ['oidc_disabled'],
        409: ['oidc_email_unconfirmed', 'oidc_link_refused', 'email_taken', 'policy_outdated'],
        502: ['oidc_failed', 'oidc_issuer_mismatch'],
        503: ['oidc_unavailable'],
        ...TOO_MANY,
      },
      handler: ({ body, clientIp }) => oidc.finish(clientIp, body.flow, body.callbackQuery),
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
