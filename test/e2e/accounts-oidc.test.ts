// Sign-in with the centre's portal account through OpenID Connect, against a real provider
// (oidc-provider) started here: the first sign-in creates the account, the second finds
// it, an existing confirmed account with the same e-mail is linked, and a bad state,
// nonce or issuer is refused with a clear error and creates nothing.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { AccountLimits } from '../../server/accounts/limits';
import { OidcSignIn } from '../../server/accounts/oidc';
import type { Lectern } from '../../server/main';
import { freePort, startAppAtKnownAddress } from '../support/accounts';
import { Api, registerUser } from '../support/api';
import { artifacts, launchChromium, reportCspViolations } from '../support/browser';
import { waitFor } from '../support/media';
import { PORTAL_CLIENT, portalLogin, startPortal, type Portal } from '../support/oidc';
import { pageProblems } from '../support/page-checks';

const shots = path.join(artifacts, 'accounts');
const slow = { timeout: 30_000 };

let app: Lectern;
let api: Api;
let browser: Browser;
let portal: Portal;
let port: number;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  // Lectern's address must be known to the provider (its redirect URI) before either starts.
  port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  portal = await startPortal(`${base}/sign-in/oidc`, {
    olga: { email: 'olga@portal.test', name: 'Ольга Портальная' },
    boris: { email: 'boris@portal.test', name: 'Борис с портала' },
    vera: { email: 'vera@portal.test', name: 'Вера' },
    nina: { email: 'nina@portal.test', name: 'Нина' },
    unverified: { email: 'unverified@portal.test', name: 'Без проверки', emailVerified: false },
    dora: { email: 'dora@portal.test', name: 'Дора' },
    leo: { email: 'leo@portal.test', name: 'Лев' },
  });
  [app, browser] = await Promise.all([
    startAppAtKnownAddress('e2e_oidc', {
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      OIDC_ISSUER: portal.issuer,
      OIDC_CLIENT_ID: PORTAL_CLIENT.id,
      OIDC_CLIENT_SECRET: PORTAL_CLIENT.secret,
    }),
    launchChromium('playback'),
  ]);
  api = Api.of(app);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await portal?.close();
});

const users = () => app.db.connection.collection('users');

async function open(route: string, width = 1280): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, route, problems);
  await page.goto(`${app.url}${route}`);
  return { page, problems };
}

/** The sign-in page's portal button, the provider's pages, and back. */
async function portalSignIn(login: string, opts: { consent: boolean; width?: number; lang?: 'ru' | 'en'; shot?: string }) {
  const { page, problems } = await open('/sign-in', opts.width);
  await page.getByTestId('portal-sign-in').waitFor(slow);
  // The header's toggle, not ?lang=: a choice that lasts through the trip to the portal and back.
  if (opts.lang === 'en') {
    await page.getByTestId('lang').click();
    await expect.poll(() => page.getAttribute('html', 'lang'), slow).toBe('en');
  }
  if (opts.shot) {
    await page.screenshot({ path: path.join(shots, `${opts.shot}.png`), fullPage: true });
    expect(await pageProblems(page)).toEqual([]);
  }
  if (opts.consent) await page.locator('#portal-consent').check();
  await page.getByTestId('portal-sign-in').click();
  await page.waitForURL((url) => url.href.startsWith(portal.issuer), { ...slow, waitUntil: 'domcontentloaded' });
  await portalLogin(page, login);
  await page.waitForURL((url) => url.href.startsWith(app.url), { ...slow, waitUntil: 'domcontentloaded' });
  return { page, problems };
}

