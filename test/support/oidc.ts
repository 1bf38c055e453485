import { createServer, type Server } from 'node:http';
import Provider, { type Account } from 'oidc-provider';
import type { Page } from 'playwright-core';
import { freePort } from './accounts';

// A real OpenID Connect provider (the oidc-provider package) for the tests: the centre's
// portal as Lectern meets it. Its development login form takes any password; the login
// name is the account, and PORTAL_ACCOUNTS says what the provider tells about each.

export const PORTAL_CLIENT = { id: 'lectern', secret: 'a-client-secret-of-the-test-portal' };

export interface PortalAccount {
  email: string;
  name: string;
  emailVerified?: boolean;
}

export interface Portal {
  issuer: string;
  /** Where the same provider also answers, under a name that is not its issuer. */
  otherAddress: string;
  close(): Promise<void>;
}

export async function startPortal(redirectUri: string, accounts: Record<string, PortalAccount>): Promise<Portal> {
  const [port, otherPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: PORTAL_CLIENT.id,
        client_secret: PORTAL_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    findAccount: (_ctx: unknown, id: string): Account | undefined => {
      const a = accounts[id];
      if (!a) return undefined;
      return { accountId: id, claims: () => ({ sub: id, email: a.email, email_verified: a.emailVerified ?? true, name: a.name }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The claims in the ID token itself, which is what Lectern reads.
    conformIdTokenClaims: false,
    cookies: { keys: ['a-cookie-key-of-the-test-portal'] },
    pkce: { required: () => true },
  });
  const servers: Server[] = [createServer(provider.callback()), createServer(provider.callback())];
  await Promise.all(servers.map((s, i) => new Promise<void>((resolve) => s.listen(i === 0 ? port : otherPort, '127.0.0.1', resolve))));
  return {
    issuer,
    otherAddress: `http://127.0.0.1:${otherPort}`,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    },
  };
}

/** Signs in on the provider's own pages (its login form, then its consent), as a person would. */
export async function portalLogin(page: Page, login: string): Promise<void> {
  const form = page.locator('input[name=login]');
  const consent = page.locator('button[type=submit]', { hasText: 'Continue' });
  await Promise.race([form.waitFor({ timeout: 30_000 }), consent.waitFor({ timeout: 30_000 })]);
  if (await form.isVisible()) {
    await form.fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.locator('button[type=submit]').click();
  }
  await consent.click({ timeout: 30_000 });
}
