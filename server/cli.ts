// `npm start`: reads the configuration once, starts Lectern, and stops it
// cleanly on SIGINT/SIGTERM (a second signal forces the exit), and on a fault
// nothing caught (an unhandled rejection or exception): logged, then the same
// graceful stop, so buffered progress is written before the process ends.
import { confineAllocatorPreload, describePreload } from '../media';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';
import { start, type Lectern } from './main';

/** How long a stop after a fault may take before the process ends anyway. */
const FAULT_STOP_TIMEOUT_MS = 15_000;

// `npm start` and the systemd unit start this process with mimalloc preloaded: on glibc's
// malloc, Node's RSS was about 50 MiB higher, most of it freed memory glibc keeps (README, "Soak").
const nodeMalloc = confineAllocatorPreload();

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`lectern: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
const logger = createLogger(config.logLevel);

/** Set once start() returns; faults and signals before that have nothing to stop. */
const running: { app?: Lectern } = {};
let stopping = false;

function shutdown(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  if (!running.app) process.exit(exitCode);
  running.app.stop().then(
    () => process.exit(exitCode),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

function fault(kind: 'unhandledRejection' | 'uncaughtException', err: unknown, origin?: string): void {
  // Whatever threw left the process in a state nobody planned: stop while the rest still works.
  logger.fatal({ err, kind, ...(origin ? { origin } : {}), started: running.app !== undefined, stopping }, `${kind}: stopping`);
  if (stopping) return;
  setTimeout(() => {
    logger.fatal({ kind, timeoutMs: FAULT_STOP_TIMEOUT_MS }, 'graceful stop after a fault took too long; exiting');
    process.exit(1);
  }, FAULT_STOP_TIMEOUT_MS).unref();
  shutdown(1);
}
process.on('unhandledRejection', (reason) => fault('unhandledRejection', reason));
process.on('uncaughtException', (err, origin) => fault('uncaughtException', err, origin));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    logger.info({ signal }, 'shutting down');
    shutdown(0);
  });
}

running.app = await start(config, logger).catch((err: unknown) => {
  process.stderr.write(`lectern: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
const allocatorSaid = describePreload(nodeMalloc);
logger[allocatorSaid.warn ? 'warn' : 'info']({ nodeAllocator: nodeMalloc.runsOn }, allocatorSaid.message);
process.stdout.write(`Lectern is listening on http://localhost:${running.app.port} (readiness: /readyz)\n`);