describe('sign-in through the centre’s portal', () => {
  it('creates the account on the first sign-in and finds the same one on the second', async () => {
    const first = await portalSignIn('olga', { consent: true, shot: 'sign-in-portal-ru-1280' });
    try {
      await expect.poll(() => first.page.getByTestId('profile-link').textContent(), slow).toBe('Ольга Портальная');
      expect(new URL(first.page.url()).pathname).toBe('/');
      expect(first.problems).toEqual([]);
    } finally {
      await first.page.context().close();
    }
    const created = await users().find({ email: 'olga@portal.test' }).toArray();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      displayName: 'Ольга Портальная',
      oidc: [{ issuer: portal.issuer, subject: 'olga' }],
      passwordHash: null,
    });
    expect(created[0]!.emailConfirmedAt).toBeInstanceOf(Date);
    expect(created[0]!.consent.policyVersion).toBe(app.config.privacyPolicy.version);

    // Another browser, the same portal account: the same Lectern account, nothing new.
    const second = await portalSignIn('olga', { consent: false, width: 360 });
    try {
      await expect.poll(() => second.page.getByTestId('profile-link').textContent(), slow).toBe('Ольга Портальная');
      const session = JSON.parse(
        await second.page.evaluate(() => (globalThis as any).sessionStorage.getItem('lectern.session') as string),
      ) as { accessToken: string };
      expect((jwt.decode(session.accessToken) as { sub: string }).sub).toBe(String(created[0]!._id));
      // The portal's account is confirmed: it may register for seminars at once.
      const me = await api.call('GET', '/me', { token: session.accessToken });
      expect(me.body).toMatchObject({ emailConfirmed: true, hasPassword: false });
      expect(second.problems).toEqual([]);
    } finally {
      await second.page.context().close();
    }
    expect(await users().countDocuments({ email: 'olga@portal.test' })).toBe(1);
  }, 120_000);

  it('links an existing account with the same confirmed e-mail, and refuses to take over an unconfirmed one', async () => {
    const boris = await registerUser(api, { email: 'boris@portal.test', displayName: 'Борис Лектернов' });
    const linked = await portalSignIn('boris', { consent: false });
    try {
      await expect.poll(() => linked.page.getByTestId('profile-link').textContent(), slow).toBe('Борис Лектернов');
    } finally {
      await linked.page.context().close();
    }
    const stored = await users().find({ email: 'boris@portal.test' }).toArray();
    expect(stored).toHaveLength(1);
    expect(String(stored[0]!._id)).toBe(boris.id);
    expect(stored[0]!.oidc).toEqual([{ issuer: portal.issuer, subject: 'boris' }]);

    await registerUser(api, { email: 'vera@portal.test', confirmed: false });
    const refused = await portalSignIn('vera', { consent: true, lang: 'en', width: 360 });
    try {
      await expect
        .poll(() => refused.page.getByTestId('oidc-error').textContent(), slow)
        .toBe('An account with this address exists but is not confirmed. Confirm it with the link we sent.');
      await refused.page.screenshot({ path: path.join(shots, 'oidc-refused-en-360.png'), fullPage: true });
      expect(await pageProblems(refused.page)).toEqual([]);
    } finally {
      await refused.page.context().close();
    }
    expect((await users().findOne({ email: 'vera@portal.test' }))!.oidc).toEqual([]);

    // A first sign-in makes no account without consent to the policy.
    const noConsent = await portalSignIn('nina', { consent: false });
    try {
      await expect
        .poll(() => noConsent.page.getByTestId('oidc-error').textContent(), slow)
        .toBe('Чтобы создать учётную запись, отметьте согласие на обработку персональных данных.');
    } finally {
      await noConsent.page.context().close();
    }
    expect(await users().countDocuments({ email: 'nina@portal.test' })).toBe(0);
  }, 180_000);
});

