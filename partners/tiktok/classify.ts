import { httpFallback, type Answer, type Classified } from '../answers.js';

interface TikTokEnvelope {
  code?: number;
}

const TOKEN_CODES = new Set([40102, 40104, 40105]);
const THROTTLE_CODES = new Set([40100, 40016, 40133]);

/**
 * TikTok answers HTTP 200 with a `code`: 0 is OK (20001 partial), everything else an error.
 * 40002 also means "audience still processing", so like 40007 it is confirmed before believed.
 * An HTTP 4xx means a wrong path or method: our bug, so rejected.
 */
export function classifyTikTok(answer: Answer): Classified {
  if (answer.status !== 200) return httpFallback('TikTok', answer);
  const code = (answer.body as TikTokEnvelope | undefined)?.code;
  if (code === 0 || code === 20001) return { kind: 'ok' };
  const what = `TikTok code ${code ?? 'missing'}`;
  if (code === undefined) return { kind: 'transient', message: `${what}: an answer without a code.` };
  if (TOKEN_CODES.has(code)) return { kind: 'invalid_token', message: `${what}: the token is not valid.` };
  if (THROTTLE_CODES.has(code)) return { kind: 'rate_limited', message: `${what}: rate limited.`, retryAfterMs: 1_000 };
  if (code === 40007 || code === 40002)
    return { kind: 'maybe_gone', message: `${what}: the audience is missing or still processing.` };
  if (code >= 50000) return { kind: 'transient', message: `${what}.` };
  return { kind: 'rejected', message: `${what}: the request was refused.` };
}
