// `npm run admin -- [--env-file FILE] create <email> [--name NAME]`: the only way to make an
// admin. Run on the server, with the same environment as Lectern (MONGODB_URI or DATA_DIR):
// an existing account gains the admin role; a new one is created with a random password,
// printed once. With the embedded database, run it while Lectern is stopped.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AccountLimits } from '../accounts/limits';
import { MailLinks } from '../accounts/mail-links';
import { AccountService } from '../accounts/service';
import { SignInThrottle } from '../accounts/throttle';
import { TokenIssuer } from '../accounts/tokens';
import { ConfigError, loadConfig } from '../config';
import { AppError } from '../errors';
import { createLogger } from '../logger';
import { RateLimits } from '../rate-limits';
import { createRepositories } from '../store';
import { Database } from '../store/database';
import { defaultFerretDbBin, EmbeddedFerretDb } from '../store/embedded-ferretdb';

const USAGE = 'usage: npm run admin -- [--env-file FILE] create <email> [--name "Display Name"]';

class UsageError extends Error {}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ allowPositionals: true, options: { 'env-file': { type: 'string' }, name: { type: 'string' } } });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const [command, email, ...extra] = args.positionals;
  if (command !== 'create' || !email || extra.length > 0) throw new UsageError(USAGE);
  if (!z.email().max(254).safeParse(email).success) throw new UsageError(`not an e-mail address: ${email}\n${USAGE}`);
  if (args.values['env-file']) process.loadEnvFile(args.values['env-file']);
  const config = loadConfig(process.env);
  const logger = createLogger('warn');

  let embedded: EmbeddedFerretDb | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await EmbeddedFerretDb.start({
      bin: config.ferretdbBin ?? defaultFerretDbBin(),
      sqliteDir: path.join(config.dataDir, 'db'),
      logger,
    });
    uri = `${embedded.uri}lectern`;
  }
  const db = await Database.connect(uri, logger);
  const limits = await RateLimits.create({ logger });
  try {
    const repos = await createRepositories(db);
    const accounts = new AccountService({
      users: repos.users,
      refreshTokens: repos.refreshTokens,
      tokens: new TokenIssuer(config.jwtSecret),
      throttle: new SignInThrottle(limits),
      limits: new AccountLimits(limits),
      // The console makes admins only: it never signs anyone up, so it sends no mail.
      mailLinks: new MailLinks({
        users: repos.users,
        accountTokens: repos.accountTokens,
        refreshTokens: repos.refreshTokens,
        limits: new AccountLimits(limits),
        send: () => Promise.reject(new Error('the admin console sends no mail')),
        publicBaseUrl: config.publicBaseUrl,
        onMailError: (err) => logger.error({ err }, 'the admin console sends no mail'),
      }),
      policyVersion: config.privacyPolicy.version,
    });
    const created = await accounts.makeAdmin(email, args.values.name ?? 'Администратор');
    const out = created.password
      ? `created admin ${created.user.email} (id ${created.user.id})\npassword: ${created.password}\n` +
        'Sign in with it now and keep it in a password manager: it is not stored anywhere readable.\n'
      : `${created.user.email} (id ${created.user.id}) is now an admin (roles: ${created.user.roles.join(', ')}); ` +
        'the role reaches their next sign-in or token refresh.\n';
    process.stdout.write(out);
  } finally {
    await limits.close();
    await db.close();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ConfigError) process.stderr.write(`lectern: ${err.message}\n`);
  else if (err instanceof AppError) process.stderr.write(`lectern: ${err.code}: ${err.message}\n`);
  else process.stderr.write(`lectern: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
