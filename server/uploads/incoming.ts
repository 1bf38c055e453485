import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import type { IncomingFiles } from './service';

/**
 * The files tus receives, on disk under one directory: <id> (the bytes) and <id>.json
 * (tus's info: length, metadata), kept by @tus/file-store. The tus server writes them;
 * the upload service reads how far they got and removes them.
 */
export class TusIncomingFiles implements IncomingFiles {
  readonly store: FileStore;

  constructor(private readonly directory: string) {
    this.store = new FileStore({ directory });
  }

  path(id: string): string {
    return path.join(this.directory, id);
  }

  async receivedBytes(id: string): Promise<number | null> {
    try {
      return (await this.store.getUpload(id)).offset;
    } catch {
      return null;
    }
  }

  async lastWrite(id: string): Promise<Date | null> {
    try {
      return (await stat(this.path(id))).mtime;
    } catch {
      return null;
    }
  }

  async remove(id: string): Promise<void> {
    // Both files, whichever of them a crash left.
    await rm(this.path(id), { force: true });
    await rm(`${this.path(id)}.json`, { force: true });
  }
}
