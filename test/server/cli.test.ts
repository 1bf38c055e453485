import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { readinessSchema } from '../../server/protocol';
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

describe('npm start (server/cli.ts) on embedded defaults', () => {
  it('starts FerretDB under DATA_DIR, is ready, and on SIGTERM stops workers and the database', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-cli-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, MONGODB_URI: '', LOG_LEVEL: 'warn', NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /listening on http:\/\/localhost:(\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${stderr.join('\n')}`)));
    });

    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = readinessSchema.parse(await res.json());
    expect(res.status).toBe(200);
    expect(body.checks.database).toMatchObject({ ok: true, embedded: true });
    expect(existsSync(path.join(dataDir, 'db', 'lectern.sqlite'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);

    const workerPids = body.checks.mediasoup.workers.map((w) => w.pid);
    const dbPids = processesMentioning(path.join(dataDir, 'db'));
    expect(dbPids).toHaveLength(1);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
