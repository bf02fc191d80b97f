import express, { type Express } from 'express';
import type { Connection } from '@temporalio/client';
import { errorHandler, notFound } from './errors.js';
import { healthRoutes } from './routes/health.js';

export interface AppDeps {
  temporal: Connection;
  namespace: string;
  log: (line: string) => void;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16mb' }));
  app.use(healthRoutes(deps.temporal, deps.namespace));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
