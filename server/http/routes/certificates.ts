import { z } from 'zod';
import type { CertificateService } from '../../certificates/service';
import type { CourseCompletions } from '../../courses/completions';
import {
  certificateCodeParams,
  certificateVerificationView,
  certificateView,
  courseCertificateView,
  idParams,
  revokeCertificateBody,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

const STAFF_ERRORS = { 403: ['not_own_course'], 404: ['certificate_not_found'] } as const;

export function certificateRoutes(certificates: CertificateService, completions: CourseCompletions): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/certificates/by-code/:code',
      tag: 'certificates',
      access: 'public',
      summary: 'Verify a certificate by its code: valid or revoked, the course and the issue date; nothing about the learner',
      params: certificateCodeParams,
      response: certificateVerificationView,
      errors: { 404: ['certificate_not_found'] },
      // Per address: the codes are unguessable, and this keeps anyone from trying.
      rateLimit: { name: 'certificate-verify', points: 30, durationSeconds: 60 },
      handler: ({ params }) => certificates.verify(params.code),
    }),
    route({
      method: 'get',
      path: '/me/certificates',
      tag: 'certificates',
      access: 'user',
      summary: 'My certificates, newest first, revoked ones included',
      response: z.array(certificateView),
      rateLimit: { name: 'my-certificates', points: 60, durationSeconds: 60 },
      handler: async ({ actor }) => {
        // A completion that a crash left unchecked is caught up here, before the list is read.
        if (actor.kind === 'user') await completions.checkEnrolled(actor.userId);
        return certificates.mine(actor);
      },
    }),
    route({
      method: 'get',
      path: '/certificates/:id/pdf',
      tag: 'certificates',
      access: 'user',
      summary: 'The certificate as a PDF, for its holder and the course’s lecturers and admins (a revoked one: 409)',
      params: idParams,
      contentType: 'application/pdf',
      attachment: 'certificate.pdf',
      errors: { 403: ['not_own_course'], 404: ['certificate_not_found'], 409: ['certificate_revoked'] },
      rateLimit: { name: 'certificate-pdf', points: 20, durationSeconds: 60 },
      handler: async ({ actor, params }) => (await certificates.pdf(actor, params.id)).pdf,
    }),
    route({
      method: 'get',
      path: '/courses/:id/certificates',
      tag: 'certificates',
      access: 'courses:manage',
      summary: 'The course’s certificates with their holders’ names, newest first (at most 1000), for its lecturers and admins',
      params: idParams,
      response: z.array(courseCertificateView),
      errors: { 403: ['not_own_course'], 404: ['course_not_found'] },
      rateLimit: { name: 'course-certificates', points: 60, durationSeconds: 60 },
      handler: ({ actor, params }) => certificates.forCourse(actor, params.id),
    }),
    route({
      method: 'post',
      path: '/certificates/:id/revocation',
      tag: 'certificates',
      access: 'courses:manage',
      summary: 'Revoke a certificate, with the reason: its verification page says revoked from now on',
      params: idParams,
      body: revokeCertificateBody,
      response: courseCertificateView,
      errors: { ...STAFF_ERRORS, 409: ['certificate_revoked'] },
      rateLimit: { name: 'certificate-revoke', points: 30, durationSeconds: 60 },
      handler: ({ actor, params, body }) => certificates.revoke(actor, params.id, body.reason),
    }),
    route({
      method: 'post',
      path: '/certificates/:id/reissue',
      tag: 'certificates',
      access: 'courses:manage',
      status: 201,
      summary: 'Re-issue: a new certificate with a new code (the holder’s current name, the course’s current title); this one is revoked',
      params: idParams,
      response: courseCertificateView,
      errors: { ...STAFF_ERRORS, 409: ['certificate_superseded'] },
      rateLimit: { name: 'certificate-reissue', points: 30, durationSeconds: 60 },
      handler: ({ actor, params }) => certificates.reissue(actor, params.id),
    }),
  ];
}
