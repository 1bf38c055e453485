// Lectern as every benchmark runs it: in this process, production mode, silent, on port 0,
// one mediasoup worker, a fresh JWT secret and its embedded database under `dataDir`.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../server/config';

export function benchConfig(dataDir: string, env: NodeJS.ProcessEnv): Config {
  return loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    MEDIASOUP_WORKERS: '1',
    ...(process.env.FERRETDB_BIN ? { FERRETDB_BIN: process.env.FERRETDB_BIN } : {}),
    ...env,
  });
}
