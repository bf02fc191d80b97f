import type { RateLimitScope } from './partner.js';
import type { PartnerId, StepIds } from './types.js';

/** Workflow ids name what they own, so a duplicate start is impossible and the Web UI is readable. */
export const stepWorkflowId = ({ workspaceId, canvasId, stepId }: StepIds): string =>
  `step:${workspaceId}:${canvasId}:${stepId}`;

export const workspaceWorkflowId = (workspaceId: string): string => `workspace:${workspaceId}`;

export const connectionWorkflowId = (workspaceId: string, partner: PartnerId): string =>
  `connection:${workspaceId}:${partner}`;

export const batchWorkflowId = (stepWorkflow: string, seq: number): string => `${stepWorkflow}:batch:${seq}`;

/** Partner calls run on one activity queue per partner, where the server enforces its rate limit. */
export const partnerTaskQueue = (workflowTaskQueue: string, partner: PartnerId): string =>
  `${workflowTaskQueue}-${partner}`;

/**
 * The fairness key of a partner call: what the partner counts its rate by. The server limits
 * each key of a partner queue separately, so one busy workspace never slows another; TikTok's
 * single app-wide key is held by the queue-wide limit. (Fairness keys are at most 64 bytes.)
 */
export function rateLimitKey(
  scope: RateLimitScope,
  partner: PartnerId,
  workspaceId: string,
  adAccountId: string,
): string {
  switch (scope) {
    case 'connection':
      return `${partner}:${workspaceId}`;
    case 'adAccount':
      return `${partner}:${adAccountId}`;
    case 'app':
      return partner;
  }
}

/**
 * The workflow handing out request slots for one rate-limit key of one deployment (named by its
 * workflow task queue, where the limiter runs: a limiter left by another deployment, or by a
 * test whose worker is gone, is never asked).
 */
export const rateLimiterWorkflowId = (workflowTaskQueue: string, key: string): string =>
  `ratelimit:${workflowTaskQueue}:${key}`;
