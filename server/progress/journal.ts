// Buffered progress that could not reach the database at shutdown, kept on disk until the
// next start has written it. Each shutdown writes one file, atomically (a temporary file,
// fsynced, renamed into place, the directory fsynced), so a file is either whole or absent.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Pending } from './pending';

const FILE = /^progress-[\w-]+\.json$/;

const seconds = z.number().finite().min(0);
const journalFile = z.object({
  format: z.literal(1),
  writtenAt: z.string(),
  records: z.array(
    z.object({
      userId: z.string().min(1).max(64),
      contentId: z.string().min(1).max(64),
      intervals: z.array(z.tuple([seconds, seconds])),
      position: seconds,
      sentAt: z.number().int().min(0),
      durationSeconds: seconds.nullable(),
      live: z.record(z.string(), seconds),
    }),
  ),
});

export interface JournalEntry {
  file: string;
  records: Pending[];
}

export class ProgressJournal {
  constructor(readonly dir: string) {}

  /** Writes `records` as a new journal file and returns its path once it is durable. */
  async write(records: Pending[]): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `progress-${stamp}-${process.pid}-${randomBytes(4).toString('hex')}.json`;
    const final = path.join(this.dir, name);
    const temp = path.join(this.dir, `.${name}.tmp`);
    const body = JSON.stringify({ format: 1, writtenAt: new Date().toISOString(), records } satisfies z.infer<typeof journalFile>);
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, final);
    await this.syncDir();
    return final;
  }

  /**
   * Every journal file on disk, oldest first. A file that does not parse is renamed
   * `*.bad` and left for an operator (never deleted), so it cannot block a start.
   */
  async read(): Promise<{ entries: JournalEntry[]; unreadable: string[] }> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => FILE.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], unreadable: [] };
      throw err;
    }
    const entries: JournalEntry[] = [];
    const unreadable: string[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      const parsed = journalFile.safeParse(await readFile(file, 'utf8').then(JSON.parse, () => undefined));
      if (parsed.success) {
        entries.push({ file, records: parsed.data.records });
      } else {
        await rename(file, `${file}.bad`);
        unreadable.push(`${file}.bad`);
      }
    }
    return { entries, unreadable };
  }

  /** Removes journal files whose records the database now holds. */
  async remove(files: string[]): Promise<void> {
    for (const file of files) {
      await unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    if (files.length) await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
