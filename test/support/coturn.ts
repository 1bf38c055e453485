import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Debian's coturn on loopback, as an operator would run it for Lectern (README,
 * "Deploying"): the REST-API shared secret (`use-auth-secret`), plain TURN over
 * UDP and TCP on one free port, relays from a small port range. Everything it
 * writes (its SQLite database, pid file) stays in a temporary directory, and it
 * runs without privileges it does not need. Loopback peers are allowed because
 * the mediasoup worker it relays to listens on 127.0.0.1 here.
 */
export class Coturn {
  readonly log: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly secret: string,
    readonly realm: string,
    private readonly dir: string,
  ) {}

  static async start(): Promise<Coturn> {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-coturn-'));
    const port = await freePort();
    const relayFrom = 50_000 + Math.floor(Math.random() * 900) * 10;
    const secret = randomBytes(24).toString('base64url');
    const realm = 'lectern.test';
    const child = spawn(
      process.env.TURNSERVER_BIN ?? 'turnserver',
      [
        '-n', // no configuration file: everything is on this line
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${port}`,
        `--min-port=${relayFrom}`,
        `--max-port=${relayFrom + 9}`,
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        `--realm=${realm}`,
        '--fingerprint',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--no-multicast-peers',
        '--allow-loopback-peers',
        `--userdb=${path.join(dir, 'turndb')}`,
        `--pidfile=${path.join(dir, 'turnserver.pid')}`,
        '--log-file=stdout',
        '--simple-log',
        '--verbose',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const turn = new Coturn(child, port, secret, realm, dir);
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => turn.log.push(...chunk.split('\n').filter(Boolean)));
    }
    try {
      await turn.answering();
    } catch (err) {
      await turn.stop();
      throw new Error(`${(err as Error).message}\n${turn.log.slice(-30).join('\n')}`, { cause: err });
    }
    return turn;
  }

  get url(): string {
    return `turn:127.0.0.1:${this.port}?transport=udp`;
  }

  /** Waits until the server answers a STUN Binding request on its UDP port. */
  private async answering(timeoutMs = 10_000): Promise<void> {
    const socket = createSocket('udp4');
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('message', () => resolve());
        this.child.once('exit', (code) => reject(new Error(`turnserver exited (${code}) before it answered`)));
        const ask = () => {
          if (Date.now() > deadline) return reject(new Error('turnserver did not answer STUN within 10 s'));
          // Binding request: type 0x0001, no attributes, the magic cookie, a random transaction id.
          const request = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
          socket.send(request, this.port, '127.0.0.1');
          timer = setTimeout(ask, 200);
        };
        ask();
      });
    } finally {
      clearTimeout(timer);
      socket.close();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A port free for TCP on loopback (coturn listens on UDP and TCP with the same number). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
