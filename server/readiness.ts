import { mediasoupVersion, type WorkerPool } from '../media';
import type { Readiness } from './protocol';
import type { Database } from './store/database';

export interface ReadinessSources {
  db: Database;
  embeddedDatabase: boolean;
  pool: WorkerPool;
  /** Resolved once at start: the binary does not change while we run. */
  ffmpeg: { version: string } | { error: string };
}

export async function checkReadiness(s: ReadinessSources): Promise<Readiness> {
  const ping = await s.db.ping();
  const pool = s.pool.stats();
  const database = ping.ok
    ? { ok: true, latencyMs: ping.latencyMs, embedded: s.embeddedDatabase }
    : { ok: false, error: ping.error, embedded: s.embeddedDatabase };
  const mediasoup = {
    ok: pool.alive === pool.size,
    ...(pool.alive === pool.size ? {} : { error: `${pool.size - pool.alive} of ${pool.size} workers are respawning` }),
    version: mediasoupVersion,
    ...pool,
  };
  const ffmpeg = 'version' in s.ffmpeg ? { ok: true, version: s.ffmpeg.version } : { ok: false, error: s.ffmpeg.error };
  const ready = database.ok && mediasoup.ok && ffmpeg.ok;
  return { status: ready ? 'ready' : 'not_ready', checks: { database, mediasoup, ffmpeg } };
}
