import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PRIVACY_POLICY, loadConfig } from '../../server/config';

const SECRET = 'a-shared-secret-of-coturn';

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
    [{ RTC_PORT: 'forty' }, 'RTC_PORT'],
    [{ RTC_PORT: '80' }, 'RTC_PORT'],
    [{ RTC_PORT: '65535', MEDIASOUP_WORKERS: '2' }, 'RTC_PORT'],
    [{ RTC_PORT: '45000' }, 'RTC_PORT'],
    [{ RTC_PORT: '8079', MEDIASOUP_WORKERS: '2' }, 'RTC_PORT'],
    [{ RTC_CONNECT_TIMEOUT_MS: '5' }, 'RTC_CONNECT_TIMEOUT_MS'],
    [{ RTC_UDP_BUFFER_BYTES: '-1' }, 'RTC_UDP_BUFFER_BYTES'],
    [{ RTC_UDP_BUFFER_BYTES: '1MiB' }, 'RTC_UDP_BUFFER_BYTES'],
    [{ RTC_UDP_BUFFER_BYTES: String(128 * 1024 * 1024) }, 'RTC_UDP_BUFFER_BYTES'],
    [{ MEDIASOUP_WORKERS: '0' }, 'MEDIASOUP_WORKERS'],
    [{ MEDIASOUP_WORKER_ALLOCATOR: 'jemalloc' }, 'MEDIASOUP_WORKER_ALLOCATOR'],
    [{ PUBLIC_BASE_URL: 'not a url' }, 'PUBLIC_BASE_URL'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ TURN_URLS: 'http://turn.example.org' }, 'TURN_URLS'],
    [{ TURN_URLS: 'turn:turn.example.org:3478?transport=sctp', TURN_SECRET: SECRET }, 'TURN_URLS'],
    [{ TURN_URLS: 'turn:turn.example.org:3478' }, 'TURN_SECRET'],
    [{ TURN_URLS: 'turn:turn.example.org:3478', TURN_SECRET: 'short' }, 'TURN_SECRET'],
    [{ TURN_SECRET: SECRET }, 'TURN_URLS'],
    [{ TURN_URLS: 'stun:stun.example.org', TURN_FORCE_RELAY: 'true' }, 'TURN_FORCE_RELAY'],
    [{ TURN_URLS: 'turn:turn.example.org', TURN_SECRET: SECRET, TURN_CREDENTIAL_TTL_SECONDS: '10' }, 'TURN_CREDENTIAL_TTL_SECONDS'],
    [{ TURN_URLS: 'turn:turn.example.org', TURN_SECRET: SECRET, TURN_FORCE_RELAY: 'yes' }, 'TURN_FORCE_RELAY'],
    [{ TRUST_PROXY: 'banana' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'loopback,,10.0.0.1' }, 'TRUST_PROXY'],
    [{ OIDC_ISSUER: 'https://id.example.org' }, 'OIDC_CLIENT_ID'],
    [{ OIDC_ISSUER: 'https://id.example.org', OIDC_CLIENT_ID: 'lectern' }, 'OIDC_CLIENT_SECRET'],
    [{ OIDC_CLIENT_SECRET: 'secret' }, 'OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'not a url', OIDC_CLIENT_ID: 'lectern', OIDC_CLIENT_SECRET: 'secret' }, 'OIDC_ISSUER'],
    [{ PRIVACY_POLICY_VERSION: 'version 2' }, 'PRIVACY_POLICY_VERSION'],
    [{ PRIVACY_POLICY_FILE_RU: '/no/such/policy.txt' }, 'PRIVACY_POLICY_FILE_RU'],
  ])('rejects %o naming %s', async (env, variable) => {
    const dir = await dataDir();
    expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(new RegExp(`\\b${variable}\\b`));
  });

  it('takes the personal-data policy from files and turns OIDC on only with all three settings', async () => {
    const dir = await dataDir();
    const ru = path.join(dir, 'policy-ru.txt');
    await writeFile(ru, 'Политика центра.\n\nВторой абзац.\n');
    const config = loadConfig({ DATA_DIR: dir, PRIVACY_POLICY_VERSION: '2027-01', PRIVACY_POLICY_FILE_RU: ru });
    expect(config.privacyPolicy.version).toBe('2027-01');
    expect(config.privacyPolicy.text.ru).toBe('Политика центра.\n\nВторой абзац.');
    expect(config.privacyPolicy.text.en).toBe(DEFAULT_PRIVACY_POLICY.text.en);
    expect(config.oidc).toBeUndefined();
    expect(
      loadConfig({ DATA_DIR: dir, OIDC_ISSUER: 'https://id.example.org', OIDC_CLIENT_ID: 'lectern', OIDC_CLIENT_SECRET: 's' }).oidc,
    ).toEqual({ issuer: 'https://id.example.org', clientId: 'lectern', clientSecret: 's' });
    await writeFile(ru, '  \n');
    expect(() => loadConfig({ DATA_DIR: dir, PRIVACY_POLICY_FILE_RU: ru })).toThrow(/PRIVACY_POLICY_FILE_RU: .* is empty/);
  });

  it('gives worker i the WebRTC port RTC_PORT + i: 40000 by default, free ports when PORT is 0, and says why a base does not fit', async () => {
    const dir = await dataDir();
    expect(loadConfig({ DATA_DIR: dir }).mediasoup).toMatchObject({
      rtcPort: 40000,
      rtcMinPort: 41000,
      rtcMaxPort: 49999,
      connectTimeoutMs: 30_000,
    });
    // Instances on an ephemeral HTTP port (tests side by side) take free WebRTC ports too, unless told otherwise.
    expect(loadConfig({ DATA_DIR: dir, PORT: '0' }).mediasoup.rtcPort).toBe(0);
    expect(loadConfig({ DATA_DIR: dir, PORT: '0', RTC_PORT: '30000' }).mediasoup.rtcPort).toBe(30000);
    expect(loadConfig({ DATA_DIR: dir, RTC_PORT: '0' }).mediasoup.rtcPort).toBe(0);
    expect(loadConfig({ DATA_DIR: dir, RTC_CONNECT_TIMEOUT_MS: '1500' }).mediasoup.connectTimeoutMs).toBe(1500);
    expect(loadConfig({ DATA_DIR: dir }).mediasoup.udpBufferBytes).toBe(4 * 1024 * 1024);
    expect(loadConfig({ DATA_DIR: dir }).mediasoup.allocator).toBe('mimalloc');
    expect(loadConfig({ DATA_DIR: dir, MEDIASOUP_WORKER_ALLOCATOR: 'system' }).mediasoup.allocator).toBe('system');
    // 500 ms: the join storm's trade between the lecturer's key frames and the joins' wait (README).
    expect(loadConfig({ DATA_DIR: dir }).live.keyFrameRequestDelayMs).toBe(500);
    expect(loadConfig({ DATA_DIR: dir, RTC_UDP_BUFFER_BYTES: '0' }).mediasoup.udpBufferBytes).toBe(0);

    const messageFor = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig({ DATA_DIR: dir, ...env });
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(messageFor({ RTC_PORT: '45000', MEDIASOUP_WORKERS: '4' })).toMatch(
      /RTC_PORT: ports 45000-45003 \(one per media worker\) overlap RTC_MIN_PORT-RTC_MAX_PORT \(41000-49999\)/,
    );
    expect(messageFor({ RTC_PORT: '65534', MEDIASOUP_WORKERS: '4' })).toMatch(/RTC_PORT: .*65534-65537 for 4 workers passes 65535/);
    expect(messageFor({ RTC_PORT: '8079', MEDIASOUP_WORKERS: '2' })).toMatch(/RTC_PORT: ports 8079-8080 .* include PORT 8080/);
    // The internal range may move out of the way instead.
    expect(messageFor({ RTC_PORT: '45000', MEDIASOUP_WORKERS: '4', RTC_MIN_PORT: '46000' })).toBe('accepted');
  });

  it('reads TURN: URLs split on commas, stun: ones allowed without a secret, no TURN by default', async () => {
    const dir = await dataDir();
    expect(loadConfig({ DATA_DIR: dir }).turn).toBeUndefined();
    const urls = 'turn:turn.example.org:3478?transport=udp, turns:[2001:db8::1]:443?transport=tcp,stun:stun.example.org';
    expect(loadConfig({ DATA_DIR: dir, TURN_URLS: urls, TURN_SECRET: SECRET, TURN_FORCE_RELAY: '1' }).turn).toEqual({
      urls: ['turn:turn.example.org:3478?transport=udp', 'turns:[2001:db8::1]:443?transport=tcp', 'stun:stun.example.org'],
      secret: SECRET,
      credentialTtlSeconds: 3600,
      forceRelay: true,
    });
    expect(loadConfig({ DATA_DIR: dir, TURN_URLS: 'stun:stun.example.org:3478' }).turn).toEqual({
      urls: ['stun:stun.example.org:3478'],
      credentialTtlSeconds: 3600,
      forceRelay: false,
    });
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
