import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from './model';

/** SMTP when configured; otherwise each message becomes an .eml file, named after its outbox id. */
export function createMailer(opts: { smtpUrl?: string; from: string; mailDir: string }): Mailer {
  if (opts.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport(opts.smtpUrl);
    return {
      async send(m) {
        await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text, messageId: `<${m.id}@lectern>` });
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m: MailMessage) {
      const info = await transport.sendMail({
        from: opts.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: `<${m.id}@lectern>`,
      });
      await mkdir(opts.mailDir, { recursive: true });
      await writeFile(path.join(opts.mailDir, `${m.id.replace(/[^A-Za-z0-9_-]/g, '_')}.eml`), info.message as Buffer);
    },
    close: () => transport.close(),
  };
}
