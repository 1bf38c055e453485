import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger';

export type PingResult = { ok: true; latencyMs: number } | { ok: false; error: string };

/**
 * One mongoose connection, owned by the composition root. An unreachable server
 * at boot does not stop Lectern: the connection is retried on each readiness
 * ping, and /readyz says why it is not ready.
 */
export class Database {
  private connecting?: Promise<void>;
  private lastError?: string;
  private closed = false;
  /** Work for the first successful connect only; emptied once it has run. */
  private onFirstConnect: Array<() => Promise<unknown>> = [];

  private constructor(
    readonly connection: Connection,
    private readonly uri: string,
    private readonly logger: Logger,
    private readonly onConnected: Array<() => Promise<unknown>>,
  ) {}

  static async connect(uri: string, logger: Logger): Promise<Database> {
    const db = new Database(mongoose.createConnection(), uri, logger.child({ component: 'database' }), []);
    await db.ensureConnected();
    return db;
  }

  /** Registers work (index builds) to run on every successful connect, and now if connected. */
  async whenConnected(task: () => Promise<unknown>): Promise<void> {
    this.onConnected.push(task);
    if (this.isConnected) await task();
  }

  /**
   * Runs work once: now if connected, else at the first successful connect. A
   * reconnect after an outage does not run it again (boot repair must not treat
   * a database blip as a crash).
   */
  async whenFirstConnected(task: () => Promise<unknown>): Promise<void> {
    if (this.isConnected) await task();
    else this.onFirstConnect.push(task);
  }

  get isConnected(): boolean {
    return this.connection.readyState === mongoose.ConnectionStates.connected;
  }

  async ping(timeoutMs = 2000): Promise<PingResult> {
    await this.ensureConnected();
    if (!this.isConnected) return { ok: false, error: this.lastError ?? 'not connected' };
    const started = performance.now();
    try {
      await withTimeout(this.connection.db!.admin().command({ ping: 1 }), timeoutMs);
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await this.connection.close(true);
  }

  private ensureConnected(): Promise<void> {
    if (this.isConnected || this.closed) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    try {
      await this.connection.openUri(this.uri, { serverSelectionTimeoutMS: 2000 });
      for (const task of this.onConnected) await task();
      for (const task of this.onFirstConnect.splice(0)) await task();
      this.lastError = undefined;
      this.logger.info({ uri: redact(this.uri) }, 'database connected');
    } catch (err) {
      this.lastError = `cannot reach ${redact(this.uri)}: ${(err as Error).message}`;
      this.logger.error({ err }, 'database connection failed');
    }
  }
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ping timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e as Error)),
    );
  });
}
