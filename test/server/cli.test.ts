import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { readinessSchema } from '../../server/protocol';
import { runAdminCli } from '../support/admin-cli';
import { alive, waitFor } from '../support/media';

/** pids of processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `npm start`'s entry point as a child process; resolves with it once it listens. */
async function startCli(env: NodeJS.ProcessEnv, preload: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), 'server/cli.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', MONGODB_URI: '', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      const m = /listening on http:\/\/localhost:(\d+)/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`exited early (${code}): ${stderr.join('\n')}`)));
  });
  return { child, port, base: `http://127.0.0.1:${port}/api/v1`, stdout, stderr, exited };
}

async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  const body: any = text ? JSON.parse(text) : undefined;
  return { status: res.status, body };
}

describe('npm start (server/cli.ts) on embedded defaults', () => {
  it('starts FerretDB under DATA_DIR, is ready, and on SIGTERM stops workers and the database', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-cli-'));
    const { child, port, exited } = await startCli({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = readinessSchema.parse(await res.json());
    expect(res.status).toBe(200);
    expect(body.checks.database).toMatchObject({ ok: true, embedded: true });
    expect(existsSync(path.join(dataDir, 'db', 'lectern.sqlite'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);

    const workerPids = body.checks.mediasoup.workers.map((w) => w.pid);
    const dbPids = processesMentioning(path.join(dataDir, 'db'));
    expect(dbPids).toHaveLength(1);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => ([...workerPids, ...dbPids].every((pid) => !alive(pid)) ? true : undefined), 5000, 'children to exit');
  });

  it('refuses bad configuration with a message naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts'], {
      env: { ...process.env, PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/Invalid configuration:\n\s+PORT:/);
  });
});

describe('npm start after a fault nobody caught', () => {
  it.each(['unhandledRejection', 'uncaughtException'])(
    '%s: logged with its context, then a graceful stop that writes buffered progress',
    async (kind) => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-fault-'));
      // Heartbeats stay buffered (a flush a minute): only stop() can write this one.
      const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', PROGRESS_FLUSH_MS: '60000' };
      const made = await runAdminCli(['create', 'admin@fault.lectern'], { DATA_DIR: dataDir });
      expect(made.code, made.stderr).toBe(0);
      const first = await startCli({ ...env, LECTERN_TEST_FAULT: kind }, ['./test/support/fault-on-signal.ts']);
      const admin = await call(first.base, 'POST', '/auth/login', { body: { email: 'admin@fault.lectern', password: made.password } });
      expect(admin.status).toBe(200);
      const token = admin.body.accessToken as string;
      const seminar = await call(first.base, 'POST', '/seminars', {
        token,
        body: { title: 'Сбой и восстановление', track: 'ops', startsAt: '2031-05-01T18:00', durationMinutes: 60, capacity: 10 },
      });
      expect(seminar.status).toBe(201);
      expect(
        (await call(first.base, 'POST', `/seminars/${seminar.body.id}/transitions`, { token, body: { to: 'scheduled' } })).status,
      ).toBe(200);
      const heartbeat = { contentId: seminar.body.id, intervals: [[0, 42]], position: 42, durationSeconds: 3600, sentAt: Date.now() };
      expect((await call(first.base, 'POST', '/progress/heartbeats', { token, body: heartbeat })).status).toBe(202);

      first.child.kill('SIGUSR2');
      expect(await first.exited).toBe(1);
      const logged = first.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
      const fatal = logged.find((l) => l.level === 60);
      expect(fatal, first.stdout.join('\n')).toMatchObject({ kind, started: true, msg: `${kind}: stopping` });
      expect(fatal!.err.message).toMatch(/^test fault: /);
      expect(fatal!.err.stack).toContain('fault-on-signal.ts');

      // Started again on the same data: the heartbeat that was only in memory is there.
      const second = await startCli(env);
      try {
        const progress = await call(second.base, 'GET', `/progress/${seminar.body.id}`, { token });
        expect(progress.status).toBe(200);
        expect(progress.body).toMatchObject({ intervals: [[0, 42]], coveredSeconds: 42, resumePosition: 42 });
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    },
    90_000,
  );
});
