/**
 * The service's Prometheus metrics: API requests and latency by route and status, users
 * entered by partner, partner requests by outcome (throttles among them) and users the partners
 * accepted or refused. `GET /metrics` serves them with the worker's SDK metrics.
 */
import type { RequestHandler } from 'express';
import { daysUntil } from '../../partners/calendar.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  usersEntered: Counter<'partner'>;
  usersNotSynced: Counter<'partner' | 'reason'>;
  partnerRequests: Counter<'partner' | 'outcome'>;
  partnerUsers: Counter<'partner' | 'outcome'>;
}

/**
 * `apiSunsets`: partner → the day its API version in force is sunset (null: none published),
 * exposed as days left, counted at each scrape.
 */
export function createMetrics(apiSunsets: Record<string, string | null> = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'audience_sync_' });
  const registers = [registry];
  new Gauge({
    name: 'audience_sync_partner_api_sunset_days',
    help: 'Days until the partner stops serving the API version in force (only where it publishes a date).',
    labelNames: ['partner'],
    registers,
    collect() {
      for (const [partner, day] of Object.entries(apiSunsets)) {
        if (day) this.set({ partner }, daysUntil(day));
      }
    },
  });
  return {
    registry,
    httpRequests: new Counter({
      name: 'audience_sync_http_requests_total',
      help: 'API requests by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'audience_sync_http_request_duration_seconds',
      help: 'API request latency by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    usersEntered: new Counter({
      name: 'audience_sync_users_entered_total',
      help: 'Users accepted into steps, by partner.',
      labelNames: ['partner'],
      registers,
    }),
    usersNotSynced: new Counter({
      name: 'audience_sync_users_not_synced_total',
      help: 'Users entered but never to be sent, by partner and reason.',
      labelNames: ['partner', 'reason'],
      registers,
    }),
    partnerRequests: new Counter({
      name: 'audience_sync_partner_requests_total',
      help: 'Partner calls by outcome (ok, rate_limited = throttled, invalid_token, audience_gone, rejected, transient).',
      labelNames: ['partner', 'outcome'],
      registers,
    }),
    partnerUsers: new Counter({
      name: 'audience_sync_partner_users_total',
      help: 'Users sent to partners, by outcome (synced, or errored as invalid_identifier).',
      labelNames: ['partner', 'outcome'],
      registers,
    }),
  };
}

/** Counts and times every API request under its route pattern (never the raw path: ids stay out of labels). */
export function httpMetrics(m: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = m.httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const labels = {
        method: req.method,
        route: route ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      };
      m.httpRequests.inc(labels);
      end(labels);
    });
    next();
  };
}

/** The outcome label of a partner call's failure type (undefined: it succeeded). */
export function outcomeOf(failureType: string | undefined): string {
  switch (failureType) {
    case undefined:
      return 'ok';
    case 'rate_limited':
      return 'rate_limited';
    case 'token_invalid':
      return 'invalid_token';
    case 'audience_deleted':
      return 'audience_gone';
    case 'rejected':
    case 'audience_restricted':
    case 'audience_limit_reached':
      return 'rejected'; // refused for good, not a throttle or an outage
    default:
      return 'transient';
  }
}
