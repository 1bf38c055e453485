import type { UserRepository } from '../accounts/model';
import { has, isAdmin, type Actor } from '../accounts/grants';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type {
  CreateSeminarBody,
  PageQuery,
  RegistrationAnswers,
  RegistrationView,
  SeminarListQuery,
  SeminarPageView,
  SeminarView,
  SeminarWhen,
  UpdateSeminarBody,
} from '../protocol';
import { checkAnswers } from './answers';
import {
  transitions,
  type Page,
  type Registration,
  type RegistrationRepository,
  type Seminar,
  type SeminarChanges,
  type SeminarRepository,
  type SeminarStatus,
} from './model';
import { instantToZoned, zonedToInstant } from './time';

/** What the rest of Lectern hears from seminars (reminders, rooms, recordings). */
export interface SeminarEvents {
  /** `missed`: an encore whose whole run passed while no node ticked goes live only to end: its registrants get no "live now". */
  live(seminar: Seminar, opts?: { missed?: boolean }): Promise<void>;
  cancelled(seminar: Seminar, userIds: string[]): Promise<void>;
  /** A scheduled seminar got a new start: its registrants hear of it. */
  moved(seminar: Seminar, userIds: string[]): Promise<void>;
  promoted(seminar: Seminar, userId: string): Promise<void>;
  ended(seminar: Seminar): Promise<void>;
  /** A draft was published: it is in the catalogue and open for registration. */
  scheduled?(seminar: Seminar): Promise<void>;
  /** A registration was settled: a seat or a waitlist place. */
  registered?(registration: Registration): Promise<void>;
}

export interface SeminarDeps {
  seminars: SeminarRepository;
  registrations: RegistrationRepository;
  users: UserRepository;
  events: SeminarEvents;
  /** Whether a course exists and the actor may attach seminars to it. */
  canAttachToCourse(actor: Actor, courseId: string): Promise<boolean>;
}

/** The catalogue's parts, as statuses. */
const WHEN: Record<SeminarWhen, SeminarStatus[]> = {
  live: ['live'],
  upcoming: ['draft', 'scheduled'],
  past: ['ended'],
};

const EDITABLE: SeminarStatus[] = ['draft', 'scheduled'];
const REGISTRATION_OPEN: SeminarStatus[] = ['scheduled', 'live'];

export class SeminarService {
  constructor(private readonly deps: SeminarDeps) {}

  async create(actor: Actor, body: CreateSeminarBody): Promise<SeminarView> {
    if (!has(actor, 'seminars:manage')) throw new ForbiddenError();
    const lecturerIds = body.lecturerIds ?? [actor.userId];
    if (!isAdmin(actor) && !lecturerIds.includes(actor.userId)) {
      throw new ForbiddenError('not_own_seminar', 'A lecturer can only create seminars they teach');
    }
    await this.checkLecturers(lecturerIds);
    if (body.courseId && !(await this.deps.canAttachToCourse(actor, body.courseId))) {
      throw new BadRequestError('course_not_found', 'No such course, or it is not yours');
    }
    const seminar = await this.deps.seminars.create({
      title: body.title,
      description: body.description,
      track: body.track,
      language: body.language,
      startsAt: zonedToInstant(body.startsAt, body.timeZone),
      timeZone: body.timeZone,
      durationMinutes: body.durationMinutes,
      capacity: body.capacity,
      isPublic: body.isPublic,
      lecturerIds,
      courseId: body.courseId ?? null,
      questions: body.questions,
    });
    return seminarView(seminar);
  }

  async get(actor: Actor, id: string): Promise<SeminarView> {
    return seminarView(await this.visible(actor, id));
  }

  /** The seminar with its lecturers' names, for its page. */
  async page(actor: Actor, id: string): Promise<SeminarPageView> {
    const seminar = await this.visible(actor, id);
    const lecturers = [];
    for (const lecturerId of seminar.lecturerIds) {
      const user = await this.deps.users.findById(lecturerId);
      // A deleted account leaves its id behind: it has no name to show.
      if (user) lecturers.push({ id: user.id, displayName: user.displayName });
    }
    return { ...seminarView(seminar), lecturers };
  }

  /** The seminar if the actor may see it; drafts are their lecturers' and admins' alone. */
  async visible(actor: Actor, id: string): Promise<Seminar> {
    const seminar = await this.deps.seminars.get(id);
    if (!seminar || (seminar.status === 'draft' && !this.manages(actor, seminar))) {
      throw new NotFoundError('seminar_not_found', 'No such seminar');
    }
    return seminar;
  }

