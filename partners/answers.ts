/**
 * A partner's HTTP answer, classified. Each partner's `errors.ts` maps its own answer shapes
 * onto these kinds; `toFailure` turns a kind into the ApplicationFailure the workflows act on.
 * Messages carry status and codes only: never a token, a hash or an ad id.
 */
import { scrub } from '../src/observability/log.js';
import { ApplicationFailure } from '@temporalio/activity';
import { Fail } from '../domain/failures.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the body was JSON, else the text (or undefined). */
  body: unknown;
}

export type Classified =
  | { kind: 'ok' }
  | { kind: 'invalid_token'; message: string }
  | { kind: 'rate_limited'; message: string; retryAfterMs?: number }
  /** The partner says "not found": for a new or processing audience that may be temporary, so the adapter looks it up before believing it. */
  | { kind: 'maybe_gone'; message: string }
  /** The partner says, unambiguously, that the audience was deleted. */
  | { kind: 'gone'; message: string }
  /** The audience is flagged by the partner and cannot be edited (Meta's 471 / 1713230). */
  | { kind: 'restricted'; message: string }
  /** The ad account holds the most audiences the partner allows (LinkedIn's 429 `SEGMENT_LIMIT_EXCEEDED`). */
  | { kind: 'limit_reached'; message: string }
  | { kind: 'rejected'; message: string }
  | { kind: 'transient'; message: string };

export function header(answer: Answer, name: string): string | undefined {
  const v = answer.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(answer: Answer, now = Date.now()): number | undefined {
  const v = header(answer, 'retry-after')?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Fallback when the partner advises no delay (the activity's backoff then applies). */
export function httpFallback(partner: string, answer: Answer): Classified {
  const what = `${partner} answered HTTP ${answer.status}`;
  if (answer.status === 401) return { kind: 'invalid_token', message: `${what}: the token is not valid.` };
  if (answer.status === 429) {
    const delay = retryAfterMs(answer);
    return {
      kind: 'rate_limited',
      message: `${what}: rate limited.`,
      ...(delay !== undefined ? { retryAfterMs: delay } : {}),
    };
  }
  if (answer.status >= 500 || answer.status === 408) return { kind: 'transient', message: `${what}.` };
  if (answer.status >= 400) return { kind: 'rejected', message: `${what}: the request was refused.` };
  return { kind: 'ok' };
}

/** The failure the workflows act on; `maybe_gone` must have been confirmed (or not) by the adapter first. */
export function toFailure(classified: Exclude<Classified, { kind: 'ok' }>): ApplicationFailure {
  // Built from the partner's codes, not its texts; scrubbed anyway, as failures outlive logs.
  const c = { ...classified, message: scrub(classified.message) };
  switch (c.kind) {
    case 'invalid_token':
      return ApplicationFailure.create({ type: Fail.TokenInvalid, message: c.message, nonRetryable: true });
    case 'rate_limited':
      return ApplicationFailure.create({
        type: Fail.RateLimited,
        message: c.message,
        ...(c.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(c.retryAfterMs, 1_000) } : {}),
      });
    case 'gone':
      return ApplicationFailure.create({ type: Fail.AudienceDeleted, message: c.message, nonRetryable: true });
    case 'restricted':
      return ApplicationFailure.create({ type: Fail.AudienceRestricted, message: c.message, nonRetryable: true });
    case 'limit_reached':
      return ApplicationFailure.create({ type: Fail.AudienceLimitReached, message: c.message, nonRetryable: true });
    case 'rejected':
      return ApplicationFailure.create({ type: Fail.Rejected, message: c.message, nonRetryable: true });
    case 'maybe_gone':
    case 'transient':
      return ApplicationFailure.create({ type: Fail.PartnerUnavailable, message: c.message });
  }
}
