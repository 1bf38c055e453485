import { randomBytes } from 'node:crypto';
import { has, isAdmin, type Actor } from '../accounts/grants';
import type { User } from '../accounts/model';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { Course, CourseRepository } from '../courses/model';
import { lessonsOf } from '../courses/service';
import type { CertificateVerificationView, CertificateView, CourseCertificateView } from '../protocol';
import type { Certificate, CertificateRepository } from './model';
import { certificatePdf, courseHours } from './pdf';

export interface CertificateDeps {
  certificates: CertificateRepository;
  courses: Pick<CourseRepository, 'get'>;
  users: { findByIds(ids: string[]): Promise<User[]> };
  publicBaseUrl: string;
  /** The zone the dates are written in (courses have none of their own: the centre's). */
  timeZone: string;
  /** Queues certificate.issued; must be idempotent per certificate (the webhook's event key is its id). */
  onIssued(c: Certificate): Promise<void>;
}

/** What a certificate prints of its course: the title and the length, the sum of its lessons' lengths. */
type CourseFacts = { id: string; title: string; seconds: number };
const courseFacts = (course: Course): CourseFacts => ({
  id: course.id,
  title: course.title,
  seconds: lessonsOf(course).reduce((s, l) => s + (l.durationSeconds ?? 0), 0),
});

const notFound = () => new NotFoundError('certificate_not_found', 'No such certificate');

/**
 * Certificates: issued once per (course, learner) when the course is completed
 * (courses/completions.ts calls issue()), verified publicly by code, revoked and re-issued
 * by the course's staff (admins and the course's owners), downloaded as a PDF by their
 * holder and staff. The PDF is drawn again on each download from the stored record.
 */
export class CertificateService {
  constructor(private readonly deps: CertificateDeps) {}

  /**
   * The learner's first certificate for the course, unless they have one (any generation).
   * Two callers at once: the unique (course, learner, generation) index lets one insert; both
   * then see the same certificate. Its webhook is queued once (idempotent by id).
   */
  async issue(course: Course, userId: string, completedAt: Date): Promise<Certificate | null> {
    let certificate = await this.deps.certificates.latest(course.id, userId);
    if (!certificate) {
      const [user] = await this.deps.users.findByIds([userId]);
      if (!user) return null;
      certificate =
        (await this.deps.certificates.insert(this.draft(courseFacts(course), user, 0, completedAt))) ??
        (await this.deps.certificates.latest(course.id, userId));
    }
    if (certificate) await this.announce(certificate);
    return certificate;
  }

