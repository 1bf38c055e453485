import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { mailedLink } from '../support/accounts';
import { Api, registerUser } from '../support/api';
import { startTestApp } from '../support/app';

let app: Lectern;
let api: Api;

beforeAll(async () => {
  app = await startTestApp('password_change');
  api = Api.of(app);
});
afterAll(() => app.stop());

describe('changing the password', () => {
  it('voids a reset link mailed before it, so the link cannot set another password afterwards', async () => {
    const user = await registerUser(api);
    expect((await api.call('POST', '/auth/password-reset-request', { body: { email: user.email } })).status).toBe(202);
    const token = new URL(await mailedLink(app, user.email, '/reset-password')).searchParams.get('token')!;

    const changed = await api.call('POST', '/me/password', {
      token: user.token,
      body: { currentPassword: 'correct horse battery', newPassword: 'a new password of mine' },
    });
    expect(changed.status).toBe(200);

    const late = await api.call('POST', '/auth/password-reset', { body: { token, password: 'the attacker’s password' } });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe('invalid_link');
    // The changed password is the one that works.
    const login = await api.call('POST', '/auth/login', { body: { email: user.email, password: 'a new password of mine' } });
    expect(login.status).toBe(200);
  });
});
