import { httpFallback, type Answer, type Classified } from '../answers.js';

/**
 * LinkedIn: 401 (and 403: role or scope removed) = token; 429 without headers; 404 = unknown
 * *or not yet ready* segment (new segments answer 404 for a minute or two), so never "gone"
 * without a lookup.
 */
export function classifyLinkedIn(answer: Answer): Classified {
  if (answer.status === 403)
    return { kind: 'invalid_token', message: 'LinkedIn answered HTTP 403: the member lost access to the ad account.' };
  if (answer.status === 404) return { kind: 'maybe_gone', message: 'LinkedIn answered HTTP 404 for the segment.' };
  return httpFallback('LinkedIn', answer);
}
