import type { Database } from './database';
import { MongoUserRepository } from './users';

export interface Repositories {
  users: MongoUserRepository;
}

/** Builds every repository on the connection and keeps their indexes in place on each (re)connect. */
export async function createRepositories(db: Database): Promise<Repositories> {
  const users = await MongoUserRepository.create(db.connection);
  await db.whenConnected(() => users.ensureIndexes());
  return { users };
}
