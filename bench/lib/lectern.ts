// Lectern as every benchmark runs it: in this process, production mode, silent, on port 0,
// one mediasoup worker, a fresh JWT secret and its embedded database under `dataDir`.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../server/config';
import type { Lectern } from '../../server/main';
import { call } from './rest';

export function benchConfig(dataDir: string, env: NodeJS.ProcessEnv): Config {
  return loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    MEDIASOUP_WORKERS: '1',
    // Benches register thousands of learners from 127.0.0.1.
    REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
    // …and join hundreds of guest viewers from it.
    LIVE_SOCKETS_PER_IP: '1000000',
    ...(process.env.FERRETDB_BIN ? { FERRETDB_BIN: process.env.FERRETDB_BIN } : {}),
    ...env,
  });
}

/**
 * Makes an account registered with `password` an admin the way an operator does (what
 * `npm run admin -- create` runs: registering never makes one) and signs it in again,
 * so the token carries the role.
 */
export async function adminToken(app: Lectern, email: string, password: string): Promise<string> {
  await app.domain.accounts.makeAdmin(email, 'Администратор');
  const res = await call(app.url, 'POST', '/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`admin sign-in: ${res.status} ${res.text}`);
  return res.body.accessToken as string;
}