  async list(actor: Actor, filter: SeminarListQuery, page: PageQuery): Promise<Page<SeminarView>> {
    const all: SeminarStatus[] = filter.when ? WHEN[filter.when] : ['draft', 'scheduled', 'live', 'ended', 'cancelled'];
    // `status` narrows `when`: a status outside it lists nothing.
    const statuses = filter.status ? all.filter((s) => s === filter.status) : all;
    const draftsOf = isAdmin(actor) ? 'all' : has(actor, 'seminars:manage') ? actor.userId : undefined;
    const result = await this.deps.seminars.list(
      {
        statuses,
        ...(filter.track ? { track: filter.track } : {}),
        ...(draftsOf ? { draftsOf } : {}),
        ...(filter.startsFrom ? { startsFrom: new Date(filter.startsFrom) } : {}),
        ...(filter.startsBefore ? { startsBefore: new Date(filter.startsBefore) } : {}),
        ...(filter.when === 'past' ? { newestFirst: true } : {}),
      },
      page.limit,
      page.cursor,
    );
    return { items: result.items.map(seminarView), nextCursor: result.nextCursor };
  }

  /** The seminars the actor teaches, in every status, by start time. */
  async mine(actor: Actor, filter: { status?: SeminarStatus }, page: PageQuery): Promise<Page<SeminarView>> {
    if (!has(actor, 'seminars:manage')) throw new ForbiddenError();
    const statuses: SeminarStatus[] = filter.status ? [filter.status] : ['draft', 'scheduled', 'live', 'ended', 'cancelled'];
    const result = await this.deps.seminars.list({ statuses, draftsOf: actor.userId, lecturerOf: actor.userId }, page.limit, page.cursor);
    return { items: result.items.map(seminarView), nextCursor: result.nextCursor };
  }

  async update(actor: Actor, id: string, body: UpdateSeminarBody): Promise<SeminarView> {
    const current = await this.managed(actor, id);
    if (body.lecturerIds) {
      if (!isAdmin(actor) && !body.lecturerIds.includes(actor.kind === 'user' ? actor.userId : '')) {
        throw new ForbiddenError('not_own_seminar', 'A lecturer cannot remove themselves from a seminar');
      }
      await this.checkLecturers(body.lecturerIds);
    }
    const { startsAt, timeZone, ...rest } = body;
    const changes: SeminarChanges = { ...rest };
    if (startsAt !== undefined || timeZone !== undefined) {
      // A new zone alone keeps the wall-clock time: "18:30" now means 18:30 there.
      const zone = timeZone ?? current.timeZone;
      changes.timeZone = zone;
      changes.startsAt = zonedToInstant(startsAt ?? instantToZoned(current.startsAt, current.timeZone), zone);
    }
    const updated = await this.deps.seminars.update(id, EDITABLE, changes);
    if (!updated) throw new ConflictError('seminar_not_editable', `A ${current.status} seminar cannot be changed`);
    if (body.capacity !== undefined && body.capacity > current.capacity) await this.promote(updated);
    if (updated.status === 'scheduled' && updated.startsAt.getTime() !== current.startsAt.getTime()) {
      await this.deps.events.moved(updated, await this.deps.registrations.registeredUserIds(id));
    }
    return seminarView(updated);
  }

  async transition(actor: Actor, id: string, to: Exclude<SeminarStatus, 'draft'>): Promise<SeminarView> {
    const current = await this.managed(actor, id);
    const from = transitions[to];
    const moved = await this.deps.seminars.transition(id, from, to, new Date());
    if (!moved) {
      throw new ConflictError('illegal_transition', `A seminar cannot go from ${current.status} to ${to}`, {
        from: current.status,
        to,
      });
    }
    if (to === 'scheduled') await this.deps.events.scheduled?.(moved);
    if (to === 'live') await this.deps.events.live(moved);
    if (to === 'ended') await this.deps.events.ended(moved);
    if (to === 'cancelled') {
      await this.deps.events.cancelled(moved, await this.deps.registrations.registeredUserIds(id));
    }
    return seminarView(moved);
  }

