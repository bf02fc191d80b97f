import { Router } from 'express';
import type { Connection } from '@temporalio/client';
import { temporalAnswers } from '../../temporal/client.js';
import { ApiError } from '../errors.js';

/** How long /healthz waits for Temporal: docs/api.md promises a 503 within 5 s, never a hang. */
const TEMPORAL_TIMEOUT_MS = 3_000;

export function healthRoutes(temporal: Connection, namespace: string): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    if (!(await temporalAnswers(temporal, namespace, TEMPORAL_TIMEOUT_MS))) {
      throw new ApiError(503, 'unavailable', 'Temporal is not reachable.');
    }
    res.json({ status: 'ok', temporal: 'up' });
  });
  return router;
}
