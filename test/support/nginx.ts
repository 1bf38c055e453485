import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from './media';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shipped site configuration, the one operators install. */
export const NGINX_SITE = path.join(repo, 'deploy/nginx/lectern.conf');
export const SITE_NAME = 'lectern.example.org';

export interface Nginx {
  httpsPort: number;
  httpPort: number;
  /** The self-signed certificate nginx presents: trust it as the CA of requests. */
  cert: string;
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (nginx cannot bind port 0 and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Replaces `from` in `text`, insisting that it occurs exactly once: the shipped file must keep its shape. */
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${NGINX_SITE}: expected "${from}" exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/**
 * Debian's nginx as a child process, not as root's daemon: the shipped site file
 * with loopback ports, a fresh self-signed certificate and Lectern's port; around
 * it a main configuration like Debian's, with its pid, logs and temporary files in
 * a directory of its own.
 */
export async function startNginx(upstreamPort: number): Promise<Nginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-nginx-'));
  // nginx's workers drop root's rights where root runs the test; they write temporary files here.
  await chmod(dir, 0o755);
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${SITE_NAME}`, '-addext', `subjectAltName=DNS:${SITE_NAME},IP:127.0.0.1`,
    '-keyout', key, '-out', cert,
  ]); // prettier-ignore
  const [httpsPort, httpPort] = [await freePort(), await freePort()];

  let site = await readFile(NGINX_SITE, 'utf8');
  site = replaceOnce(site, 'server 127.0.0.1:8080;', `server 127.0.0.1:${upstreamPort};`);
  site = replaceOnce(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  site = replaceOnce(site, 'listen [::]:80;', '');
  site = replaceOnce(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
  site = replaceOnce(site, 'listen [::]:443 ssl http2;', '');
  site = replaceOnce(site, `/etc/letsencrypt/live/${SITE_NAME}/fullchain.pem`, cert);
  site = replaceOnce(site, `/etc/letsencrypt/live/${SITE_NAME}/privkey.pem`, key);
  await writeFile(path.join(dir, 'lectern.conf'), site);

  const temp = path.join(dir, 'temp');
  await mkdir(temp);
  await writeFile(
    path.join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  # As Debian's /etc/nginx/nginx.conf has them.
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  ssl_prefer_server_ciphers on;
  gzip on;
  access_log ${dir}/access.log;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  include ${dir}/lectern.conf;
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const certPem = await readFile(cert, 'utf8');
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          const log = await readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '');
          throw new Error(`nginx exited (${child.exitCode}): ${stderr.join('')}${log}`);
        }
        const res = await httpsCall({ port: httpsPort, path: '/healthz', ca: certPem }).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      15_000,
      'nginx to answer over HTTPS',
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    httpsPort,
    httpPort,
    cert: certPem,
    accessLog: () => readFile(path.join(dir, 'access.log'), 'utf8'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request over HTTPS (or HTTP with `plain`), optionally from a given local address. */
export function httpsCall(opts: {
  port: number;
  path: string;
  ca?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  localAddress?: string;
  plain?: boolean;
}): Promise<Answer> {
  const request = opts.plain ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: opts.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        ...(opts.plain ? {} : { ca: opts.ca, servername: SITE_NAME }),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
