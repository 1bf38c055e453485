import { z } from 'zod';
import { objectId } from './common';

/** The public code in /verify/<code>: 24 characters of base64url (18 random bytes). */
export const certificateCode = z
  .string()
  .regex(/^[A-Za-z0-9_-]{24}$/, 'must be a 24-character verification code')
  .meta({ description: 'The verification code printed on the certificate and in its QR code' });
export const certificateCodeParams = z.object({ code: certificateCode });

export const certificateStatus = z.enum(['valid', 'revoked']);

/** A certificate as its holder and the course's staff see it. */
export const certificateView = z.object({
  id: objectId,
  courseId: objectId,
  courseTitle: z.string(),
  code: certificateCode,
  /** The public verification page (the QR code's target). */
  verifyUrl: z.string(),
  /** 0 for the first issue; each re-issue adds one. */
  generation: z.number().int().min(0),
  status: certificateStatus,
  completedAt: z.iso.datetime(),
  issuedAt: z.iso.datetime(),
  /** The course's length in hours, as printed. */
  hours: z.number().min(0),
  revokedAt: z.iso.datetime().nullable(),
  revokedReason: z.string().nullable(),
});
export type CertificateView = z.infer<typeof certificateView>;

/** For the course's staff: whose it is, too. */
export const courseCertificateView = certificateView.extend({ userId: objectId, learnerName: z.string() });
export type CourseCertificateView = z.infer<typeof courseCertificateView>;

/** What the public verification page shows: nothing about the learner (no name, e-mail or id). */
export const certificateVerificationView = z.object({
  status: certificateStatus,
  courseTitle: z.string(),
  issuedAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
export type CertificateVerificationView = z.infer<typeof certificateVerificationView>;

export const revokeCertificateBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).meta({ description: 'Why: kept with the certificate, shown to its staff and holder' }),
});
export type RevokeCertificateBody = z.infer<typeof revokeCertificateBody>;
