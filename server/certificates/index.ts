import type { Config } from '../config';
import { CourseCompletions } from '../courses/completions';
import { certificateRoutes } from '../http/routes/certificates';
import type { Logger } from '../logger';
import type { ProgressService } from '../progress/service';
import type { Repositories } from '../store';
import type { Webhooks } from '../webhooks';
import { checkCertificateFonts } from './pdf';
import { CertificateService } from './service';

/** Courses have no zone of their own: certificates are dated in the centre's. */
export const CERTIFICATE_TIME_ZONE = 'Europe/Moscow';

/**
 * Certificates and course completions wired up: completion is checked after each progress
 * flush for the learners and lessons it wrote, and issues the certificate. Refuses to start
 * without the PDF font.
 */
export function createCertificates(deps: {
  config: Config;
  repos: Repositories;
  progress: ProgressService;
  webhooks: Pick<Webhooks, 'courseCompleted' | 'certificateIssued'>;
  logger: Logger;
}) {
  checkCertificateFonts();
  const { repos } = deps;
  const certificates = new CertificateService({
    certificates: repos.certificates,
    courses: repos.courses,
    users: repos.users,
    publicBaseUrl: deps.config.publicBaseUrl,
    timeZone: CERTIFICATE_TIME_ZONE,
    onIssued: deps.webhooks.certificateIssued,
  });
  const completions = new CourseCompletions({
    courses: repos.courses,
    enrolments: repos.enrolments,
    progress: deps.progress,
    presence: repos.audience,
    quizzes: repos.quizzes,
    completions: repos.completions,
    onCompleted: deps.webhooks.courseCompleted,
    issueCertificate: (course, userId, completedAt) => certificates.issue(course, userId, completedAt),
    logger: deps.logger.child({ component: 'completions' }),
  });
  deps.progress.onFlush((report) => completions.afterFlush(report.saved));
  return { certificates, completions, routes: certificateRoutes(certificates, completions) };
}
