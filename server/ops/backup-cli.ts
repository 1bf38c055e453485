// `npm run backup -- [--env-file FILE] <dir>` and `npm run restore -- [--env-file FILE] <dir>`:
// the same environment as the running Lectern (DATA_DIR, RECORDINGS_DIR, MONGODB_URI,
// JWT_SECRET), read from the environment or from the file the systemd unit uses.
import { parseArgs } from 'node:util';
import { ConfigError, loadDataLocations } from '../config';
import { backup, BackupError, restore } from './backup';

const USAGE = 'usage: npm run backup -- [--env-file FILE] <dir>\n       npm run restore -- [--env-file FILE] <dir>';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ allowPositionals: true, options: { 'env-file': { type: 'string' } } });
  } catch (err) {
    throw new BackupError(`${(err as Error).message}\n${USAGE}`);
  }
  const { positionals, values } = args;
  const [command, dir, ...extra] = positionals;
  if ((command !== 'backup' && command !== 'restore') || !dir || extra.length > 0) throw new BackupError(USAGE);
  if (values['env-file']) process.loadEnvFile(values['env-file']);
  const locations = loadDataLocations(process.env);
  const log = (line: string) => process.stdout.write(`[${command}] ${line}\n`);
  if (command === 'backup') {
    const manifest = await backup(locations, dir, { log });
    const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
    log(`done: ${manifest.files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${dir}`);
  } else {
    const { notes } = await restore(locations, dir, { log });
    for (const note of notes) log(`NOTE: ${note}`);
    log('done: start Lectern on it');
  }
}

main().catch((err: unknown) => {
  if (err instanceof BackupError || err instanceof ConfigError) process.stderr.write(`lectern: ${err.message}\n`);
  else process.stderr.write(`lectern: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
