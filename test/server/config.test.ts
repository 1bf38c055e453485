import { mkdtemp, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

async function dataDir() {
  return mkdtemp(path.join(tmpdir(), 'lectern-config-'));
}

describe('loadConfig', () => {
  it('defaults to one worker per core, embedded database and recordings under the data dir', async () => {
    const dir = await dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.mediasoup.workers).toBe(availableParallelism());
    expect(config.mongodbUri).toBeUndefined();
    expect(config.recordingsDir).toBe(path.join(dir, 'recordings'));
    expect(config.port).toBe(8080);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MONGODB_URI: 'http://db.example:27017' }, 'MONGODB_URI'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ MEDIASOUP_LISTEN_IP: 'not-an-ip' }, 'MEDIASOUP_LISTEN_IP'],
    [{ RTC_MIN_PORT: '50000', RTC_MAX_PORT: '40000' }, 'RTC_MIN_PORT'],
    [{ MEDIASOUP_WORKERS: '0' }, 'MEDIASOUP_WORKERS'],
    [{ PUBLIC_BASE_URL: 'not a url' }, 'PUBLIC_BASE_URL'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ TRUST_PROXY: 'banana' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'loopback,,10.0.0.1' }, 'TRUST_PROXY'],
  ])('rejects %o naming %s', async (env, variable) => {
    const dir = await dataDir();
    expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(new RegExp(`\\b${variable}\\b`));
  });

  it("reads TRUST_PROXY as Express's `trust proxy`: loopback by default, a boolean, a hop count or a list", async () => {
    const dir = await dataDir();
    const trust = (TRUST_PROXY?: string) => loadConfig({ DATA_DIR: dir, ...(TRUST_PROXY === undefined ? {} : { TRUST_PROXY }) }).trustProxy;
    expect(trust()).toEqual(['loopback']);
    expect(trust('true')).toBe(true);
    expect(trust('false')).toBe(false);
    expect(trust('2')).toBe(2);
    expect(trust(' loopback, 10.0.0.0/8 ,fd00::/8,192.168.1.1 ')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.1']);
  });

  it('generates a development JWT secret once and keeps it under the data dir', async () => {
    const dir = await dataDir();
    const first = loadConfig({ DATA_DIR: dir }).jwtSecret;
    const second = loadConfig({ DATA_DIR: dir }).jwtSecret;
    expect(first).toHaveLength(64);
    expect(second).toBe(first);
    expect((await readFile(path.join(dir, 'jwt-secret'), 'utf8')).trim()).toBe(first);
    const other = loadConfig({ DATA_DIR: await dataDir() }).jwtSecret;
    expect(other).not.toBe(first);
  });

  it('uses the configured secret and never writes one', async () => {
    const dir = await dataDir();
    const secret = 'x'.repeat(40);
    expect(loadConfig({ DATA_DIR: dir, JWT_SECRET: secret, NODE_ENV: 'production' }).jwtSecret).toBe(secret);
    await expect(readFile(path.join(dir, 'jwt-secret'))).rejects.toThrow(/ENOENT/);
  });
});
