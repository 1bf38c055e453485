import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../logger';

export const FERRETDB_VERSION = '1.24.2';

/** Where scripts/setup.sh puts the launcher built from server/store/ferretdb. */
export function defaultFerretDbBin(): string {
  const cacheRoot = process.env.LECTERN_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'lectern');
  return path.join(cacheRoot, 'ferretdb', `v${FERRETDB_VERSION}`, 'ferretdb-embedded');
}

export interface EmbeddedFerretDbOptions {
  bin: string;
  sqliteDir: string;
  logger: Logger;
  startTimeoutMs?: number;
  /** host:port to listen on; by default a free loopback port. A restart on the same data passes the port it had. */
  listenAddress?: string;
  /** The longest wait before starting a child that exited again (the backoff doubles from 250 ms). */
  maxBackoffMs?: number;
}

/**
 * FerretDB v1 on SQLite as a child process: the embedded default when no
 * MONGODB_URI is configured. The child binds port 0 and prints its URI; it also
 * exits on its own when our end of its stdin closes, so it never outlives us.
 *
 * Supervised: a child that exits while we run is started again on the same
 * port and SQLite files, after a backoff that doubles up to `maxBackoffMs` (and
 * starts over once a child has stayed up a minute). The mongoose connection
 * reconnects to the same address by itself; meanwhile the API answers 503.
 */
export class EmbeddedFerretDb {
  private stopping?: Promise<void>;
  private restartTimer?: NodeJS.Timeout;
  private failures = 0;
  private startedAt = Date.now();
  /** How many times the child was started again after it exited on its own. */
  restarts = 0;

  private constructor(
    private child: ChildProcess,
    readonly uri: string,
    private readonly opts: EmbeddedFerretDbOptions & { logger: Logger },
  ) {
    this.supervise();
  }

  static async start(opts: EmbeddedFerretDbOptions): Promise<EmbeddedFerretDb> {
    if (!existsSync(opts.bin)) {
      throw new Error(`FerretDB launcher not found at ${opts.bin}: run "npm run setup" (or set FERRETDB_BIN)`);
    }
    const logger = opts.logger.child({ component: 'ferretdb' });
    const { child, uri } = await spawnFerretDb({ ...opts, logger });
    logger.info({ uri, sqliteDir: opts.sqliteDir, pid: child.pid }, 'embedded FerretDB started');
    // A restart must come back where the connection string points.
    return new EmbeddedFerretDb(child, uri, { ...opts, logger, listenAddress: new URL(uri).host });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends the child: stdin EOF and SIGTERM first, SIGKILL if it lingers. Safe to call twice. */
  stop(timeoutMs = 5000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      clearTimeout(this.restartTimer);
      const child = this.child;
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        this.opts.logger.info('embedded FerretDB stopped');
        resolve();
      });
      child.stdin?.end();
      child.kill('SIGTERM');
    });
    return this.stopping;
  }

  private supervise(): void {
    this.startedAt = Date.now();
    this.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - this.startedAt > 60_000) this.failures = 0;
      const delay = Math.min(this.opts.maxBackoffMs ?? 10_000, 250 * 2 ** this.failures);
      this.failures++;
      this.opts.logger.error({ code, signal, restartInMs: delay }, 'embedded FerretDB exited; restarting it');
      this.scheduleRestart(delay);
    });
  }

  private scheduleRestart(delay: number): void {
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      spawnFerretDb(this.opts).then(
        ({ child }) => {
          if (this.stopping) {
            child.stdin?.end();
            child.kill('SIGTERM');
            return;
          }
          this.child = child;
          this.restarts++;
          this.opts.logger.warn({ pid: child.pid, restarts: this.restarts }, 'embedded FerretDB restarted');
          this.supervise();
        },
        (err: unknown) => {
          const next = Math.min(this.opts.maxBackoffMs ?? 10_000, 250 * 2 ** this.failures);
          this.failures++;
          this.opts.logger.error({ err, restartInMs: next }, 'embedded FerretDB did not restart; trying again');
          this.scheduleRestart(next);
        },
      );
    }, delay);
    this.restartTimer.unref();
  }
}

/** Starts the child and waits for the address it reports. */
async function spawnFerretDb(opts: EmbeddedFerretDbOptions & { logger: Logger }): Promise<{ child: ChildProcess; uri: string }> {
  const args = ['-sqlite-dir', opts.sqliteDir, '-log-level', 'error', ...(opts.listenAddress ? ['-listen-addr', opts.listenAddress] : [])];
  const child = spawn(opts.bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  createInterface({ input: child.stderr }).on('line', (line) => opts.logger.warn({ ferretdb: line }, 'ferretdb log'));
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`FerretDB did not report its address within ${opts.startTimeoutMs ?? 15000} ms`));
    }, opts.startTimeoutMs ?? 15000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^LISTENING (mongodb:\/\/\S+)$/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`FerretDB exited during start (code ${code}, signal ${signal})`));
    });
  });
  return { child, uri };
}
