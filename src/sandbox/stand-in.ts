/**
 * What a partner's sandbox stand-in declares: the limits the partner itself publishes (never
 * the product's own, which must stay at or under them), and its routes under `/<partner id>`.
 */
import type { Router } from 'express';
import type { Exchange } from './recording.js';
import type { SandboxState } from './state.js';

export interface PublishedLimits {
  usersPerRequest: number;
  requestsPerSecond: number;
  /** A per-minute quota on top of the per-second one (Pinterest's writes, TikTok's QPM). */
  requestsPerMinute?: number;
  /** What the partner counts its rate by. */
  scope: 'connection' | 'adAccount' | 'app';
  /** Where the partner publishes these. */
  source: string;
}

export interface SandboxOptions {
  /** How long a new LinkedIn segment answers 404 (the real one: a minute or two). */
  linkedinSegmentReadyMs?: number;
  /**
   * false lifts every partner's request-rate limits (benchmarks measure the product's own
   * speed); users per request and everything else stay enforced.
   */
  rateLimits?: boolean;
  /** Facebook's hourly call quota per ad account (default Meta's Limited tier: 5,000 + 40 per audience). */
  facebookHourlyQuota?: { base: number; perAudience: number };
  /** Called with every exchange a stand-in serves (the conformance tests record them). */
  onExchange?: (exchange: Exchange) => void;
}

export interface SandboxStandIn {
  published: PublishedLimits;
  routes(state: SandboxState, options: SandboxOptions): Router;
}

/** The published limits as a stand-in enforces them: the rates lifted when the sandbox runs without rate limits. */
export function enforcedLimits(
  published: PublishedLimits,
  options: SandboxOptions,
): { usersPerRequest: number; requestsPerSecond: number; requestsPerMinute?: number } {
  const lifted = options.rateLimits === false;
  return {
    usersPerRequest: published.usersPerRequest,
    requestsPerSecond: lifted ? Infinity : published.requestsPerSecond,
    ...(!lifted && published.requestsPerMinute !== undefined ? { requestsPerMinute: published.requestsPerMinute } : {}),
  };
}
