import { mediasoupVersion, type WorkerPool } from '../media';
import type { Readiness } from './protocol';
import type { RecordersStatus } from './recordings/controller';
import type { Database } from './store/database';

export interface ReadinessSources {
  db: Database;
  embeddedDatabase: boolean;
  pool: WorkerPool;
  /** Resolved once at start: the binary does not change while we run. */
  ffmpeg: { version: string } | { error: string };
  recorders: () => RecordersStatus;
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
  const status = s.recorders();
  // A recorder that gave up is reported, not made a reason to leave the pool: its seminar
  // and every other one on this node still run live.
  const recorders = {
    ok: status.stopped.length === 0,
    ...(status.stopped.length > 0
      ? { error: `${status.stopped.length} recorder(s) stopped: the seminar goes on without a recording` }
      : {}),
    active: status.active,
    stopped: status.stopped.map((r) => ({
      seminarId: r.seminarId,
      recordingId: r.recordingId,
      kind: r.kind,
      reason: r.failure ?? 'unknown',
    })),
  };
  const ready = database.ok && mediasoup.ok && ffmpeg.ok;
  return { status: ready ? 'ready' : 'not_ready', checks: { database, mediasoup, ffmpeg, recorders } };
}
