// `npm start`: reads the configuration once, starts Lectern, and stops it
// cleanly on SIGINT/SIGTERM (a second signal forces the exit).
import { ConfigError, loadConfig } from './config';
import { start } from './main';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`lectern: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const app = await start(config).catch((err: unknown) => {
  process.stderr.write(`lectern: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
process.stdout.write(`Lectern is listening on http://localhost:${app.port} (readiness: /readyz)\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
