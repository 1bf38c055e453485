import { describe, expect, it } from 'vitest';
import type { AccountLimits } from '../../server/accounts/limits';
import { MailLinks, type MailLinkDeps } from '../../server/accounts/mail-links';
import type { User } from '../../server/accounts/model';

// A reset request answers once the address is looked up, known or not: the link is made
// and queued afterwards, so a known address does not answer later than an unknown one.
describe('a password-reset request', () => {
  it('answers a known address without waiting for its mail, which is still queued, and an unknown one the same way', async () => {
    const user = { id: 'a'.repeat(24), email: 'known@example.ru', locale: 'ru', displayName: 'Анна' } as User;
    const queued: string[] = [];
    let release!: () => void;
    const outboxSlow = new Promise<void>((r) => (release = r));
    const deps = {
      users: { findByEmail: (email: string) => Promise.resolve(email === user.email ? user : null) },
      accountTokens: { voidFor: () => Promise.resolve(), insert: () => Promise.resolve() },
      refreshTokens: {},
      limits: { hit: () => Promise.resolve() } as unknown as AccountLimits,
      send: async (_id: string, _userId: string, mail: { to: string }) => {
        await outboxSlow;
        queued.push(mail.to);
      },
      publicBaseUrl: 'https://lectern.example',
      onMailError: (err: unknown) => {
        throw err;
      },
    } as unknown as MailLinkDeps;
    const links = new MailLinks(deps);

    await links.requestReset('known@example.ru', '10.0.0.1');
    await links.requestReset('nobody@example.ru', '10.0.0.1');
    expect(queued).toEqual([]);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(queued).toEqual(['known@example.ru']);
  });
});
