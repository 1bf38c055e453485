// Course completions and certificates as the domain sees them: no Express, no mongoose.

/** The moment a learner completed a course: recorded once per (course, learner). */
export interface Completion {
  courseId: string;
  userId: string;
  completedAt: Date;
  /** The course.completed webhook is queued: a crash between the record and the event is caught up on the next check. */
  announced: boolean;
}

/**
 * One certificate: what its PDF shows is kept here as it was at issue (the learner's name,
 * the course's title and length), so the PDF is the same whenever it is drawn.
 */
export interface Certificate {
  id: string;
  courseId: string;
  userId: string;
  /** 0 for the first issue; each re-issue adds one. Unique per (course, learner): issued once each time. */
  generation: number;
  /** The public verification code: random, unguessable, in /verify/<code>. */
  code: string;
  learnerName: string;
  courseTitle: string;
  /** The course's length, the sum of its lessons' lengths. */
  courseSeconds: number;
  completedAt: Date;
  /** The zone in which the dates are written. */
  timeZone: string;
  issuedAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  revokedBy: string | null;
  /** The certificate.issued webhook is queued. */
  announced: boolean;
}

export type NewCertificate = Omit<Certificate, 'id' | 'revokedAt' | 'revokedReason' | 'revokedBy' | 'announced'>;

export interface CompletionRepository {
  /** Records the completion; false when it was recorded already (by this node or another). */
  record(c: Omit<Completion, 'announced'>): Promise<boolean>;
  get(courseId: string, userId: string): Promise<Completion | null>;
  markAnnounced(courseId: string, userId: string): Promise<void>;
}

export interface CertificateRepository {
  /** Inserts it; null when this (course, learner, generation) exists already: somebody else issued it. */
  insert(c: NewCertificate): Promise<Certificate | null>;
  get(id: string): Promise<Certificate | null>;
  byCode(code: string): Promise<Certificate | null>;
  /** The newest certificate of this learner for this course. */
  latest(courseId: string, userId: string): Promise<Certificate | null>;
  /** A learner's certificates, newest first (bounded: one learner has a handful). */
  listForUser(userId: string): Promise<Certificate[]>;
  /** A course's certificates, newest first. */
  listForCourse(courseId: string, limit: number): Promise<Certificate[]>;
  /** Revokes it if it is still valid; false when it was revoked already. */
  revoke(id: string, by: string, reason: string, at: Date): Promise<boolean>;
  markAnnounced(id: string): Promise<void>;
}
