import type { Database } from './database';
import { MongoCourseRepository, MongoEnrolmentRepository } from './courses';
import { MongoNotificationRepository, MongoOutboxRepository } from './notifications';
import { MongoProgressRepository } from './progress';
import { MongoRefreshTokenRepository } from './refresh-tokens';
import { MongoRegistrationRepository } from './registrations';
import { MongoSeminarRepository } from './seminars';
import { MongoUserRepository } from './users';

export async function createRepositories(db: Database) {
  const repos = {
    users: await MongoUserRepository.create(db.connection),
    refreshTokens: MongoRefreshTokenRepository.create(db.connection),
    seminars: MongoSeminarRepository.create(db.connection),
    registrations: MongoRegistrationRepository.create(db.connection),
    courses: MongoCourseRepository.create(db.connection),
    enrolments: MongoEnrolmentRepository.create(db.connection),
    progress: MongoProgressRepository.create(db.connection),
    outbox: MongoOutboxRepository.create(db.connection),
    notifications: MongoNotificationRepository.create(db.connection),
  };
  // Unique indexes carry invariants (one account per e-mail, one registration per user), so build them on every connect.
  await db.whenConnected(() => Promise.all(Object.values(repos).map((r) => r.ensureIndexes())));
  return repos;
}

export type Repositories = Awaited<ReturnType<typeof createRepositories>>;
