import { Agent, request } from 'undici';
import { beforePartnerRequest, partnerRequestSignal } from '../activities/rate-gate.js';
import type { Answer } from './answers.js';

/** How long a partner may take to start answering (PARTNER_TIMEOUT_MS). */
export const DEFAULT_PARTNER_TIMEOUT_MS = 30_000;

/** One keep-alive pool per partner, with timeouts: a partner that hangs is a transient failure, not a stuck activity. */
export function partnerAgent(timeoutMs = DEFAULT_PARTNER_TIMEOUT_MS): Agent {
  return new Agent({
    connections: 16,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: 2 * timeoutMs,
  });
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

/** Calls a partner and reads the whole answer; network failures become a 599 (transient) answer. */
export async function call(agent: Agent, url: string, o: CallOptions): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
  let body: string | undefined;
  if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(o.form).toString();
  }
  const lane = await beforePartnerRequest(); // outside the try: a failure to get one is not the partner's
  try {
    const res = await request(url, {
      method: o.method,
      headers,
      body,
      dispatcher: agent,
      signal: partnerRequestSignal(),
    });
    lane.done(); // answered, so counted by the partner: the lane is free a window from now
    const text = await res.body.text();
    let parsed: unknown = text || undefined;
    if (text && String(res.headers['content-type'] ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON after all: keep the text.
      }
    }
    return { status: res.statusCode, headers: res.headers, body: parsed };
  } catch (err) {
    lane.done();
    // Never echo the URL or body: they may carry tokens or identifiers.
    return { status: 599, headers: {}, body: { networkError: (err as { code?: string }).code ?? 'network error' } };
  }
}
