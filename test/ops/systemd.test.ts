import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseEnv, promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import { waitFor } from '../support/media';

// deploy/lectern.service and deploy/lectern.env.example as an operator installs them:
// systemd's own checks of the unit and its sandbox, and Lectern started the way the
// unit starts it, with Node reading the environment file. (No systemd runs as PID 1
// here, so the sandbox itself is not exercised at run time.)

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const unitFile = path.join(repo, 'deploy/lectern.service');
const envFile = path.join(repo, 'deploy/lectern.env.example');

/** The [Service] section: each key with all its values, in order. */
async function serviceSection(): Promise<Map<string, string[]>> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of (await readFile(unitFile, 'utf8')).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!;
    else if (section === 'Service') {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      keys.set(key, [...(keys.get(key) ?? []), line.slice(at + 1)]);
    }
  }
  return keys;
}

/** A process's command line ('' once it has gone). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // The parent pid follows the command's name, which is in parentheses and may hold spaces.
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the systemd unit and its environment file', () => {
  it('passes systemd-analyze verify without a warning, and its sandbox rates as exposed 2.0 or less', async () => {
    const verified = await run('systemd-analyze', ['verify', unitFile]);
    expect(verified.stderr).toBe('');
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitFile]);
    const exposure = Number(/Overall exposure level for lectern\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(exposure).toBeGreaterThan(0);
    expect(exposure).toBeLessThanOrEqual(2.0);
  });

  it('runs as its own user, read-only but for DATA_DIR, with the settings Node reads from the environment file', async () => {
    const service = await serviceSection();
    const one = (key: string) => service.get(key)?.join(' ');
    expect(one('User')).toBe('lectern');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('ExecStart')).toBe('/usr/bin/node --env-file=/etc/lectern/lectern.env --import tsx server/cli.ts');
    expect(one('Environment')).toBe('LD_PRELOAD=libmimalloc.so.2');

    const example = parseEnv(await readFile(envFile, 'utf8'));
    expect(one('ReadWritePaths')).toBe(example.DATA_DIR);
    expect(one('StateDirectory')).toBe(path.basename(example.DATA_DIR!));
    // The placeholder secret is refused, so nobody runs with it; with a real one, every setting is valid.
    expect(() => loadConfig(example)).toThrow(ConfigError);
    expect(() => loadConfig(example)).toThrow(/JWT_SECRET: must be at least 32 characters/);
    const config = loadConfig({ ...example, JWT_SECRET: 'x'.repeat(48) });
    expect(config).toMatchObject({ env: 'production', host: '127.0.0.1', port: 8080, dataDir: '/var/lib/lectern' });
  });

  it('starts as the unit starts it: node --env-file on mimalloc, its children without the preload, then stops on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-unit-'));
    const unitEnvironment = parseEnv((await serviceSection()).get('Environment')!.join('\n'));
    // The environment wins over the file: only what this machine needs differs from the example.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? homedir(),
      JWT_SECRET: 'x'.repeat(48),
      DATA_DIR: dataDir,
      PORT: '0',
      // The file's RTC_PORT=40000 is a production choice; here another test may hold it.
      RTC_PORT: '0',
      MEDIASOUP_LISTEN_IP: '127.0.0.1',
      MEDIASOUP_WORKERS: '1',
      LOG_LEVEL: 'info',
      ...unitEnvironment,
      LECTERN_CACHE_DIR:
        process.env.LECTERN_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'lectern'),
    };
    const child = spawn(process.execPath, [`--env-file=${envFile}`, '--import', 'tsx', 'server/cli.ts'], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const output: string[] = [];
      const logs: string[] = [];
      createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
      const port = await new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          logs.push(line);
          const m = /listening on http:\/\/localhost:(\d+)/.exec(line);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${output.join('\n')}`)));
      });
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      // Lectern's own process maps mimalloc and says so; the embedded database it started does
      // not, and neither does its environment carry the preload; the media worker runs on its
      // pool's allocator (mimalloc, the default).
      expect(readFileSync(`/proc/${child.pid}/maps`, 'utf8')).toContain('/libmimalloc.so.2');
      // pino writes asynchronously: its line may come after "listening".
      await waitFor(() => (logs.some((l) => l.includes('"nodeAllocator":"mimalloc"')) ? true : undefined), 5000, 'the allocator log line');
      const kids = childrenOf(child.pid!);
      const named = (needle: string) => kids.find((pid) => commandLine(pid).includes(needle));
      const [database, worker] = [named('ferretdb'), named('mediasoup-worker')];
      expect(database).toBeDefined();
      expect(worker).toBeDefined();
      expect(readFileSync(`/proc/${database}/environ`, 'utf8').split('\0')).not.toContainEqual(expect.stringMatching(/^LD_PRELOAD=/));
      expect(readFileSync(`/proc/${database}/maps`, 'utf8')).not.toContain('libmimalloc');
      expect(readFileSync(`/proc/${worker}/maps`, 'utf8')).toContain('/libmimalloc.so.2');
      // PUBLIC_BASE_URL came from the file.
      const openapi = (await (await fetch(`http://127.0.0.1:${port}/api/openapi.json`)).json()) as { servers: Array<{ url: string }> };
      expect(openapi.servers[0]!.url).toBe('https://lectern.example.org');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
