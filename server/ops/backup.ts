import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { DataLocations } from '../config';
import { FERRETDB_VERSION } from '../store/embedded-ferretdb';

// A backup is a directory: the embedded database's SQLite files snapshotted while
// Lectern runs, the recordings, the signing secret, and manifest.json listing every
// file with its size and SHA-256 (also as SHA256SUMS, for `sha256sum -c`). The
// manifest is written last, so a directory without one is an unfinished backup.

const run = promisify(execFile);

export class BackupError extends Error {
  override name = 'BackupError';
}

const fileEntry = z.object({
  path: z
    .string()
    .min(1)
    .refine((p) => !path.isAbsolute(p) && !p.split('/').includes('..'), 'must stay inside the backup'),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const manifestSchema = z.object({
  format: z.literal('lectern-backup'),
  version: z.literal(1),
  createdAt: z.iso.datetime(),
  database: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('embedded'), engine: z.string(), files: z.array(z.string()) }),
    z.object({ kind: z.literal('mongodb'), note: z.string() }),
  ]),
  /** Where the JWT secret (which also keys the media URL signatures) came from. */
  jwtSecret: z.enum(['file', 'environment', 'none']),
  files: z.array(fileEntry),
});
export type Manifest = z.infer<typeof manifestSchema>;

export interface BackupOptions {
  /** The sqlite3 command-line shell (Debian's sqlite3 package). */
  sqlite3?: string;
  log?: (line: string) => void;
}

const MONGODB_NOTE = 'MONGODB_URI was set: this backup holds no database; back MongoDB up with mongodump (README.md, "Backups")';

