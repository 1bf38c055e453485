// `npm run demo [-- --seed-only] [--seconds N]`: seeds the demo portal (server/ops/demo.ts)
// on the configured database (the embedded one under DATA_DIR by default), prints the
// accounts, and goes on serving Lectern until Ctrl-C. --seed-only stops after seeding
// (then `npm start` serves the same data). Safe to run again: nothing is duplicated.
import { parseArgs } from 'node:util';
import { confineAllocatorPreload, describePreload } from '../../media';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { start } from '../main';
import { seedDemo } from './demo';

const USAGE = 'usage: npm run demo -- [--seed-only] [--seconds N]   (N: length of the recorded demo lesson, 5–600 s; default 30)';

function fail(message: string): never {
  process.stderr.write(`lectern demo: ${message}\n`);
  process.exit(1);
}

// Started on mimalloc, as `npm start` is (server/cli.ts); its ffmpeg sources start without it.
const allocatorSaid = describePreload(confineAllocatorPreload());
if (allocatorSaid.warn) process.stderr.write(`lectern demo: ${allocatorSaid.message}\n`);

let args;
try {
  args = parseArgs({ options: { 'seed-only': { type: 'boolean' }, seconds: { type: 'string' } } });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const seconds = Number(args.values.seconds ?? '30');
if (!Number.isInteger(seconds) || seconds < 5 || seconds > 600) fail(`--seconds must be a whole number from 5 to 600\n${USAGE}`);

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
// Quiet unless asked: a newcomer should see the accounts, not the recorder's log.
const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
const app = await start(config, logger).catch((err: unknown) => fail(`failed to start: ${(err as Error).stack ?? String(err)}`));
const out = (line: string) => process.stdout.write(`${line}\n`);
try {
  const report = await seedDemo(app, { recordingSeconds: seconds, log: out });
  out(report.created.length ? `demo: added ${report.created.join(', ')}` : 'demo: already seeded, nothing added');
  out('');
  out('Demo accounts (sign in on the home page):');
  for (const a of report.accounts)
    out(`  ${a.roles.join(',').padEnd(9)} ${a.email.padEnd(24)} password: ${a.password}   (${a.displayName})`);
  out('');
  out(`  course:   ${app.url}/courses/${report.courseId}`);
  out(`  seminar:  ${app.url}/seminars/${report.upcomingSeminarId}`);
  out(`  replay:   ${app.url}/replay/${report.recordedSeminarId}`);
} catch (err) {
  await app.stop();
  fail(`seeding failed: ${(err as Error).stack ?? String(err)}`);
}

if (args.values['seed-only']) {
  await app.stop();
  out('Seeded. Start Lectern with `npm start`.');
  process.exit(0);
}
out('');
out(`Lectern is listening on ${app.url} — stop it with Ctrl-C.`);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
