import { httpFallback, type Answer, type Classified } from '../answers.js';

/** LinkedIn's cap on DMP segments per ad account (all versions, from August 2026). */
export const MAX_SEGMENTS = 1_000;

/**
 * LinkedIn: 401 (and 403: role or scope removed) = token; 429 without headers; 404 = unknown
 * *or not yet ready* segment (new segments answer 404 for a minute or two), so never "gone"
 * without a lookup.
 */
export function classifyLinkedIn(answer: Answer): Classified {
  // Since August 2026 an ad account holds at most 1,000 DMP segments; past it LinkedIn answers
  // 429 with this code. It is a refusal, not a throttle: waiting never frees a segment.
  if (answer.status === 429 && (answer.body as { code?: unknown } | undefined)?.code === 'SEGMENT_LIMIT_EXCEEDED')
    return {
      kind: 'limit_reached',
      message: `LinkedIn answered HTTP 429 SEGMENT_LIMIT_EXCEEDED: the ad account holds ${MAX_SEGMENTS.toLocaleString('en-US')} DMP segments, its limit.`,
    };
  if (answer.status === 403)
    return { kind: 'invalid_token', message: 'LinkedIn answered HTTP 403: the member lost access to the ad account.' };
  if (answer.status === 404) return { kind: 'maybe_gone', message: 'LinkedIn answered HTTP 404 for the segment.' };
  return httpFallback('LinkedIn', answer);
}
