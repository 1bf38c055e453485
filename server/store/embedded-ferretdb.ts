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
}

/**
 * FerretDB v1 on SQLite as a child process: the embedded default when no
 * MONGODB_URI is configured. The child binds port 0 and prints its URI; it also
 * exits on its own when our end of its stdin closes, so it never outlives us.
 */
export class EmbeddedFerretDb {
  private stopping?: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly uri: string,
    private readonly logger: Logger,
  ) {}

  static async start(opts: EmbeddedFerretDbOptions): Promise<EmbeddedFerretDb> {
    if (!existsSync(opts.bin)) {
      throw new Error(`FerretDB launcher not found at ${opts.bin}: run "npm run setup" (or set FERRETDB_BIN)`);
    }
    const logger = opts.logger.child({ component: 'ferretdb' });
    const args = [
      '-sqlite-dir',
      opts.sqliteDir,
      '-log-level',
      'error',
      ...(opts.listenAddress ? ['-listen-addr', opts.listenAddress] : []),
    ];
    const child = spawn(opts.bin, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stderr }).on('line', (line) => logger.warn({ ferretdb: line }, 'ferretdb log'));

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
    logger.info({ uri, sqliteDir: opts.sqliteDir, pid: child.pid }, 'embedded FerretDB started');
    return new EmbeddedFerretDb(child, uri, logger);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends the child: stdin EOF and SIGTERM first, SIGKILL if it lingers. Safe to call twice. */
  stop(timeoutMs = 5000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        this.logger.info('embedded FerretDB stopped');
        resolve();
      });
      this.child.stdin?.end();
      this.child.kill('SIGTERM');
    });
    return this.stopping;
  }
}
