// Seminars as the domain sees them: no Express, no mongoose.
import type { Locale } from '../accounts/model';
import type { RegistrationAnswers, RegistrationQuestion } from '../protocol/workspace';

export const seminarStatuses = ['draft', 'scheduled', 'live', 'ended', 'cancelled'] as const;
export type SeminarStatus = (typeof seminarStatuses)[number];

/** The legal moves of the status machine: to -> the states it may come from. */
export const transitions: Record<Exclude<SeminarStatus, 'draft'>, SeminarStatus[]> = {
  scheduled: ['draft'],
  live: ['scheduled'],
  ended: ['live'],
  cancelled: ['draft', 'scheduled'],
};

export interface Seminar {
  id: string;
  title: string;
  description: string;
  track: string;
  language: Locale;
  status: SeminarStatus;
  startsAt: Date;
  timeZone: string;
  durationMinutes: number;
  capacity: number;
  registeredCount: number;
  isPublic: boolean;
  lecturerIds: string[];
  courseId: string | null;
  /** Bumped on every change a calendar must see (ICS SEQUENCE). */
  sequence: number;
  /** The organiser's own registration questions. */
  questions: RegistrationQuestion[];
  liveStartedAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  /** An encore (a repeat) plays this ended seminar's recording as a live event (seminars/encores.ts); null for an ordinary seminar. */
  encoreOf: string | null;
}

export type NewSeminar = Omit<
  Seminar,
  'id' | 'status' | 'registeredCount' | 'sequence' | 'liveStartedAt' | 'endedAt' | 'createdAt' | 'questions' | 'encoreOf'
> & { questions?: RegistrationQuestion[]; encoreOf?: string | null };
export type SeminarChanges = Partial<
  Pick<
    Seminar,
    | 'title'
    | 'description'
    | 'track'
    | 'language'
    | 'startsAt'
    | 'timeZone'
    | 'durationMinutes'
    | 'capacity'
    | 'isPublic'
    | 'lecturerIds'
    | 'questions'
  >
>;

export interface SeminarFilter {
  statuses: SeminarStatus[];
  track?: string;
  /** Drafts are listed only to their lecturers (or to admins, who pass no restriction). */
  draftsOf?: string /* a user id, or 'all' */;
  /** Starting at or after this instant. */
  startsFrom?: Date;
  /** Starting before this instant. */
  startsBefore?: Date;
  /** Latest start first (the past), instead of soonest first. */
  newestFirst?: boolean;
  /** Only seminars this user teaches. */
  lecturerOf?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SeminarRepository {
  create(seminar: NewSeminar): Promise<Seminar>;
  get(id: string): Promise<Seminar | null>;
  list(filter: SeminarFilter, limit: number, cursor?: string): Promise<Page<Seminar>>;
  /** Applies changes while the seminar is in one of `statuses`; bumps sequence. Null when not in them. */
  update(id: string, statuses: SeminarStatus[], changes: SeminarChanges): Promise<Seminar | null>;
  /** Moves from one of `from` to `to` atomically; null when the seminar was not in `from`. */
  transition(id: string, from: SeminarStatus[], to: SeminarStatus, at: Date): Promise<Seminar | null>;
  /** Takes a seat if one is free while registration is open. */
  claimSeat(id: string): Promise<boolean>;
  releaseSeat(id: string): Promise<void>;
  setRegisteredCount(id: string, count: number): Promise<void>;
  listByIds(ids: string[]): Promise<Seminar[]>;
  listActive(): Promise<Seminar[]>;
  /** Scheduled seminars starting in (from, to]: the reminder window. */
  listStartingBetween(from: Date, to: Date): Promise<Seminar[]>;
  /** Encores that are due to move: scheduled ones starting at or before `now`, and every live one. */
  listEncoresDue(now: Date): Promise<Seminar[]>;
  /** Seminars whose text or status changed at or after `since`, oldest change first (search catch-up). */
  changedSince(since: Date, limit: number): Promise<Array<{ seminar: Seminar; updatedAt: Date }>>;
}

export type RegistrationStatus = 'pending' | 'registered' | 'waitlisted';

export interface Registration {
  id: string;
  seminarId: string;
  userId: string;
  status: RegistrationStatus;
  createdAt: Date;
  /** Answers to the seminar's registration questions, by question id. */
  answers: RegistrationAnswers;
}

export interface RegistrationRepository {
  /** Inserts a pending registration; returns the existing one instead when the user is already in. */
  insertPending(
    seminarId: string,
    userId: string,
    answers?: RegistrationAnswers,
  ): Promise<{ created: boolean; registration: Registration }>;
  setStatus(id: string, from: RegistrationStatus[], to: RegistrationStatus): Promise<Registration | null>;
  remove(seminarId: string, userId: string): Promise<Registration | null>;
  find(seminarId: string, userId: string): Promise<Registration | null>;
  /** The waitlist in order: first come, first promoted. */
  waitlist(seminarId: string, limit: number): Promise<Registration[]>;
  waitlistPosition(registration: Registration): Promise<number>;
  countRegistered(seminarId: string): Promise<number>;
  listForUser(userId: string, limit: number, cursor?: string): Promise<Page<Registration>>;
  listPending(olderThan: Date): Promise<Registration[]>;
  registeredUserIds(seminarId: string): Promise<string[]>;
  seminarIdsForUser(userId: string): Promise<string[]>;
  /** A seminar's registrations and waitlist, oldest first. */
  listForSeminar(seminarId: string, limit: number, cursor?: string): Promise<Page<Registration>>;
}
