import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readinessSchema } from '../../server/protocol';
import { testDatabaseUri } from '../support/app';

// scripts/setup.sh as an operator meets it: what `npm start` installs, what only
// `npm test` adds, and Go asked for only when the embedded database must be built.
// The machine's Debian packages cannot be removed here, so dpkg-query and apt-get
// are stand-ins on PATH that say which packages are absent and record any install.

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const realCache = process.env.LECTERN_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'lectern');
const TEST_ONLY = ['chromium', 'chromium-driver', 'redis-server', 'nginx', 'coturn', 'iptables', 'libreoffice-impress-nogui', 'gdb'];
const made: string[] = [];
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

/**
 * A PATH without Go: one directory of links to every program on PATH except go and
 * gofmt, plus the stand-ins. `absent` packages are reported missing by dpkg-query;
 * apt-get appends its arguments to `aptLog` and exits with `aptStatus`.
 */
async function machine(opts: { absent: string[]; aptStatus: number; fakeGo?: { version: string } }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-setup-'));
  made.push(dir);
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const aptLog = path.join(dir, 'apt-get.log');
  const stubs: Record<string, string> = {
    'dpkg-query': `#!/bin/sh\nfor p in ${opts.absent.join(' ')}; do [ "$p" = "$3" ] && exit 1; done\nprintf 'install ok installed'\n`,
    'apt-get': `#!/bin/sh\necho "$*" >> '${aptLog}'\nexit ${opts.aptStatus}\n`,
    sudo: '#!/bin/sh\nexec "$@"\n',
  };
  if (opts.fakeGo) {
    // Answers what set-up asks: the version, and whether it may switch toolchains.
    stubs.go = `#!/bin/sh\ncase "$1 $2" in\n  "env GOVERSION") echo ${opts.fakeGo.version} ;;\n  "env GOTOOLCHAIN") echo "\${GOTOOLCHAIN:-local}" ;;\n  *) echo "fake go: $*" >&2; exit 2 ;;\nesac\n`;
  }
  for (const [name, text] of Object.entries(stubs)) {
    await writeFile(path.join(bin, name), text);
    await chmod(path.join(bin, name), 0o755);
  }
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (!d || !existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (name === 'go' || name === 'gofmt' || existsSync(path.join(bin, name))) continue;
      await symlink(path.join(d, name), path.join(bin, name)).catch(() => undefined);
    }
  }
  return { dir, aptLog, PATH: bin };
}

/**
 * The repository as a fresh clone has it (tracked and new, not ignored files), in `parent`.
 * With `installed`, also its node_modules and web/dist as hard links: set-up there finds
 * them done, and whatever it might still change is the copy's, never the repository's,
 * which the other test files are using.
 */
async function checkout(parent: string, installed: boolean): Promise<string> {
  const dir = path.join(parent, 'lectern');
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, maxBuffer: 16 << 20 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (existsSync(path.join(repo, file))) await cp(path.join(repo, file), path.join(dir, file), { recursive: true });
  }
  if (installed) {
    for (const sub of ['node_modules', 'web/dist']) {
      // Hard links where the file system allows them; a copy elsewhere.
      await run('cp', ['-al', path.join(repo, sub), path.join(dir, sub)]).catch(async () => {
        await rm(path.join(dir, sub), { recursive: true, force: true });
        await run('cp', ['-a', path.join(repo, sub), path.join(dir, sub)]);
      });
    }
  }
  return dir;
}

