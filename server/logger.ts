import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

// One JSON logger per process; components take child loggers carrying their ids.
export function createLogger(level: LevelWithSilent): Logger {
  return pino({
    level,
    base: { service: 'lectern' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
