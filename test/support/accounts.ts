import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Lectern } from '../../server/main';
import { startTestApp } from './app';
import { waitFor } from './media';

/** A free TCP port, released for the caller to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Lectern on a port known before it starts, with PUBLIC_BASE_URL set to it: the links it mails
 * and the OIDC redirect it names then lead back to it, as in a deployment.
 */
export async function startAppAtKnownAddress(label: string, env: NodeJS.ProcessEnv = {}): Promise<Lectern> {
  const port = await freePort();
  return startTestApp(label, {
    PORT: String(port),
    RTC_PORT: '0',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    MEDIASOUP_WORKERS: '1',
    ...env,
  });
}

export interface Mail {
  file: string;
  to: string;
  text: string;
}

/** The text of an .eml the file mailer wrote (nodemailer: quoted-printable or base64, UTF-8). */
export function parseMail(file: string, raw: string): Mail {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = head.replace(/\r?\n[ \t]+/g, ' ');
  const to = /^To: (.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  const encoding = /^Content-Transfer-Encoding: (.*)$/im.exec(headers)?.[1]?.trim().toLowerCase();
  const body = rest.join('\n\n');
  const text =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? Buffer.from(
            body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8')
        : body;
  return { file, to, text };
}

/** Every mail written to `to` so far, oldest first by file name order of writing. */
export async function mailsTo(app: Lectern, to: string): Promise<Mail[]> {
  const dir = path.join(app.config.dataDir, 'mail');
  const names = await readdir(dir).catch(() => [] as string[]);
  const mails = await Promise.all(names.map(async (n) => parseMail(n, await readFile(path.join(dir, n), 'utf8'))));
  return mails.filter((m) => m.to.includes(to));
}

/** Waits for a mail to `to` whose text has a link to `pagePath`, and returns that link. */
export async function mailedLink(app: Lectern, to: string, pagePath: string, skip: string[] = []): Promise<string> {
  const re = new RegExp(`https?://\\S+${pagePath.replace(/[/-]/g, '\\$&')}\\?token=[A-Za-z0-9_-]+`);
  return waitFor(
    async () => {
      for (const m of await mailsTo(app, to)) {
        const link = re.exec(m.text)?.[0];
        if (link && !skip.includes(link)) return link;
      }
      return undefined;
    },
    15_000,
    `a mail to ${to} with a ${pagePath} link`,
  );
}