/** Runs scripts/setup.sh in `cwd`; resolves with its exit code and output, never throws. */
async function setup(cwd: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const started = Date.now();
  const result = await run('bash', ['scripts/setup.sh', ...args], { cwd, env, maxBuffer: 16 << 20 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
  );
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // Not the test run's own settings: set-up and start decide these themselves.
  for (const name of ['MONGODB_URI', 'FERRETDB_BIN', 'NODE_ENV', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'GOTOOLCHAIN']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

describe('set-up asks for Go only to build the embedded database', () => {
  it('stops at once, before installing anything, when Go is missing', async () => {
    const m = await machine({ absent: ['ffmpeg'], aptStatus: 0 });
    const cache = path.join(m.dir, 'cache');
    const r = await setup(repo, baseEnv({ PATH: m.PATH, LECTERN_CACHE_DIR: cache }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('built with Go >= 1.24, and Go is not on PATH');
    expect(r.out).toContain('"Go for the embedded database"');
    expect(r.out).toContain('https://go.dev/dl/');
    expect(r.seconds).toBeLessThan(5);
    // Nothing was installed or built: no apt-get call, no cache.
    expect(existsSync(m.aptLog)).toBe(false);
    expect(existsSync(cache)).toBe(false);
  });

  it('stops when Go is older than FerretDB needs and may not fetch a newer one', async () => {
    const m = await machine({ absent: ['ffmpeg'], aptStatus: 0, fakeGo: { version: 'go1.23.5' } });
    const r = await setup(repo, baseEnv({ PATH: m.PATH, LECTERN_CACHE_DIR: path.join(m.dir, 'cache'), GOTOOLCHAIN: 'local' }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('built with Go >= 1.24, and found go1.23.5 (GOTOOLCHAIN=local)');
    expect(existsSync(m.aptLog)).toBe(false);
  });

  it('goes on with an older Go that fetches Go 1.24 itself (GOTOOLCHAIN=auto)', async () => {
    // The stand-in apt-get fails, so set-up stops right after the Go check, at the packages.
    const m = await machine({ absent: ['ffmpeg'], aptStatus: 1, fakeGo: { version: 'go1.23.5' } });
    const r = await setup(repo, baseEnv({ PATH: m.PATH, LECTERN_CACHE_DIR: path.join(m.dir, 'cache'), GOTOOLCHAIN: 'auto' }));
    expect(r.out).toContain('Go 1.23.5 with GOTOOLCHAIN=auto: the build fetches Go 1.24 through the Go module proxy');
    expect(r.out).toContain('apt-get update failed');
    expect(r.code).toBe(1);
  });
});

describe('npm start installs only what running needs', () => {
  it('from a fresh clone with MONGODB_URI, no Go, Chromium, Redis or nginx: no test packages, no dev dependencies, no FerretDB; it serves', async () => {
    const m = await machine({ absent: TEST_ONLY, aptStatus: 1 });
    const clone = await checkout(m.dir, false);
    // An empty cache but for the mediasoup worker (a 5-minute build, tested by its own set-up).
    const cache = path.join(m.dir, 'cache');
    await mkdir(cache);
    await symlink(path.join(realCache, 'mediasoup-worker'), path.join(cache, 'mediasoup-worker'));

    const env = baseEnv({
      PATH: m.PATH,
      LECTERN_CACHE_DIR: cache,
      // The run's FerretDB stands in for a MongoDB server.
      MONGODB_URI: testDatabaseUri('lean_start'),
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: path.join(m.dir, 'data'),
      LOG_LEVEL: 'warn',
    });
    const child = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const output: string[] = [];
    try {
      createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
      const port = await new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          output.push(line);
          const match = /listening on http:\/\/localhost:(\d+)/.exec(line);
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output.join('\n')}`)));
      });
      const log = output.join('\n');
      expect(log).toContain('(run) are installed');
      expect(log).toContain('npm ci --omit=dev');
      expect(log).toContain('skip: MONGODB_URI is set, no embedded database');
      // No Debian package was installed: the test-only ones were not asked for.
      expect(existsSync(m.aptLog)).toBe(false);
      // Runtime dependencies only (the page build included); none of the test tools.
      for (const pkg of ['mediasoup', 'express', 'vite', 'hls.js']) expect(existsSync(path.join(clone, 'node_modules', pkg))).toBe(true);
      // typescript is not in this list on purpose: it is an optional peer of i18next and a
      // devDependency, and npm keeps such a "devOptional" package under --omit=dev.
      for (const pkg of ['vitest', 'playwright-core', 'eslint', 'prettier', 'node-datachannel']) {
        expect(existsSync(path.join(clone, 'node_modules', pkg)), pkg).toBe(false);
      }
      expect(existsSync(path.join(cache, 'ferretdb'))).toBe(false);

      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      const report = readinessSchema.parse(await ready.json());
      expect(ready.status).toBe(200);
      expect(report.checks.database).toMatchObject({ ok: true, embedded: false });
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      // The front end was built by this start: its page and its entry script are served.
      const html = await page.text();
      expect(html).toContain('<div id="app">');
      const script = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const entry = await fetch(`http://127.0.0.1:${port}${script}`);
      expect(entry.status).toBe(200);
      expect(entry.headers.get('content-type')).toMatch(/javascript/);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    }
  }, 300_000);

  it("reads MONGODB_URI and LECTERN_CACHE_DIR from the service's environment file (npm run setup -- --env-file)", async () => {
    const m = await machine({ absent: TEST_ONLY, aptStatus: 1 });
    const cache = path.join(m.dir, 'cache');
    await mkdir(cache);
    await symlink(path.join(realCache, 'mediasoup-worker'), path.join(cache, 'mediasoup-worker'));
    const envFile = path.join(m.dir, 'lectern.env');
    // The shipped example's shape, with a value no shell could source.
    const example = await readFile(path.join(repo, 'deploy/lectern.env.example'), 'utf8');
    await writeFile(
      envFile,
      example
        .replace('LECTERN_CACHE_DIR=/var/cache/lectern', `LECTERN_CACHE_DIR=${cache}`)
        .replace('# MONGODB_URI=', 'MONGODB_URI=')
        .replace('MAIL_FROM=', 'MAIL_FROM="Lectern <no-reply@lectern.example.org>"\n# '),
    );
    const r = await setup(await checkout(m.dir, true), baseEnv({ PATH: m.PATH }), ['--env-file', envFile]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('skip: MONGODB_URI is set, no embedded database');
    expect(r.out).toContain(`worker cached at ${cache}/mediasoup-worker/`);
    expect(existsSync(path.join(cache, 'ferretdb'))).toBe(false);
    expect(existsSync(m.aptLog)).toBe(false);
  }, 60_000);

  it('npm test adds exactly the test packages, and a second run skips every step', async () => {
    const m = await machine({ absent: TEST_ONLY, aptStatus: 0 });
    const copy = await checkout(m.dir, true);
    const test = await setup(copy, baseEnv({ PATH: m.PATH }), ['--test']);
    expect(test.code, test.out).toBe(0);
    const calls = (await readFile(m.aptLog, 'utf8')).trim().split('\n');
    expect(calls[0]).toBe('update -qq');
    expect(calls[1]).toBe(`install -y -qq --no-install-recommends ${TEST_ONLY.join(' ')}`);
    expect(calls).toHaveLength(2);

    // Everything present: every step says skip, in about a second.
    const again = await setup(copy, baseEnv({}), ['--test']);
    expect(again.code, again.out).toBe(0);
    const steps = again.out.split('\n').filter((l) => /^\[(setup|worker)\]/.test(l) && !l.includes('done in'));
    expect(steps.length).toBeGreaterThanOrEqual(5);
    for (const line of steps) expect(line).toContain('skip:');
    expect(again.seconds).toBeLessThan(10);
    // The first run builds the pages (vite): over a minute on 2 busy cores.
  }, 180_000);
});
