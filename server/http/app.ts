import path from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from '../logger';
import type { Health, Readiness } from '../protocol';
import { errorHandler, notFound } from './error-handler';

export interface HttpAppDeps {
  logger: Logger;
  readiness: () => Promise<Readiness>;
  webDir: string;
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: '64kb' }));

  app.get('/healthz', (_req, res) => {
    const body: Health = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
    res.json(body);
  });
  app.get('/readyz', async (_req, res, next) => {
    try {
      const report = await deps.readiness();
      res.status(report.status === 'ready' ? 200 : 503).json(report);
    } catch (err) {
      next(err);
    }
  });

  app.use(express.static(path.resolve(deps.webDir), { index: 'index.html', maxAge: '5m' }));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
