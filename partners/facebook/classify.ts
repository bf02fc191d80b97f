import { header, httpFallback, type Answer, type Classified } from '../answers.js';

interface GraphError {
  error?: { code?: number; error_subcode?: number; type?: string };
}

const TOKEN_CODES = new Set([190, 102]);
const THROTTLE_CODES = new Set([4, 17, 32, 613, 80003]);
const AUDIENCE_DELETED_SUBCODE = 1487366;
/**
 * A flagged audience (since 2025-09-02, one that may suggest health or financial status): its user
 * memberships cannot be changed (1713230, "Audience Upload Blocked") nor the audience edited
 * (1713231) until the restriction is resolved. Retrying cannot help.
 */
const RESTRICTED_SUBCODES = new Set([1713230, 1713231]);

/**
 * Facebook's `X-Business-Use-Case-Usage`: the highest usage percentage of any quota, and the
 * longest `estimated_time_to_regain_access` (minutes, as ms). Pacing slows down above 75 %.
 */
export function facebookUsage(answer: Answer): { maxPercent: number; regainMs: number } {
  const raw = header(answer, 'x-business-use-case-usage');
  let maxPercent = 0;
  let regainMs = 0;
  if (!raw) return { maxPercent, regainMs };
  try {
    const parsed = JSON.parse(raw) as Record<string, Record<string, number>[]>;
    for (const entries of Object.values(parsed)) {
      for (const e of entries) {
        maxPercent = Math.max(maxPercent, e.call_count ?? 0, e.total_cputime ?? 0, e.total_time ?? 0);
        regainMs = Math.max(regainMs, (e.estimated_time_to_regain_access ?? 0) * 60_000);
      }
    }
  } catch {
    // An unreadable header says nothing: no pacing advice.
  }
  return { maxPercent, regainMs };
}

/** Facebook: errors are `{error: {code, error_subcode}}`, usually with HTTP 400. */
export function classifyFacebook(answer: Answer): Classified {
  const err = (answer.body as GraphError | undefined)?.error;
  if (!err || answer.status < 400) return httpFallback('Facebook', answer);
  const code = err.code ?? 0;
  const sub = err.error_subcode;
  const what = `Facebook error ${code}${sub ? `/${sub}` : ''}`;
  if (TOKEN_CODES.has(code)) return { kind: 'invalid_token', message: `${what}: the token is not valid.` };
  if (THROTTLE_CODES.has(code)) {
    const { regainMs } = facebookUsage(answer);
    return {
      kind: 'rate_limited',
      message: `${what}: rate limited.`,
      ...(regainMs > 0 ? { retryAfterMs: regainMs } : {}),
    };
  }
  if (sub === AUDIENCE_DELETED_SUBCODE)
    return { kind: 'gone', message: `${what}: the custom audience has been deleted.` };
  if (code === 100 && sub !== undefined && RESTRICTED_SUBCODES.has(sub))
    return { kind: 'restricted', message: `${what}: the custom audience is restricted and cannot be changed.` };
  if (code === 100 && sub === 33)
    return { kind: 'maybe_gone', message: `${what}: the audience does not exist or cannot be used.` };
  if (code === 1 || code === 2 || answer.status >= 500) return { kind: 'transient', message: `${what}.` };
  return { kind: 'rejected', message: `${what}: the request was refused.` };
}
