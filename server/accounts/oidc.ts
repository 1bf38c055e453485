import * as client from 'openid-client';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError, BadRequestError, ForbiddenError, NotFoundError, ConflictError } from '../errors';
import { oidcFailure } from '../error-mapping';
import type { Logger } from '../logger';
import type { SessionView } from '../protocol';
import type { AccountLimits } from './limits';
import { normalizeEmail, type User, type UserRepository } from './model';
import type { AccountService } from './service';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface OidcDeps {
  settings?: OidcSettings;
  /** Where the provider sends the browser back: the /sign-in/oidc page. */
  redirectUri: string;
  /** Signs the flow handed to the browser (state, nonce, PKCE verifier). */
  secret: string;
  users: UserRepository;
  accounts: AccountService;
  limits: AccountLimits;
  logger: Logger;
}

const FLOW_SECONDS = 10 * 60;
const AUDIENCE = 'lectern-oidc-flow';
const flowClaims = z.object({
  state: z.string(),
  nonce: z.string(),
  verifier: z.string(),
  policyVersion: z.string().optional(),
});

/**
 * Sign-in with the centre's portal account through OpenID Connect (openid-client):
 * authorization code with PKCE, state and nonce. The flow's secrets travel to the
 * browser tab that started it, signed, and come back with the provider's answer, so
 * an answer meant for another browser (a forged link) fails the state check; the
 * server keeps nothing between the two calls, whichever node takes them.
 */
export class OidcSignIn {
  private discovered?: Promise<client.Configuration>;

  constructor(private readonly deps: OidcDeps) {}

  get enabled(): boolean {
    return this.deps.settings !== undefined;
  }

  async start(ip: string, policyVersion: string | undefined): Promise<{ authorizationUrl: string; flow: string }> {
    await this.deps.limits.hit('oidc-ip', ip);
    const config = await this.config();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.deps.redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const flow = jwt.sign({ state, nonce, verifier, ...(policyVersion ? { policyVersion } : {}) }, this.deps.secret, {
      algorithm: 'HS256',
      audience: AUDIENCE,
      expiresIn: FLOW_SECONDS,
    });
    return { authorizationUrl: url.href, flow };
  }

  async finish(ip: string, flowToken: string, callbackQuery: string): Promise<SessionView> {
    await this.deps.limits.hit('oidc-ip', ip);
    const config = await this.config();
    const flow = this.readFlow(flowToken);
    const callback = new URL(this.deps.redirectUri);
    callback.search = callbackQuery.replace(/^\?/, '');
    let claims: client.IDToken;
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims()!;
    } catch (err) {
      const failure = oidcFailure(err);
      this.deps.logger.warn({ err, code: failure.code }, 'OIDC sign-in refused');
      throw failure;
    }
    const user = await this.accountFor(config.serverMetadata().issuer, claims, flow.policyVersion);
    return this.deps.accounts.sessionFor(user);
  }

  /** The linked account; else the one with the same confirmed address, linked now; else a new one. */
  private async accountFor(issuer: string, claims: client.IDToken, policyVersion: string | undefined): Promise<User> {
    const link = { issuer, subject: claims.sub };
    const linked = await this.deps.users.findByOidc(link);
    if (linked) return linked;
    const email = typeof claims.email === 'string' ? normalizeEmail(claims.email) : undefined;
    if (!email || claims.email_verified !== true)
      throw new ForbiddenError('oidc_email_unverified', 'The portal account has no verified e-mail address');
    const existing = await this.deps.users.findByEmail(email);
    if (existing) {
      // An unconfirmed account may be someone else's claim on this address: never hand it over.
      if (!existing.emailConfirmedAt)
        throw new ConflictError('oidc_email_unconfirmed', 'An account with this e-mail exists but is not confirmed; confirm it first');
      // A staff account is never handed over on the portal's word about an address: its owner
      // signs in with the password (the portal may let users change their address).
      if (existing.roles.some((r) => r === 'lecturer' || r === 'admin'))
        throw new ConflictError('oidc_link_refused', 'A staff account is not linked through the portal; sign in with your password');
      await this.deps.users.addOidcLink(existing.id, link);
      return existing;
    }
    if (!policyVersion) throw new ForbiddenError('consent_required', 'A new account needs consent to the personal-data policy');
    this.deps.accounts.checkPolicy(policyVersion);
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 100) : email.split('@')[0]!;
    return this.deps.users.create({
      email,
      displayName: name,
      locale: claims.locale === 'en' ? 'en' : 'ru',
      roles: ['learner'],
      emailConfirmedAt: new Date(),
      consent: { policyVersion, at: new Date() },
      oidc: [link],
    });
  }

  private readFlow(token: string): z.infer<typeof flowClaims> {
    try {
      return flowClaims.parse(jwt.verify(token, this.deps.secret, { algorithms: ['HS256'], audience: AUDIENCE }));
    } catch {
      throw new BadRequestError('oidc_flow_invalid', 'The sign-in through the portal expired or was not started here; start again');
    }
  }

  /** Discovered on first use, and again after a failure (the provider may have been down). */
  private config(): Promise<client.Configuration> {
    const settings = this.deps.settings;
    if (!settings) return Promise.reject(new NotFoundError('oidc_disabled', 'Sign-in through the portal is not configured'));
    this.discovered ??= (async () => {
      const issuer = new URL(settings.issuer);
      // Plain http only to a provider on this machine (development, tests).
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
      return client.discovery(
        issuer,
        settings.clientId,
        undefined,
        client.ClientSecretBasic(settings.clientSecret),
        loopback && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {},
      );
    })().catch((err: unknown) => {
      this.discovered = undefined;
      this.deps.logger.error({ err }, 'OIDC discovery failed');
      const failure = oidcFailure(err);
      // The provider says it is another issuer than configured: a misconfiguration, not the user's doing.
      throw failure.code === 'oidc_issuer_mismatch'
        ? new AppError(502, failure.code, failure.message)
        : new AppError(503, 'oidc_unavailable', 'The portal’s sign-in cannot be reached; try again shortly');
    });
    return this.discovered;
  }
}
