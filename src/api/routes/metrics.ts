import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import { ApiError } from '../errors.js';
import { bearer, fromLoopback, sameSecret } from '../keys.js';

export interface MetricsRouteOptions {
  metrics: Metrics;
  /** Where the worker's SDK serves its own Prometheus metrics (appended to ours). */
  sdkMetricsUrl?: string;
  /** A scraper's bearer token; without it only loopback callers are answered. */
  token?: string;
}

/** `GET /metrics`: Prometheus text, for the scraper (loopback, or the configured token). */
export function metricsRoutes(o: MetricsRouteOptions): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    const key = bearer(req.header('authorization'));
    const allowed = o.token ? key !== null && sameSecret(key, o.token) : fromLoopback(req);
    if (!allowed) throw new ApiError(401, 'unauthorized', 'Metrics are for the configured scraper.');
    const ours = await o.metrics.registry.metrics();
    const sdk = o.sdkMetricsUrl
      ? await fetch(o.sdkMetricsUrl, { signal: AbortSignal.timeout(1_000) })
          .then((r) => (r.ok ? r.text() : ''))
          .catch(() => '')
      : '';
    res.type(o.metrics.registry.contentType).send(`${ours}\n${sdk}`);
  });
  return r;
}
