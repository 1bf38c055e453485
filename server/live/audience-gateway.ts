import { ConflictError, ForbiddenError } from '../errors';
import type { Logger } from '../logger';
import type { PresenceState, ServerEvents } from '../protocol';
import type { Seminar } from '../seminars/model';
import type { AudienceRepository, PresenceCheckRecord } from './audience-model';
import type { LiveConnection, LiveFeature } from './features';
import { checkView, type PresenceChecks } from './presence-checks';
import type { ReactionTally } from './reactions';
import type { LiveAccess } from './service';

/** Where the feature sends its pushes: a seminar's room, or its lecturers only (the gateway's rooms). */
interface Broadcast {
  to(room: string): { emit<E extends keyof ServerEvents>(event: E, ...args: Parameters<ServerEvents[E]>): unknown };
}

interface Schedule {
  everyMinutes: number;
  /** The lecturer who set it: scheduled checks are asked in their name. */
  access: LiveAccess;
  timer?: NodeJS.Timeout;
}

/**
 * Reactions and presence checks on the /live namespace: registers their events on each
 * connection, flushes the reaction tally every window (one push per room, and one write),
 * asks scheduled checks, and tells the lecturers how each check ended.
 */
export class AudienceGateway implements LiveFeature {
  private readonly flusher: NodeJS.Timeout;
  private readonly schedules = new Map<string, Schedule>();
  /** Per open check, the timer that reports its result when its window ends. */
  private readonly closing = new Map<string, NodeJS.Timeout>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      nsp: Broadcast;
      tally: ReactionTally;
      checks: PresenceChecks;
      repo: AudienceRepository;
      logger: Logger;
      reactionWindowMs: number;
      /** Viewers in a seminar's room now (the gateway's count). */
      viewerCount(seminarId: string): number;
    },
  ) {
    this.flusher = setInterval(() => void this.flush(), deps.reactionWindowMs);
    this.flusher.unref();
  }

  attach(conn: LiveConnection): void {
    conn.on('reaction:send', async (p) => {
      const access = conn.access();
      await this.deps.tally.add(access, access.userId ?? conn.id, p.kind);
    });
    conn.on('presence:ask', async () => checkView(await this.ask(conn.access())));
    conn.on('presence:schedule', async (p) => this.schedule(conn.access(), p.everyMinutes));
    conn.on('presence:confirm', async (p) => {
      await this.deps.checks.confirm(conn.access(), p.checkId);
    });
    conn.on('presence:state', async () => this.state(conn.access()));
  }

  /** Pushes each room's window and stores them all in one write; a failed write is logged, never retried into a pile. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const windows = this.deps.tally.drain();
      if (!windows.length) return;
      for (const w of windows) this.deps.nsp.to(`seminar:${w.seminarId}`).emit('reaction:burst', { counts: w.counts });
      await this.deps.repo.addReactionWindows(windows).catch((err: unknown) => {
        this.deps.logger.error({ err, windows: windows.length }, 'storing reaction counts failed');
      });
    });
    return this.flushing;
  }

  /** The seminar moved: a schedule starts ticking when it goes live and ends with it. */
  seminarMoved(seminar: Seminar): void {
    const schedule = this.schedules.get(seminar.id);
    if (!schedule) return;
    schedule.access = { ...schedule.access, seminar };
    if (seminar.status === 'live') this.arm(seminar.id, schedule);
    else if (seminar.status !== 'scheduled') this.unschedule(seminar.id);
  }

  async close(): Promise<void> {
    clearInterval(this.flusher);
    for (const id of [...this.schedules.keys()]) this.unschedule(id);
    for (const t of this.closing.values()) clearTimeout(t);
    this.closing.clear();
    await this.flush();
  }

  private async ask(access: LiveAccess): Promise<PresenceCheckRecord> {
    const seminarId = access.seminar.id;
    const check = await this.deps.checks.ask(access, this.deps.viewerCount(seminarId));
    this.deps.nsp.to(`seminar:${seminarId}`).emit('presence:check', checkView(check));
    const timer = setTimeout(
      () => {
        this.closing.delete(check.id);
        this.deps.checks.result(check).then(
          (result) => this.deps.nsp.to(`seminar:${seminarId}:staff`).emit('presence:result', result),
          (err: unknown) => this.deps.logger.warn({ err, checkId: check.id }, 'counting a presence check failed'),
        );
      },
      Math.max(0, check.closesAt.getTime() - Date.now()),
    );
    timer.unref();
    this.closing.set(check.id, timer);
    return check;
  }

  private schedule(access: LiveAccess, everyMinutes: number | null): { everyMinutes: number | null } {
    if (access.role !== 'lecturer') throw new ForbiddenError('moderators_only', 'Only the lecturer or an admin may do this');
    const { seminar } = access;
    if (seminar.status !== 'live' && seminar.status !== 'scheduled')
      throw new ConflictError('seminar_over', `The seminar is ${seminar.status}`);
    this.unschedule(seminar.id);
    if (everyMinutes !== null) {
      const schedule: Schedule = { everyMinutes, access };
      this.schedules.set(seminar.id, schedule);
      if (seminar.status === 'live') this.arm(seminar.id, schedule);
    }
    this.deps.nsp.to(`seminar:${seminar.id}:staff`).emit('presence:schedule', { everyMinutes });
    return { everyMinutes };
  }

  private arm(seminarId: string, schedule: Schedule): void {
    clearInterval(schedule.timer);
    schedule.timer = setInterval(() => {
      this.ask(schedule.access).catch((err: unknown) =>
        this.deps.logger.info({ err, seminarId }, 'a scheduled presence check was not asked'),
      );
    }, schedule.everyMinutes * 60_000);
    schedule.timer.unref();
  }

  private unschedule(seminarId: string): void {
    clearInterval(this.schedules.get(seminarId)?.timer);
    this.schedules.delete(seminarId);
  }

  private async state(access: LiveAccess): Promise<PresenceState> {
    const last = (await this.deps.repo.checks(access.seminar.id)).at(-1);
    return {
      everyMinutes: this.schedules.get(access.seminar.id)?.everyMinutes ?? null,
      open: last && last.closesAt.getTime() > Date.now() ? checkView(last) : null,
    };
  }
}