describe('refusals', () => {
  /** Starts through the API and logs in on the provider; returns the flow and the answer it sent back, unused. */
  async function providerAnswer(login: string): Promise<{ flow: string; query: URLSearchParams }> {
    const start = await api.call('POST', '/auth/oidc/start', { body: { policyVersion: app.config.privacyPolicy.version } });
    expect(start.status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    let answer: string | undefined;
    // Seen as the browser asks for it (a redirect, which page.route does not intercept). The page that
    // loads has no flow of this test's in its tab, so it spends nothing: the flow is refused before the code is used.
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === app.url && url.pathname === '/sign-in/oidc') answer ??= request.url();
    });
    try {
      await page.goto(start.body.authorizationUrl, { waitUntil: 'domcontentloaded' });
      await portalLogin(page, login);
      await waitFor(() => answer, 30_000, 'the provider’s answer');
    } finally {
      await context.close();
    }
    return { flow: start.body.flow, query: new URL(answer!).searchParams };
  }

  const callback = (flow: string, query: URLSearchParams) =>
    api.call('POST', '/auth/oidc/callback', { body: { flow, callbackQuery: query.toString() } });

  it('refuses an answer with another state, another issuer or another nonce, and a flow it did not sign', async () => {
    const { flow, query } = await providerAnswer('unverified');
    expect(query.get('iss')).toBe(portal.issuer);

    const badState = new URLSearchParams(query);
    badState.set('state', 'not-the-state-of-this-sign-in');
    const state = await callback(flow, badState);
    expect([state.status, state.body.error.code]).toEqual([400, 'oidc_state_mismatch']);

    const badIssuer = new URLSearchParams(query);
    badIssuer.set('iss', 'https://impostor.example');
    const issuer = await callback(flow, badIssuer);
    expect([issuer.status, issuer.body.error.code]).toEqual([400, 'oidc_issuer_mismatch']);

    const secret = `${app.config.jwtSecret}:oidc`;
    const claims = jwt.verify(flow, secret) as Record<string, unknown>;
    const otherNonce = jwt.sign(
      { state: claims.state, verifier: claims.verifier, policyVersion: claims.policyVersion, nonce: 'a-nonce-of-another-sign-in' },
      secret,
      { algorithm: 'HS256', audience: 'lectern-oidc-flow', expiresIn: 600 },
    );
    const nonce = await callback(otherNonce, query);
    expect([nonce.status, nonce.body.error.code]).toEqual([400, 'oidc_nonce_mismatch']);

    const { state: s, nonce: n, verifier: v } = claims;
    const forged = jwt.sign({ state: s, nonce: n, verifier: v }, 'not lectern’s secret', { audience: 'lectern-oidc-flow', expiresIn: 600 });
    const unsigned = await callback(forged, query);
    expect([unsigned.status, unsigned.body.error.code]).toEqual([400, 'oidc_flow_invalid']);

    expect(await users().countDocuments({ email: 'unverified@portal.test' })).toBe(0);
  }, 120_000);

  it('gives a disabled account no session, and never links a staff account on the portal’s word', async () => {
    const dora = await registerUser(api, { email: 'dora@portal.test' });
    await app.repos.users.setDisabled(dora.id, true);
    const disabled = await providerAnswer('dora');
    const refused = await callback(disabled.flow, disabled.query);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('account_disabled');

    const leo = await registerUser(api, { email: 'leo@portal.test' });
    await app.repos.users.setRoles(leo.id, ['lecturer']);
    const staff = await providerAnswer('leo');
    const notLinked = await callback(staff.flow, staff.query);
    expect(notLinked.status).toBe(409);
    expect(notLinked.body.error.code).toBe('oidc_link_refused');
    expect((await users().findOne({ email: 'leo@portal.test' }))!.oidc).toEqual([]);
  }, 120_000);

  it('refuses a portal account without a verified e-mail', async () => {
    const { flow, query } = await providerAnswer('unverified');
    const res = await callback(flow, query);
    expect([res.status, res.body.error.code]).toEqual([403, 'oidc_email_unverified']);
    expect(await users().countDocuments({ email: 'unverified@portal.test' })).toBe(0);
  }, 120_000);

  it('refuses a provider that names another issuer than the one configured', async () => {
    const logger = createLogger('silent');
    const oidc = new OidcSignIn({
      settings: { issuer: portal.otherAddress, clientId: PORTAL_CLIENT.id, clientSecret: PORTAL_CLIENT.secret },
      redirectUri: `${app.url}/sign-in/oidc`,
      secret: 'a secret of this test only, long enough',
      users: app.repos.users,
      accounts: app.domain.accounts,
      limits: new AccountLimits(app.limits),
      logger,
    });
    await expect(oidc.start('127.0.0.9', undefined)).rejects.toMatchObject({ status: 502, code: 'oidc_issuer_mismatch' });
  });

  it('says that sign-in through the portal is on where a provider is configured', async () => {
    expect((await api.call('GET', '/auth/oidc')).body).toEqual({ enabled: true });
    // The authorization matrix's app has none: POST /auth/oidc/start is 404 oidc_disabled there.
  });
});
