// The pion viewers (bench/viewers, one Go process for many WebRTC peers) driven over its JSON
// lines protocol (bench/viewers/main.go): add a viewer from an SDP offer, wait for its answer and
// its first decodable frame, read every viewer's counters, close a viewer.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface GoInit {
  h264Pt: number;
  h264Fmtp: string;
  rtxPt: number;
  opusPt: number;
  maxWaitMs: number;
}

/** Every viewer's cumulative counters, in the order of `counterNames`, read at `atMs` (Unix ms). */
export interface RawCounters {
  atMs: number;
  viewers: Record<string, number[]>;
}

export class GoViewers {
  private readonly go: ChildProcessWithoutNullStreams;
  private readonly waiters = new Map<string, { resolve(v: any): void; reject(e: Error): void }>();
  private nextReq = 1;
  /** The order of each viewer's counters (sent once by the Go process). */
  counterNames: string[] = [];
  readonly ready: Promise<string>;

  /** `debug` echoes every line the Go process writes (its stdout) to this process's stderr. */
  constructor(bin: string, init: GoInit, opts: { debug?: boolean } = {}) {
    this.go = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    // mediasoup's bandwidth probes (SSRC 1234, not in the offer) and writes on a closing peer: not news.
    createInterface({ input: this.go.stderr }).on('line', (line) => {
      if (!line.includes('ssrc(1234)') && !line.includes('closed pipe')) process.stderr.write(`[viewers] ${line}\n`);
    });
    // A binary that cannot start, or a write after the process died, fails the waiters rather than this process.
    this.go.on('error', (err) => this.failAll(`the Go viewers failed: ${err.message}`));
    this.go.stdin.on('error', () => undefined);
    this.go.on('exit', (code, signal) => {
      this.failAll(`the Go viewers exited (${code ?? signal})`);
    });
    this.ready = this.wait<{ fingerprint: string; counterNames: string[] }>('ready:', 30_000).then((m) => {
      this.counterNames = m.counterNames;
      return m.fingerprint;
    });
    createInterface({ input: this.go.stdout }).on('line', (line) => {
      if (opts.debug) process.stderr.write(`[viewers→] ${line.slice(0, 300)}\n`);
      this.onLine(line);
    });
    this.send({ type: 'init', ...init });
  }

  get pid(): number | undefined {
    return this.go.pid;
  }

  /** Adds a viewer answering `offer`; resolves with its answer (SDP and its a=setup), and gives a promise of its first frame (Unix ms). */
  async add(id: string, offer: string, timeoutMs: number): Promise<{ setup: string; answer: string; firstFrame: Promise<number> }> {
    const answered = this.wait<{ setup: string; answer: string }>(`answered:${id}`, timeoutMs);
    const firstFrame = this.wait<{ atMs: number }>(`first-frame:${id}`, timeoutMs).then((m) => m.atMs);
    firstFrame.catch(() => undefined);
    this.send({ type: 'add', id, offer });
    const a = await answered;
    return { setup: a.setup, answer: a.answer, firstFrame };
  }

  /** Every viewer's cumulative counters as the Go process sends them. */
  async rawCounters(): Promise<RawCounters> {
    const req = this.nextReq++;
    const reply = this.wait<RawCounters>(`counters:${req}`, 30_000);
    this.send({ type: 'counters', req });
    const { atMs, viewers } = await reply;
    return { atMs, viewers };
  }

  /** Every viewer's cumulative counters, by name. */
  async counters(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [id, values] of Object.entries((await this.rawCounters()).viewers))
      out[id] = Object.fromEntries(this.counterNames.map((n, i) => [n, values[i] ?? 0]));
    return out;
  }

  close(id: string): void {
    this.settle(`answered:${id}`, undefined, 'closed');
    this.settle(`first-frame:${id}`, undefined, 'closed');
    this.send({ type: 'close', id });
  }

  /** Ends the Go process's input (it closes every peer and exits), killing it if it has not within 2 s. */
  stop(): void {
    this.go.stdin.end();
    setTimeout(() => this.go.kill('SIGKILL'), 2000).unref();
  }

  /** Kills the Go process at once (this process is leaving). */
  kill(): void {
    this.go.kill('SIGKILL');
  }

  private failAll(message: string): void {
    for (const w of this.waiters.values()) w.reject(new Error(message));
    this.waiters.clear();
  }

  private send(msg: Record<string, unknown>): void {
    if (this.go.stdin.writable) this.go.stdin.write(JSON.stringify(msg) + '\n');
  }

  private wait<T>(key: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`no ${key.split(':')[0]} from the Go viewers within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private settle(key: string, value: unknown, error?: string): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    if (error) w.reject(new Error(error));
    else w.resolve(value);
  }

  private onLine(line: string): void {
    let m: any;
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    switch (m.type) {
      case 'ready':
        this.settle('ready:', m);
        break;
      case 'answered':
        this.settle(`answered:${m.id}`, m);
        break;
      case 'first-frame':
        this.settle(`first-frame:${m.id}`, m);
        break;
      case 'state':
        if (m.state === 'failed') this.settle(`first-frame:${m.id}`, undefined, 'the peer connection failed');
        break;
      case 'counters':
        this.settle(`counters:${m.req}`, m);
        break;
      case 'error':
        if (m.id) {
          this.settle(`answered:${m.id}`, undefined, m.message);
          this.settle(`first-frame:${m.id}`, undefined, m.message);
        } else process.stderr.write(`[viewers] ${m.message}\n`);
        break;
    }
  }
}
