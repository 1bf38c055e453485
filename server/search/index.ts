import type { Actor } from '../accounts/grants';
import { ArticleService } from '../articles/service';
import type { Config } from '../config';
import type { CourseService } from '../courses/service';
import { AppError } from '../errors';
import { articleRoutes } from '../http/routes/articles';
import { searchRoutes } from '../http/routes/search';
import type { RouteSpec } from '../http/route';
import type { Logger } from '../logger';
import type { SeminarService } from '../seminars/service';
import type { Repositories } from '../store';
import { SearchService } from './service';
import { reportingWrites } from './source';
import { articleSource, courseSource, seminarSource } from './sources';
import { portfolioSource } from './portfolio-source';

/**
 * Search and the knowledge base wired up. The registry of what search finds: seminars,
 * courses (with their lessons), articles and portfolios; each source is one register()
 * whose reporter its writers call.
 */
export function createSearch(config: Config, stored: Repositories, logger: Logger) {
  const service = new SearchService({ logger, catchUpMs: config.search.catchUpMs });
  const seminarsChanged = service.register(seminarSource(stored.seminars));
  const coursesChanged = service.register(courseSource(stored.courses));
  const articlesChanged = service.register(articleSource(stored.articles));
  const profilesChanged = service.register(portfolioSource(stored.profiles, stored.users));
  const repos: Repositories = {
    ...stored,
    seminars: reportingWrites(stored.seminars, ['create', 'update', 'transition'], seminarsChanged),
    courses: reportingWrites(stored.courses, ['create', 'update'], coursesChanged),
    // Every profile write takes the owner's user id first.
    profiles: reportingWrites(stored.profiles, ['upsert', 'setPhoto', 'addItem', 'setCaption', 'removeItem', 'reorder'], profilesChanged),
  };

  // The seminar and course services exist after this (they are built on `repos`): bound by routes().
  let pages: { seminars: SeminarService; courses: CourseService } | undefined;
  const titleOf = async (read: () => Promise<{ title: string }>) => {
    try {
      return (await read()).title;
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
  };
  const articles = new ArticleService({
    articles: stored.articles,
    seminarTitle: (actor: Actor, id) => titleOf(() => pages!.seminars.visible(actor, id)),
    courseTitle: (actor: Actor, id) => titleOf(() => pages!.courses.get(actor, id)),
    changed: articlesChanged,
  });

  return {
    repos,
    service,
    articles,
    routes(services: { seminars: SeminarService; courses: CourseService }): RouteSpec[] {
      pages = services;
      return [...articleRoutes(articles), ...searchRoutes(service, config.search.perMinute)];
    },
  };
}
