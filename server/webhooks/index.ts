import type { UserDirectory } from '../accounts/model';
import type { Config } from '../config';
import type { Certificate } from '../certificates/model';
import { courseHours } from '../certificates/pdf';
import type { Logger } from '../logger';
import type { NotificationRepository } from '../notifications/model';
import type { Recording } from '../recordings/model';
import type { Registration, Seminar } from '../seminars/model';
import { notifyAdminsOfDisabledWebhook } from './admin-notice';
import { WebhookDispatcher } from './dispatcher';
import type { WebhookEndpointRepository, WebhookMessageRepository } from './model';
import { WebhookService } from './service';

export interface WebhooksDeps {
  config: Config;
  endpoints: WebhookEndpointRepository;
  messages: WebhookMessageRepository;
  users: Pick<UserDirectory, 'search'>;
  notifications: NotificationRepository;
  logger: Logger;
}

/**
 * Webhooks wired up: the service (admin routes, emit), the dispatcher (sending), and the
 * domain events in the shape the webhook bodies carry. Bodies hold ids and public facts,
 * no learner's name or e-mail (152-FZ): a CRM that needs them asks with its own rights.
 */
export function createWebhooks(deps: WebhooksDeps) {
  const dispatcher = new WebhookDispatcher({
    endpoints: deps.endpoints,
    messages: deps.messages,
    config: deps.config.webhooks,
    notifyDisabled: (endpoint) => notifyAdminsOfDisabledWebhook(deps, endpoint),
    logger: deps.logger,
  });
  const service = new WebhookService({
    endpoints: deps.endpoints,
    messages: deps.messages,
    allowPrivateTargets: deps.config.webhooks.allowPrivateTargets,
    wake: () => dispatcher.wake(),
    logger: deps.logger,
  });
  const base = deps.config.publicBaseUrl;
  const seminarData = (s: Seminar) => ({
    seminar: {
      id: s.id,
      title: s.title,
      status: s.status,
      startsAt: s.startsAt.toISOString(),
      timeZone: s.timeZone,
      durationMinutes: s.durationMinutes,
      lecturerIds: s.lecturerIds,
      courseId: s.courseId,
      url: `${base}/seminars/${s.id}`,
    },
  });
  return {
    service,
    dispatcher,
    /** Each moment a seminar moves is one event: a seminar goes through each status once. */
    seminarScheduled: (s: Seminar) => service.emit('seminar.scheduled', s.id, seminarData(s)),
    seminarLive: (s: Seminar) => service.emit('seminar.live', s.id, seminarData(s)),
    seminarEnded: (s: Seminar) => service.emit('seminar.ended', s.id, seminarData(s)),
    registrationCreated: (r: Registration) =>
      service.emit('registration.created', r.id, {
        registration: { id: r.id, seminarId: r.seminarId, userId: r.userId, status: r.status, createdAt: r.createdAt.toISOString() },
      }),
    recordingReady: (r: Recording) =>
      service.emit('recording.ready', r.id, {
        recording: {
          id: r.id,
          origin: r.origin,
          seminarId: r.seminarId,
          lessonId: r.lessonId,
          durationSeconds: r.durationSeconds,
          url: r.seminarId ? `${base}/replay/${r.seminarId}` : null,
        },
      }),
    /** Once per (course, learner): the completion is recorded once (courses/completions.ts). */
    courseCompleted: (c: { courseId: string; userId: string; completedAt: Date }) =>
      service.emit(
        'course.completed',
        `${c.courseId}:${c.userId}`,
        {
          completion: {
            courseId: c.courseId,
            userId: c.userId,
            completedAt: c.completedAt.toISOString(),
            url: `${base}/courses/${c.courseId}`,
          },
        },
        c.completedAt,
      ),
    /** Once per certificate; a re-issue is a new certificate (a new id and code). */
    certificateIssued: (c: Certificate) =>
      service.emit(
        'certificate.issued',
        c.id,
        {
          certificate: {
            id: c.id,
            courseId: c.courseId,
            userId: c.userId,
            generation: c.generation,
            completedAt: c.completedAt.toISOString(),
            issuedAt: c.issuedAt.toISOString(),
            hours: courseHours(c.courseSeconds),
            verifyUrl: `${base}/verify/${c.code}`,
          },
        },
        c.issuedAt,
      ),
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
