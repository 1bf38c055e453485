// Lectern as every benchmark runs it: in this process, production mode, silent, on port 0,
// one mediasoup worker, a fresh JWT secret and its embedded database under `dataDir`.
import { randomBytes } from 'node:crypto';
import { DEFAULT_PRIVACY_POLICY, loadConfig, type Config } from '../../server/config';
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
    // A run on the other malloc, to compare (the soak).
    ...(process.env.MEDIASOUP_WORKER_ALLOCATOR ? { MEDIASOUP_WORKER_ALLOCATOR: process.env.MEDIASOUP_WORKER_ALLOCATOR } : {}),
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

const BENCH_PASSWORD = 'correct horse battery';

/** Registers an account and answers its id and access token. */
export async function registerAccount(app: Lectern, email: string, displayName: string): Promise<{ id: string; token: string }> {
  const consent = { policyVersion: DEFAULT_PRIVACY_POLICY.version, accepted: true };
  const res = await call(app.url, 'POST', '/auth/register', {
    body: { email, password: BENCH_PASSWORD, displayName, locale: 'ru', consent },
  });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${res.text}`);
  return { id: res.body.user.id as string, token: res.body.accessToken as string };
}

/**
 * A lecturer made the way the centre makes one (an admin grants the role) and signed in
 * again so that the token carries it; answers the lecturer's id and token.
 */
export async function seedLecturer(app: Lectern): Promise<{ id: string; token: string }> {
  await registerAccount(app, 'admin@bench.lectern', 'Администратор');
  const admin = await adminToken(app, 'admin@bench.lectern', BENCH_PASSWORD);
  const lecturer = await registerAccount(app, 'lecturer@bench.lectern', 'Лектор');
  const grant = await call(app.url, 'PUT', `/users/${lecturer.id}/roles`, { token: admin, body: { roles: ['lecturer'] } });
  if (grant.status !== 200) throw new Error(`grant lecturer: ${grant.status} ${grant.text}`);
  const login = await call(app.url, 'POST', '/auth/login', { body: { email: 'lecturer@bench.lectern', password: BENCH_PASSWORD } });
  if (login.status !== 200) throw new Error(`login lecturer: ${login.status} ${login.text}`);
  return { id: lecturer.id, token: login.body.accessToken as string };
}

/** A seminar created and scheduled by `lecturerToken` (learners may report progress only on what they can see). */
export async function scheduledSeminar(app: Lectern, lecturerToken: string, body: Record<string, unknown>): Promise<string> {
  const res = await call(app.url, 'POST', '/seminars', { token: lecturerToken, body });
  if (res.status !== 201) throw new Error(`create seminar: ${res.status} ${res.text}`);
  const id = res.body.id as string;
  const scheduled = await call(app.url, 'POST', `/seminars/${id}/transitions`, { token: lecturerToken, body: { to: 'scheduled' } });
  if (scheduled.status !== 200) throw new Error(`schedule seminar: ${scheduled.status} ${scheduled.text}`);
  return id;
}
