import type { Database } from './database';
import { MongoAccountTokenRepository } from './account-tokens';
import { MongoAnalyticsRepository } from './analytics';
import { MongoArticleRepository } from './articles';
import { MongoAudienceRepository } from './audience';
import { MongoCertificateRepository, MongoCompletionRepository } from './certificates';
import { MongoCourseRepository, MongoEnrolmentRepository } from './courses';
import { MongoLiveRepository } from './live';
import { MongoNodeLeaseRepository } from './node-leases';
import { MongoRecordingRepository } from './recordings';
import { MongoNotificationRepository, MongoOutboxRepository } from './notifications';
import { MongoPersonalDataStore } from './personal-data';
import { MongoPollRepository } from './polls';
import { MongoQuizRepository } from './quizzes';
import { MongoProfileRepository } from './profiles';
import { MongoProgressRepository } from './progress';
import { MongoRefreshTokenRepository } from './refresh-tokens';
import { MongoRegistrationRepository } from './registrations';
import { MongoSeminarRepository } from './seminars';
import { MongoSlideRepository } from './slides';
import { MongoUploadRepository } from './uploads';
import { MongoUserRepository } from './users';
import { MongoWebhookEndpointRepository, MongoWebhookMessageRepository } from './webhooks';
import { WriteGate } from './write-gate';

export async function createRepositories(db: Database) {
  const gate = new WriteGate();
  const repos = {
    users: await MongoUserRepository.create(db.connection),
    refreshTokens: MongoRefreshTokenRepository.create(db.connection, gate),
    accountTokens: MongoAccountTokenRepository.create(db.connection, gate),
    personalData: new MongoPersonalDataStore(db.connection),
    seminars: MongoSeminarRepository.create(db.connection, gate),
    registrations: MongoRegistrationRepository.create(db.connection, gate),
    courses: MongoCourseRepository.create(db.connection),
    enrolments: MongoEnrolmentRepository.create(db.connection),
    progress: MongoProgressRepository.create(db.connection, gate),
    outbox: MongoOutboxRepository.create(db.connection, gate),
    notifications: MongoNotificationRepository.create(db.connection),
    live: MongoLiveRepository.create(db.connection, gate),
    recordings: MongoRecordingRepository.create(db.connection, gate),
    nodeLeases: MongoNodeLeaseRepository.create(db.connection),
    analytics: MongoAnalyticsRepository.create(db.connection),
    uploads: MongoUploadRepository.create(db.connection, gate),
    polls: MongoPollRepository.create(db.connection, gate),
    webhookEndpoints: MongoWebhookEndpointRepository.create(db.connection, gate),
    webhookMessages: MongoWebhookMessageRepository.create(db.connection, gate),
    audience: MongoAudienceRepository.create(db.connection),
    quizzes: MongoQuizRepository.create(db.connection, gate),
    completions: MongoCompletionRepository.create(db.connection, gate),
    certificates: MongoCertificateRepository.create(db.connection, gate),
    profiles: MongoProfileRepository.create(db.connection, gate),
    articles: MongoArticleRepository.create(db.connection),
    slides: MongoSlideRepository.create(db.connection),
  };
  // Unique indexes carry invariants (one account per e-mail, one registration per user), so build them on every connect.
  await db.whenConnected(() => Promise.all(Object.values(repos).map((r) => r.ensureIndexes())));
  return repos;
}

export type Repositories = Awaited<ReturnType<typeof createRepositories>>;