/** Writes a backup of what `from` locates into `target`, which must be missing or empty. */
export async function backup(from: DataLocations, target: string, opts: BackupOptions = {}): Promise<Manifest> {
  const log = opts.log ?? (() => undefined);
  const dir = path.resolve(target);
  await requireEmpty(dir, 'the backup directory');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: Manifest['files'] = [];
  const record = async (rel: string) => files.push({ path: rel, ...(await digest(path.join(dir, rel))) });

  // The database first: a recording that ends while the files are copied is then
  // still "recording" in the snapshot, and Lectern finalizes it when it starts.
  let database: Manifest['database'];
  if (from.mongodbUri) {
    database = { kind: 'mongodb', note: MONGODB_NOTE };
    log(`database: not included (${MONGODB_NOTE})`);
  } else {
    const dbDir = path.join(from.dataDir, 'db');
    const names = (await readdir(dbDir).catch(() => [] as string[])).filter((n) => n.endsWith('.sqlite')).sort();
    if (names.length === 0) throw new BackupError(`no embedded database under ${dbDir}: has Lectern run with this DATA_DIR?`);
    await mkdir(path.join(dir, 'db'));
    for (const name of names) {
      await snapshot(path.join(dbDir, name), path.join(dir, 'db', name), opts.sqlite3 ?? 'sqlite3');
      await record(`db/${name}`);
      log(`database: db/${name} (online snapshot, integrity checked)`);
    }
    database = { kind: 'embedded', engine: `FerretDB ${FERRETDB_VERSION} on SQLite`, files: names.map((n) => `db/${n}`) };
  }

  const copied = await copyRecordings(from.recordingsDir, path.join(dir, 'recordings'));
  for (const rel of copied) await record(`recordings/${rel}`);
  log(`recordings: ${copied.length} files`);

  let jwtSecret: Manifest['jwtSecret'] = 'none';
  let secret = from.jwtSecret;
  if (secret) jwtSecret = 'environment';
  else {
    secret = await readFile(path.join(from.dataDir, 'jwt-secret'), 'utf8').then(
      (s) => s.trim(),
      () => undefined,
    );
    if (secret) jwtSecret = 'file';
  }
  if (secret) {
    await mkdir(path.join(dir, 'secrets'), { mode: 0o700 });
    await writeFile(path.join(dir, 'secrets', 'jwt-secret'), secret + '\n', { mode: 0o600 });
    await record('secrets/jwt-secret');
  }
  log(`secrets: JWT and media signing secret ${jwtSecret === 'none' ? 'not found' : `(from the ${jwtSecret})`}`);

  // The restored installation is this node again: at its boot it repairs what this node held
  // (the seminar on air at the backup), which the database's copy of its lease would otherwise keep.
  const nodeId = await readFile(path.join(from.dataDir, 'node-id'), 'utf8').catch(() => undefined);
  if (nodeId) {
    await writeFile(path.join(dir, 'node-id'), nodeId);
    await record('node-id');
  }

  const manifest: Manifest = { format: 'lectern-backup', version: 1, createdAt: new Date().toISOString(), database, jwtSecret, files };
  await writeFile(path.join(dir, 'SHA256SUMS'), files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export interface RestoreResult {
  manifest: Manifest;
  /** What the operator still has to do, if anything. */
  notes: string[];
}

/** Brings a backup back onto fresh (missing or empty) locations, after checking every file's checksum. */
export async function restore(to: DataLocations, source: string, opts: BackupOptions = {}): Promise<RestoreResult> {
  const log = opts.log ?? (() => undefined);
  const dir = path.resolve(source);
  const manifest = await readManifest(dir);

  const bad: string[] = [];
  for (const f of manifest.files) {
    const actual = await digest(path.join(dir, f.path)).catch(() => undefined);
    if (!actual) bad.push(`${f.path}: missing`);
    else if (actual.bytes !== f.bytes || actual.sha256 !== f.sha256) bad.push(`${f.path}: checksum mismatch`);
  }
  if (bad.length > 0) {
    throw new BackupError(`the backup in ${dir} is damaged; nothing was restored:\n  ${bad.slice(0, 20).join('\n  ')}`);
  }
  log(`verified ${manifest.files.length} files against their checksums`);

  await requireEmpty(to.dataDir, 'DATA_DIR');
  if (!isInside(to.recordingsDir, to.dataDir)) await requireEmpty(to.recordingsDir, 'RECORDINGS_DIR');

  const notes: string[] = [];
  await mkdir(to.dataDir, { recursive: true });
  // As FerretDB makes it: the database files are for Lectern's user alone.
  if (manifest.database.kind === 'embedded') await mkdir(path.join(to.dataDir, 'db'), { mode: 0o700 });
  for (const f of manifest.files) {
    const [area, ...rest] = f.path.split('/');
    const rel = rest.join('/');
    let dest: string;
    if (area === 'db') dest = path.join(to.dataDir, 'db', rel);
    else if (area === 'recordings') dest = path.join(to.recordingsDir, rel);
    else if (f.path === 'node-id') dest = path.join(to.dataDir, 'node-id');
    else if (f.path === 'secrets/jwt-secret') {
      if (manifest.jwtSecret !== 'file') continue;
      dest = path.join(to.dataDir, 'jwt-secret');
    } else throw new BackupError(`unexpected file in the manifest: ${f.path}`);
    await mkdir(path.dirname(dest), { recursive: true });
    await copyFile(path.join(dir, f.path), dest);
    if (dest.endsWith('jwt-secret')) await chmod(dest, 0o600);
  }
  log(`restored into ${to.dataDir}${isInside(to.recordingsDir, to.dataDir) ? '' : ` and ${to.recordingsDir}`}`);

  if (manifest.database.kind === 'mongodb') notes.push('the database is not in this backup: restore MongoDB with mongorestore');
  else if (to.mongodbUri) notes.push('MONGODB_URI is set, so Lectern will use MongoDB, not the embedded database restored here');
  if (manifest.jwtSecret === 'environment') {
    const backedUp = (await readFile(path.join(dir, 'secrets', 'jwt-secret'), 'utf8')).trim();
    if (to.jwtSecret !== backedUp) {
      notes.push(
        `JWT_SECRET came from the environment: set it to the content of ${path.join(dir, 'secrets', 'jwt-secret')}, ` +
          'or signed-in users sign in again and media links are refused until they are renewed',
      );
    }
  }
  return { manifest, notes };
}

async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw new BackupError(`${dir} has no manifest.json: not a Lectern backup, or one that did not finish`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupError(`${dir}/manifest.json is not JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new BackupError(`${dir}/manifest.json is not a Lectern backup manifest: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * One consistent copy of a live SQLite database. VACUUM INTO reads the whole source
 * in one read transaction, which in WAL mode does not block FerretDB's writers and
 * never restarts; the backup API (.backup) starts over whenever another process
 * writes between its steps, which progress flushes do every second.
 */
async function snapshot(src: string, dest: string, sqlite3: string): Promise<void> {
  const quoted = `'${dest.replace(/'/g, "''")}'`;
  try {
    await run(sqlite3, ['-bail', src, '.timeout 30000', `VACUUM INTO ${quoted}`]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new BackupError(`${sqlite3} not found: install the Debian package sqlite3 (scripts/setup.sh does)`);
    throw new BackupError(`snapshot of ${src} failed: ${e.stderr?.trim() || e.message}`);
  }
  const { stdout } = await run(sqlite3, ['-readonly', dest, 'PRAGMA integrity_check']);
  if (stdout.trim() !== 'ok') throw new BackupError(`the snapshot of ${src} fails SQLite's integrity check: ${stdout.trim()}`);
}

/**
 * Copies the recordings tree; returns the copied paths, relative. In each directory the
 * playlists go first, the recording ffmpeg's lists of closed segments (.csv) next, then the
 * rest, listed again. The Recorder names a segment in a playlist only after renaming it
 * into place, and ffmpeg names one in its list only after closing it: so whatever a copied
 * playlist or list names was complete before it was copied. A segment still being written
 * is copied half made, but nothing copied names it, and the restored Lectern's finalizing
 * removes it. A file the Recorder renamed or dropped since the listing is skipped; .tmp
 * files are never taken.
 *
 * The Recorder keeps listing segments meanwhile, renaming them from the names the copied
 * list gives: one renamed after the second listing would be in neither name, and the
 * restore's recovery stops at the first file missing. So each playlist is read again at
 * the end and, once every segment it now names is copied, written over the first copy.
 */
async function copyRecordings(src: string, dest: string, rel = ''): Promise<string[]> {
  const list = () =>
    readdir(path.join(src, rel), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as Dirent[];
      throw err;
    });
  const entries = await list();
  const copied = new Set<string>();
  await mkdir(path.join(dest, rel), { recursive: true });
  const at = (name: string) => (rel ? `${rel}/${name}` : name);
  const take = async (name: string) => {
    if (copied.has(at(name))) return true;
    const ok = await copyIfThere(path.join(src, at(name)), path.join(dest, at(name)));
    if (ok) copied.add(at(name));
    return ok;
  };
  const files = (of: Dirent[], keep: (name: string) => boolean) =>
    of
      .filter((e) => e.isFile() && keep(e.name))
      .map((e) => e.name)
      .sort();
  const playlists = files(entries, (n) => n.endsWith('.m3u8'));
  for (const name of playlists) await take(name);
  for (const name of files(entries, (n) => n.endsWith('.csv'))) await take(name);
  for (const name of files(await list(), (n) => !/\.(m3u8|csv|tmp)$/.test(n))) await take(name);
  const takeAll = async (names: string[]) => {
    for (const name of names) if (name.includes('/') || !(await take(name))) return false;
    return true;
  };
  for (const name of playlists) {
    const now = await readFile(path.join(src, at(name)), 'utf8').catch(() => undefined);
    if (now !== undefined && (await takeAll(segmentsOf(now)))) await writeFile(path.join(dest, at(name)), now);
  }
  const nested: string[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1)))
    nested.push(...(await copyRecordings(src, dest, at(e.name))));
  return [...copied, ...nested];
}

/** The segment URIs a playlist names. */
function segmentsOf(playlist: string): string[] {
  return playlist
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

async function copyIfThere(from: string, to: string): Promise<boolean> {
  try {
    await copyFile(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function digest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return { bytes: (await stat(file)).size, sha256: hash.digest('hex') };
}

async function requireEmpty(dir: string, what: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) throw new BackupError(`${what} ${dir} is not empty: use a fresh one`);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
