import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Repositories } from '../store';
import { ProfileImageFiles } from './files';
import { PortfolioService } from './service';

/** Profiles and portfolios on their repositories; images under DATA_DIR/profiles. */
export function createPortfolios(deps: { config: Config; repos: Repositories; logger: Logger }) {
  const files = new ProfileImageFiles(path.join(deps.config.dataDir, 'profiles'));
  const service = new PortfolioService({
    profiles: deps.repos.profiles,
    users: deps.repos.users,
    seminars: deps.repos.seminars,
    courses: deps.repos.courses,
    recordings: deps.repos.recordings,
    files,
    logger: deps.logger,
  });
  return { service, files };
}