  async mine(actor: Actor): Promise<CertificateView[]> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    return (await this.deps.certificates.listForUser(actor.userId)).map((c) => this.view(c));
  }

  async forCourse(actor: Actor, courseId: string): Promise<CourseCertificateView[]> {
    const course = await this.deps.courses.get(courseId);
    if (!course) throw new NotFoundError('course_not_found', 'No such course');
    this.requireStaff(actor, course);
    return (await this.deps.certificates.listForCourse(courseId, 1000)).map((c) => ({
      ...this.view(c),
      userId: c.userId,
      learnerName: c.learnerName,
    }));
  }

  /** The public check: valid or revoked, the course and the date, nothing about the learner. */
  async verify(code: string): Promise<CertificateVerificationView> {
    const c = await this.deps.certificates.byCode(code);
    if (!c) throw notFound();
    return {
      status: c.revokedAt ? 'revoked' : 'valid',
      courseTitle: c.courseTitle,
      issuedAt: c.issuedAt.toISOString(),
      revokedAt: c.revokedAt?.toISOString() ?? null,
    };
  }

  /** The PDF, for its holder and the course's staff; a revoked certificate is not handed out again. */
  async pdf(actor: Actor, id: string): Promise<{ pdf: Buffer; fileName: string }> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const c = await this.deps.certificates.get(id);
    if (!c) throw notFound();
    if (c.userId !== actor.userId) await this.requireStaffOf(actor, c);
    if (c.revokedAt) throw new ConflictError('certificate_revoked', 'This certificate has been revoked');
    return { pdf: await certificatePdf(c, this.verifyUrl(c)), fileName: `certificate-${c.code}.pdf` };
  }

  async revoke(actor: Actor, id: string, reason: string): Promise<CourseCertificateView> {
    const c = await this.deps.certificates.get(id);
    if (!c) throw notFound();
    await this.requireStaffOf(actor, c);
    if (!(await this.deps.certificates.revoke(id, (actor as { userId: string }).userId, reason, new Date())))
      throw new ConflictError('certificate_revoked', 'This certificate has been revoked already');
    return this.staffView((await this.deps.certificates.get(id))!);
  }

  /**
   * A new certificate (a new code) in place of this one, with the learner's current name and
   * the course's current title and length; this one is revoked. Only the newest may be re-issued.
   */
  async reissue(actor: Actor, id: string): Promise<CourseCertificateView> {
    const old = await this.deps.certificates.get(id);
    if (!old) throw notFound();
    const course = await this.requireStaffOf(actor, old);
    const latest = await this.deps.certificates.latest(old.courseId, old.userId);
    const superseded = () => new ConflictError('certificate_superseded', 'A newer certificate replaces this one; re-issue that one');
    if (latest?.id !== old.id) throw superseded();
    const [user] = await this.deps.users.findByIds([old.userId]);
    if (!user) throw notFound();
    // A course deleted since keeps the title and length it had.
    const facts = course ? courseFacts(course) : { id: old.courseId, title: old.courseTitle, seconds: old.courseSeconds };
    const fresh = await this.deps.certificates.insert(this.draft(facts, user, old.generation + 1, old.completedAt));
    if (!fresh) throw superseded();
    await this.deps.certificates.revoke(old.id, (actor as { userId: string }).userId, 'reissued', new Date());
    await this.announce(fresh);
    return this.staffView(fresh);
  }

  private draft(course: CourseFacts, user: User, generation: number, completedAt: Date) {
    return {
      courseId: course.id,
      userId: user.id,
      generation,
      code: randomBytes(18).toString('base64url'),
      learnerName: user.displayName,
      courseTitle: course.title,
      courseSeconds: course.seconds,
      completedAt,
      timeZone: this.deps.timeZone,
      issuedAt: new Date(),
    };
  }

  private async announce(c: Certificate): Promise<void> {
    if (c.announced) return;
    await this.deps.onIssued(c);
    await this.deps.certificates.markAnnounced(c.id);
  }

  /** Admins, and the course's owners (lecturers); the course may be gone (an admin still manages its certificates). */
  private async requireStaffOf(actor: Actor, c: Certificate): Promise<Course | null> {
    const course = await this.deps.courses.get(c.courseId);
    if (course) this.requireStaff(actor, course);
    else if (!isAdmin(actor)) throw new ForbiddenError('not_own_course', 'Only the course’s lecturers or an admin may do this');
    return course;
  }

  private requireStaff(actor: Actor, course: Course): void {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (isAdmin(actor)) return;
    if (!(has(actor, 'courses:manage') && course.ownerIds.includes(actor.userId)))
      throw new ForbiddenError('not_own_course', 'Only the course’s lecturers or an admin may do this');
  }

  verifyUrl(c: Pick<Certificate, 'code'>): string {
    return `${this.deps.publicBaseUrl}/verify/${c.code}`;
  }

  private view(c: Certificate): CertificateView {
    return {
      id: c.id,
      courseId: c.courseId,
      courseTitle: c.courseTitle,
      code: c.code,
      verifyUrl: this.verifyUrl(c),
      generation: c.generation,
      status: c.revokedAt ? 'revoked' : 'valid',
      completedAt: c.completedAt.toISOString(),
      issuedAt: c.issuedAt.toISOString(),
      hours: courseHours(c.courseSeconds),
      revokedAt: c.revokedAt?.toISOString() ?? null,
      revokedReason: c.revokedReason,
    };
  }

  private staffView(c: Certificate): CourseCertificateView {
    return { ...this.view(c), userId: c.userId, learnerName: c.learnerName };
  }
}
