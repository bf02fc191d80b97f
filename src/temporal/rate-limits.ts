/**
 * Partner rate limits, held by the Temporal server (docs/partners.md): each partner's activities run
 * on a queue of their own; the server dispatches that queue's tasks no faster than the limit,
 * per fairness key (the connection or ad account the partner counts by; see `rateLimitKey`),
 * or for the whole queue when the partner counts the whole app. Any number of workers share it.
 *
 * The server's limiter (GCRA) lets a key that has been idle dispatch one second's worth at once
 * on top of its rate: it smooths the flow and keeps keys apart, and the rate gate
 * (activities/rate-gate.ts) makes every sliding second exact.
 */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named exports under Node's ESM loader
import type { PartnerCapabilities } from '../../domain/partner.js';
import { partnerTaskQueue } from '../../domain/ids.js';

export interface QueueRateLimit {
  taskQueue: string;
  /** Set for partners that count the whole app; removed otherwise. */
  queueRps?: number;
  /** Set for partners that count per connection or ad account; removed otherwise. */
  perKeyRps?: number;
}

/** What to configure on each partner queue of `workflowTaskQueue`. */
export function partnerQueueLimits(workflowTaskQueue: string, partners: PartnerCapabilities[]): QueueRateLimit[] {
  return partners.map((p) => {
    const rps = p.requestsPerSecond;
    const taskQueue = partnerTaskQueue(workflowTaskQueue, p.id);
    return p.rateLimitScope === 'app' ? { taskQueue, queueRps: rps } : { taskQueue, perKeyRps: rps };
  });
}

const update = (rps: number | undefined) => ({
  // A RateLimitUpdate without `rateLimit` removes a limit set earlier (e.g. by another scope).
  ...(rps === undefined ? {} : { rateLimit: { requestsPerSecond: rps } }),
  reason: 'partner rate limit (audience-sync)',
});

/** Configures every partner queue; run at start, before workers poll. Idempotent. */
export async function applyPartnerRateLimits(
  connection: Connection,
  namespace: string,
  limits: QueueRateLimit[],
): Promise<void> {
  for (const l of limits) {
    await connection.workflowService.updateTaskQueueConfig({
      namespace,
      identity: 'audience-sync',
      taskQueue: l.taskQueue,
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      updateQueueRateLimit: update(l.queueRps),
      updateFairnessKeyRateLimitDefault: update(l.perKeyRps),
    });
  }
}
