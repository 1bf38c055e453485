import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * This node's id, kept under the data directory so that a restarted process
 * knows what its previous run held (and repairs it at boot).
 */
export async function persistedNodeId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'node-id');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const id = `node-${randomBytes(6).toString('hex')}`;
  await writeFile(file, id + '\n');
  return id;
}
