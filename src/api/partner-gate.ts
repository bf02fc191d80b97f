import { temporalRateGate, withRateGate } from '../../activities/rate-gate.js';
import { rateLimitKey } from '../../domain/ids.js';
import type { PartnerAdapter } from '../../partners/adapter.js';
import type { ApiContext } from './context.js';
import { unavailable } from './temporal-call.js';

/**
 * A partner request the API makes, through the same lanes as the workers' (the key of
 * `adAccountId` where the partner counts by ad account; without one, the connection's or the
 * app's), so the API never puts the partner over its limit while steps send. Answered within
 * 5 s: a lane Temporal cannot lease in time is a 503.
 */
export async function gated<T>(
  ctx: ApiContext,
  workspaceId: string,
  adapter: PartnerAdapter,
  fn: () => Promise<T>,
  adAccountId = '',
): Promise<T> {
  const deadline = AbortSignal.timeout(4_500);
  const key = rateLimitKey(adapter.capabilities.rateLimitScope, adapter.id, workspaceId, adAccountId);
  const gate = temporalRateGate(ctx.client, ctx.taskQueue, key, adapter.capabilities.requestsPerSecond, deadline);
  try {
    return await withRateGate(gate, fn, deadline);
  } catch (err) {
    if (deadline.aborted) throw unavailable();
    throw err;
  }
}
