import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../server/config';
import { createLogger } from '../../server/logger';
import { start, type Lectern } from '../../server/main';

/** A database name of its own for each caller, on the run's shared FerretDB. */
export function testDatabaseUri(label: string): string {
  const name = `t_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
  return `${inject('mongoServerUri')}${name}`;
}

export async function testConfig(env: NodeJS.ProcessEnv = {}): Promise<Config> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-test-'));
  return loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    // Test files register many users from 127.0.0.1; test/api/auth.test.ts sets its own limit.
    REGISTRATIONS_PER_IP_PER_HOUR: '100000',
    ...env,
  });
}

/** Lectern in-process on port 0, with a real database and real mediasoup workers. */
export async function startTestApp(label: string, env: NodeJS.ProcessEnv = {}): Promise<Lectern> {
  const config = await testConfig({ MONGODB_URI: testDatabaseUri(label), ...env });
  return start(config, createLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent'));
}