  async register(actor: Actor, id: string, answers: RegistrationAnswers = {}): Promise<RegistrationView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'seminars:register')) throw new ForbiddenError();
    const seminar = await this.visible(actor, id);
    // An unconfirmed account may sign in, but a seat goes only to an address that answers (issue #12).
    if (!(await this.deps.users.findById(actor.userId))?.emailConfirmedAt)
      throw new ForbiddenError('email_not_confirmed', 'Confirm your e-mail address before registering for seminars');
    if (!REGISTRATION_OPEN.includes(seminar.status)) {
      throw new ConflictError('registration_closed', `Registration is closed for a ${seminar.status} seminar`);
    }
    const { created, registration } = await this.deps.registrations.insertPending(
      id,
      actor.userId,
      checkAnswers(seminar.questions, answers),
    );
    if (!created && registration.status !== 'pending') return this.registrationView(registration);
    return this.registrationView(await this.settle(registration));
  }

  async unregister(actor: Actor, id: string): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'seminars:register')) throw new ForbiddenError();
    const seminar = await this.visible(actor, id);
    const removed = await this.deps.registrations.remove(id, actor.userId);
    if (!removed) throw new NotFoundError('not_registered', 'You are not registered for this seminar');
    if (removed.status === 'registered') {
      await this.deps.seminars.releaseSeat(id);
      await this.promote(seminar);
    }
  }

  async registrationOf(actor: Actor, id: string): Promise<RegistrationView> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    await this.visible(actor, id);
    const registration = await this.deps.registrations.find(id, actor.userId);
    if (!registration) throw new NotFoundError('not_registered', 'You are not registered for this seminar');
    return this.registrationView(registration);
  }

  async myRegistrations(actor: Actor, page: PageQuery): Promise<Page<RegistrationView & { seminar: SeminarView }>> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const regs = await this.deps.registrations.listForUser(actor.userId, page.limit, page.cursor);
    const seminars = new Map((await this.deps.seminars.listByIds(regs.items.map((r) => r.seminarId))).map((s) => [s.id, s]));
    const items = [];
    for (const r of regs.items) {
      const seminar = seminars.get(r.seminarId);
      if (seminar) items.push({ ...(await this.registrationView(r)), seminar: seminarView(seminar) });
    }
    return { items, nextCursor: regs.nextCursor };
  }

  /** Whether the actor is one of the seminar's lecturers, or an admin. */
  manages(actor: Actor, seminar: Seminar): boolean {
    return isAdmin(actor) || (has(actor, 'seminars:manage') && seminar.lecturerIds.includes(actor.userId));
  }

  /**
   * After a crash: registrations left pending get their seat or waitlist
   * place, seat counts are recounted, and free seats go to the waitlist.
   */
  async reconcile(): Promise<void> {
    for (const pending of await this.deps.registrations.listPending(new Date(Date.now() - 60_000))) {
      await this.settle(pending);
    }
    for (const seminar of await this.deps.seminars.listActive()) {
      await this.deps.seminars.setRegisteredCount(seminar.id, await this.deps.registrations.countRegistered(seminar.id));
      const fresh = await this.deps.seminars.get(seminar.id);
      if (fresh) await this.promote(fresh);
    }
  }

  private async settle(pending: Registration): Promise<Registration> {
    // Nobody jumps the waitlist: a free seat goes to its head first.
    const queueEmpty = (await this.deps.registrations.waitlist(pending.seminarId, 1)).length === 0;
    const seat = queueEmpty && (await this.deps.seminars.claimSeat(pending.seminarId));
    const settled = await this.deps.registrations.setStatus(pending.id, ['pending'], seat ? 'registered' : 'waitlisted');
    if (settled) {
      await this.deps.events.registered?.(settled);
      return settled;
    }
    // A concurrent request settled or removed it first.
    if (seat) await this.deps.seminars.releaseSeat(pending.seminarId);
    const now = await this.deps.registrations.find(pending.seminarId, pending.userId);
    if (!now) throw new ConflictError('registration_changed', 'The registration changed concurrently; try again');
    return now;
  }

  private async promote(seminar: Seminar): Promise<void> {
    for (;;) {
      const [next] = await this.deps.registrations.waitlist(seminar.id, 1);
      if (!next) return;
      if (!(await this.deps.seminars.claimSeat(seminar.id))) return;
      const promoted = await this.deps.registrations.setStatus(next.id, ['waitlisted'], 'registered');
      if (!promoted) {
        await this.deps.seminars.releaseSeat(seminar.id);
        continue;
      }
      await this.deps.events.promoted(seminar, next.userId);
    }
  }

  /** The seminar, if the actor is one of its lecturers or an admin. */
  async managed(actor: Actor, id: string): Promise<Seminar> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'seminars:manage')) throw new ForbiddenError();
    const seminar = await this.visible(actor, id);
    if (!this.manages(actor, seminar)) throw new ForbiddenError('not_own_seminar', 'Only the seminar’s lecturers or an admin may do this');
    return seminar;
  }

  private async checkLecturers(ids: string[]): Promise<void> {
    for (const id of new Set(ids)) {
      const user = await this.deps.users.findById(id);
      if (!user || !(user.roles.includes('lecturer') || user.roles.includes('admin'))) {
        throw new BadRequestError('not_a_lecturer', `User ${id} is not a lecturer`);
      }
    }
  }

  private async registrationView(r: Registration): Promise<RegistrationView> {
    return {
      seminarId: r.seminarId,
      status: r.status === 'registered' ? 'registered' : 'waitlisted',
      waitlistPosition: r.status === 'registered' ? null : await this.deps.registrations.waitlistPosition(r),
      createdAt: r.createdAt.toISOString(),
    };
  }
}

export function seminarView(s: Seminar): SeminarView {
  return {
    id: s.id,
    title: s.title,
    description: s.description,
    track: s.track,
    language: s.language,
    status: s.status,
    startsAt: s.startsAt.toISOString(),
    startsAtLocal: instantToZoned(s.startsAt, s.timeZone),
    timeZone: s.timeZone,
    durationMinutes: s.durationMinutes,
    capacity: s.capacity,
    registeredCount: s.registeredCount,
    isPublic: s.isPublic,
    lecturerIds: s.lecturerIds,
    courseId: s.courseId,
    sequence: s.sequence,
    questions: s.questions,
    encoreOf: s.encoreOf,
  };
}
