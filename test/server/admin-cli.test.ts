import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, registerUser, CONSENT } from '../support/api';
import { startTestApp, testDatabaseUri } from '../support/app';
import { runAdminCli } from '../support/admin-cli';

const uri = testDatabaseUri('admin_cli');
let app: Lectern;
let api: Api;

beforeAll(async () => {
  // ADMIN_EMAILS is gone: setting it must make nobody an admin.
  app = await startTestApp('admin_cli', { MONGODB_URI: uri, ADMIN_EMAILS: 'boss@test.lectern' });
  api = Api.of(app);
});
afterAll(() => app.stop());

describe('npm run admin -- create', () => {
  it('registering never makes an admin, whatever the e-mail', async () => {
    const res = await api.call('POST', '/auth/register', {
      body: { email: 'boss@test.lectern', password: 'correct horse battery', displayName: 'Не админ', consent: CONSENT },
    });
    expect(res.status).toBe(201);
    expect(res.body.user.roles).toEqual(['learner']);
    const someone = await registerUser(api);
    expect(
      (await api.call('PUT', `/users/${someone.id}/roles`, { token: res.body.accessToken, body: { roles: ['lecturer'] } })).status,
    ).toBe(403);
  });

  it('creates an admin with a generated password that signs in and can grant roles', async () => {
    const run = await runAdminCli(['create', 'Chief@Test.Lectern', '--name', 'Главный'], { MONGODB_URI: uri, JWT_SECRET: 'x'.repeat(40) });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.password).toMatch(/^[\w-]{24}$/);
    const stored = await app.db.connection.collection('users').findOne({ email: 'chief@test.lectern' });
    expect(stored).toMatchObject({ displayName: 'Главный', roles: ['admin', 'learner'] });
    expect(stored!.passwordHash).not.toContain(run.password);

    const login = await api.call('POST', '/auth/login', { body: { email: 'chief@test.lectern', password: run.password } });
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toContain('admin');
    const someone = await registerUser(api);
    const grant = await api.call('PUT', `/users/${someone.id}/roles`, { token: login.body.accessToken, body: { roles: ['lecturer'] } });
    expect(grant.status).toBe(200);
    expect(grant.body.roles).toEqual(['lecturer', 'learner']);
  }, 60_000);

  it('makes an existing account an admin without touching its password', async () => {
    const u = await registerUser(api);
    const before = await app.db.connection.collection('users').findOne({ email: u.email });
    const run = await runAdminCli(['create', u.email], { MONGODB_URI: uri, JWT_SECRET: 'x'.repeat(40) });
    expect(run.code).toBe(0);
    expect(run.password).toBeUndefined();
    expect(run.stdout).toContain('is now an admin');
    const after = await app.db.connection.collection('users').findOne({ email: u.email });
    expect(after!.roles).toEqual(['admin', 'learner']);
    expect(after!.passwordHash).toBe(before!.passwordHash);
    const login = await api.call('POST', '/auth/login', { body: { email: u.email, password: 'correct horse battery' } });
    expect(login.body.user.roles).toContain('admin');
  }, 60_000);

  it('refuses bad usage and a bad address with a message and exit code 1, changing nothing', async () => {
    const count = await app.db.connection.collection('users').countDocuments();
    const cases = [['create'], ['delete', 'a@b.ru'], ['create', 'not-an-email']];
    const runs = await Promise.all(cases.map((args) => runAdminCli(args, { MONGODB_URI: uri, JWT_SECRET: 'x'.repeat(40) })));
    runs.forEach((run, i) => {
      expect(run.code, cases[i]!.join(' ')).toBe(1);
      expect(run.stderr, cases[i]!.join(' ')).toMatch(/^lectern: .*usage: npm run admin/s);
    });
    expect(await app.db.connection.collection('users').countDocuments()).toBe(count);
  }, 90_000);

  it('works on the embedded database under DATA_DIR, before Lectern starts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-admin-'));
    const run = await runAdminCli(['create', 'first@embedded.lectern'], { DATA_DIR: dataDir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.password).toBeDefined();
  }, 60_000);
});
