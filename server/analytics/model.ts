// What the analytics read, as the domain sees it: no Express, no mongoose. Every listing that
// grows with the audience is a stream of batches from a database cursor, never one array.

/** One stored attendance span (server/live): a user's time in the live room, from join to leave. */
export interface AttendanceSpan {
  userId: string;
  joinedAt: Date;
  /** Null while the user is in the room, or when a crash left the span open. */
  leftAt: Date | null;
}

export interface Enrolment {
  userId: string;
  createdAt: Date;
}

export interface AnalyticsRepository {
  /** The seminar's spans ordered by user, then join: one user's spans arrive together. */
  attendanceByUser(seminarId: string, batchSize: number): AsyncIterable<AttendanceSpan[]>;
  /** The first join and the last leave of the seminar's spans (null when it has none). */
  attendanceExtent(seminarId: string): Promise<{ firstJoin: Date; lastLeave: Date | null } | null>;
  /** The spans of these users in the seminar. */
  attendanceOf(seminarId: string, userIds: string[]): Promise<AttendanceSpan[]>;
  /** Which of these users hold a registration (registered or waitlisted) for the seminar. */
  registeredAmong(seminarId: string, userIds: string[]): Promise<Set<string>>;
  countRegistrations(seminarId: string): Promise<{ registered: number; waitlisted: number }>;
  countChat(seminarId: string): Promise<number>;
  countQuestions(seminarId: string): Promise<number>;
  /** Learners whose progress on this content has some watched (replayed) seconds. */
  countWatchers(contentId: string): Promise<number>;
  /** The longest duration a player reported for this content, if any reported one. */
  reportedDuration(contentId: string): Promise<number | null>;
  /** The course's enrolments, in batches, by enrolment order. */
  enrolments(courseId: string, batchSize: number): AsyncIterable<Enrolment[]>;
}
