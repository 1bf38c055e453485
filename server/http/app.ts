import path from 'node:path';
import express, { type Express, type RequestHandler, type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Actor } from '../accounts/grants';
import type { Logger } from '../logger';
import type { RateLimits } from '../rate-limits';
import type { Health, Readiness } from '../protocol';
import { API_PREFIX, apiRouter } from './api';
import { errorHandler, notFound } from './error-handler';
import { openApiDocument } from './openapi';
import { securityHeaders } from './security-headers';
import type { RouteSpec } from './route';

export interface HttpAppDeps {
  logger: Logger;
  readiness: () => Promise<Readiness>;
  webDir: string;
  routes: RouteSpec[];
  /** The caller from the Authorization header; a present but bad token throws. */
  actorOf: (authorization: string | undefined) => Actor;
  /** Parse every API response with its schema too (outside production). */
  checkResponses: boolean;
  /** Where the routes' rate limits count. */
  limits: RateLimits;
  /** Express's `trust proxy`: whose X-Forwarded-For to believe for req.ip. */
  trustProxy: boolean | number | string[];
  /** Resumable uploads (tus) of lesson videos, under the API's prefix. */
  uploads?: Router;
  /** Signed recording files under /media. */
  media: Router;
  publicBaseUrl: string;
  /** HTTP timing for every answer, and the /metrics endpoint when a token is configured. */
  metrics: { timer: RequestHandler; endpoint?: RequestHandler };
  /** Origins that may frame the watch and replay pages (EMBED_ORIGINS). */
  embedOrigins: readonly string[];
}

/** Paths that are never a page of the front end, whatever the client accepts. */
const NOT_PAGES = /^\/(api|media|socket\.io|healthz|readyz|metrics)(\/|$)/;

/**
 * The front end routes in the browser (/watch/:id and the like): a page load of any
 * other path gets its index.html. Only GETs that prefer HTML over JSON: a missing
 * script or an API client still gets a 404 with a code.
 */
function pageFallback(indexFile: string): RequestHandler {
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PAGES.test(req.path) || req.accepts(['json', 'html']) !== 'html') {
      return next();
    }
    res.sendFile(indexFile, { maxAge: '5m' }, (err) => {
      // No build yet: the plain 404.
      if (err && !res.headersSent) next();
    });
  };
}

/** The one Express app: the REST API, pages, media, docs and health checks. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // API answers are per user and change often: no ETag hash of every JSON body. Static files keep theirs.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);
  app.use(deps.metrics.timer);
  app.use(securityHeaders(deps.embedOrigins));
  if (deps.metrics.endpoint) app.get('/metrics', deps.metrics.endpoint);

  // Before the API router: tus reads the bodies of its PATCHes itself.
  if (deps.uploads) app.use(deps.uploads);
  // First in line: heartbeats are most of the traffic.
  app.use(API_PREFIX, apiRouter({ routes: deps.routes, actorOf: deps.actorOf, checkResponses: deps.checkResponses, limits: deps.limits }));

  app.get('/healthz', (_req, res) => {
    const body: Health = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
    res.json(body);
  });
  app.get('/readyz', async (_req, res) => {
    const report = await deps.readiness();
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });

  const openapi = openApiDocument(deps.routes, { title: 'Lectern API', version: '1', serverUrl: deps.publicBaseUrl });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'Lectern API' }));

  app.use(deps.media);
  app.use(express.static(path.resolve(deps.webDir), { index: 'index.html', maxAge: '5m' }));
  app.use(pageFallback(path.resolve(deps.webDir, 'index.html')));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
