import type { Actor } from '../accounts/grants';
import { BadRequestError, ConflictError } from '../errors';
import type { Logger } from '../logger';
import type { CreateEncoreBody, SeminarView } from '../protocol';
import type { Seminar, SeminarRepository } from './model';
import type { SeminarEvents } from './service';
import { seminarView } from './service';
import { zonedToInstant } from './time';

// Encores ("autowebinars", «Повтор»): an ended seminar's recording played again at a set time,
// presented as a live event. An encore is a seminar of its own (registration, reminders,
// calendar, listing and viewer count are those of any seminar) with `encoreOf` naming its
// source. It needs no media room: viewers play the source's HLS in step with the live clock.
// It goes live at its start and ends when the recording has played, on whichever node ticks
// first; both moves are read from the database, so a node that starts late catches up.

export interface EncoreDeps {
  seminars: SeminarRepository;
  events: SeminarEvents;
  /** The seminar if the actor is one of its lecturers or an admin, else the refusal. */
  managed(actor: Actor, seminarId: string): Promise<Seminar>;
  /** Seconds of the source's ready recording as the replay plays it (after a cut); null when it has none. */
  recordingSeconds(seminarId: string): Promise<number | null>;
  /** The encore went live: its polls are set to reopen at their original offsets (seminars/encore-polls.ts). */
  copyPolls?(source: Seminar, encore: Seminar): Promise<void>;
  /** Runs on every tick for each live encore, with the milliseconds played so far. */
  playing?(encore: Seminar, elapsedMs: number): Promise<void>;
  logger: Logger;
  now?: () => Date;
}

/** How often a node looks for encores to start or end: the start is on time within this. */
export const ENCORE_TICK_MS = 1000;

export class EncoreService {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: EncoreDeps) {}

  /** Schedules a repeat of an ended seminar with a ready recording; the encore is open for registration at once. */
  async schedule(actor: Actor, sourceId: string, body: CreateEncoreBody): Promise<SeminarView> {
    const asked = await this.deps.managed(actor, sourceId);
    // An encore of an encore repeats the original: its recording, chat and polls are the original's.
    const source = asked.encoreOf ? await this.deps.managed(actor, asked.encoreOf) : asked;
    if (source.status !== 'ended') throw new ConflictError('encore_source_not_ended', 'Only an ended seminar can be repeated');
    const seconds = await this.deps.recordingSeconds(source.id);
    if (seconds === null || seconds <= 0) throw new ConflictError('encore_no_recording', 'The seminar has no ready recording to repeat');
    const timeZone = body.timeZone ?? source.timeZone;
    const startsAt = zonedToInstant(body.startsAt, timeZone);
    if (startsAt.getTime() <= this.now().getTime()) {
      throw new BadRequestError('encore_start_in_past', 'An encore must start in the future');
    }
    const created = await this.deps.seminars.create({
      title: source.title,
      description: source.description,
      track: source.track,
      language: source.language,
      startsAt,
      timeZone,
      durationMinutes: Math.max(1, Math.ceil(seconds / 60)),
      capacity: source.capacity,
      isPublic: source.isPublic,
      lecturerIds: source.lecturerIds,
      courseId: source.courseId,
      questions: source.questions,
      encoreOf: source.id,
    });
    const scheduled = await this.deps.seminars.transition(created.id, ['draft'], 'scheduled', this.now());
    if (!scheduled) throw new ConflictError('illegal_transition', 'The encore changed while it was being scheduled');
    await this.deps.events.scheduled?.(scheduled);
    this.deps.logger.info({ encoreId: scheduled.id, sourceId: source.id, startsAt }, 'encore scheduled');
    return seminarView(scheduled);
  }

  /**
   * One pass: scheduled encores whose start has come go live (their live start is the planned
   * start, so a late pass still plays in step), and live ones whose recording has played end.
   * The moves are conditional in the database: of several nodes, one moves each encore.
   */
  tick(): Promise<void> {
    // One pass at a time: a slow database must not pile passes up.
    this.ticking ??= this.pass().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'encore pass failed'));
    }, ENCORE_TICK_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking?.catch(() => undefined);
  }

  private async pass(): Promise<void> {
    const now = this.now();
    for (const due of await this.deps.seminars.listEncoresDue(now)) {
      try {
        await this.advance(due, now);
      } catch (err) {
        this.deps.logger.error({ err, encoreId: due.id }, 'could not move an encore');
      }
    }
  }

  private async advance(encore: Seminar, now: Date): Promise<void> {
    let current: Seminar | null = encore;
    const seconds = (await this.deps.recordingSeconds(encore.encoreOf!)) ?? 0;
    if (current.status === 'scheduled') {
      current = await this.deps.seminars.transition(current.id, ['scheduled'], 'live', current.startsAt);
      if (!current) return; // another node moved it
      this.deps.logger.info({ encoreId: current.id, late: now.getTime() - current.startsAt.getTime() }, 'encore live');
      const source = await this.deps.seminars.get(current.encoreOf!);
      if (source) await this.deps.copyPolls?.(source, current);
      // (With its source's recording gone, an encore lasts 0 s: it ends at once, untold, too.)
      const missed = (current.liveStartedAt ?? current.startsAt).getTime() + seconds * 1000 <= now.getTime();
      await this.deps.events.live(current, { missed });
    }
    const startedAt = current.liveStartedAt ?? current.startsAt;
    const endsAt = new Date(startedAt.getTime() + seconds * 1000);
    if (endsAt.getTime() > now.getTime()) {
      await this.deps.playing?.(current, now.getTime() - startedAt.getTime());
      return;
    }
    // Its polls' last moves (those due before the end) first, then the end closes what is still open.
    await this.deps.playing?.(current, endsAt.getTime() - startedAt.getTime());
    const ended = await this.deps.seminars.transition(current.id, ['live'], 'ended', endsAt);
    if (!ended) return;
    this.deps.logger.info({ encoreId: ended.id }, 'encore ended');
    await this.deps.events.ended(ended);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
