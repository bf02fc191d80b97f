import { header, httpFallback, retryAfterMs, type Answer, type Classified } from '../answers.js';

interface PinterestError {
  code?: number;
}

/** Codes of a 400 that refuses the records themselves (none usable), not the request. */
export const RECORD_ERROR_CODES = new Set([2740, 2741]);

/**
 * `x-ratelimit-reset` as milliseconds: seconds until the window resets; a value that looks like
 * an epoch time (some gateways send one) is read as such.
 */
export function rateLimitResetMs(answer: Answer, now = Date.now()): number | undefined {
  const v = header(answer, 'x-ratelimit-reset')?.trim();
  if (!v || !/^\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  return n > 1_000_000_000 ? Math.max(0, n * 1000 - now) : Math.round(n * 1000);
}

/** Pinterest: `{code, message}` with 400/401/403/404/429; not found is 404 with 1000/1001/1018. */
export function classifyPinterest(answer: Answer): Classified {
  const code = (answer.body as PinterestError | undefined)?.code;
  if (answer.status === 403)
    return { kind: 'invalid_token', message: 'Pinterest answered HTTP 403: the token may not use this ad account.' };
  if (answer.status === 404)
    return { kind: 'maybe_gone', message: `Pinterest answered HTTP 404 (code ${code ?? 'none'}).` };
  if (answer.status === 429) {
    // Retry-After when given, else the x-ratelimit-reset Pinterest sends with every throttle.
    const delay = retryAfterMs(answer) ?? rateLimitResetMs(answer);
    return {
      kind: 'rate_limited',
      message: `Pinterest answered HTTP 429 (code ${code ?? 'none'}): rate limited.`,
      ...(delay !== undefined ? { retryAfterMs: delay } : {}),
    };
  }
  if (answer.status === 400 && code !== undefined)
    return { kind: 'rejected', message: `Pinterest answered HTTP 400 (code ${code}): the request was refused.` };
  return httpFallback('Pinterest', answer);
}
