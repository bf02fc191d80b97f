import type { PartnerId, StepIds } from './types.js';

/** Workflow ids name what they own, so a duplicate start is impossible and the Web UI is readable. */
export const stepWorkflowId = ({ workspaceId, canvasId, stepId }: StepIds): string =>
  `step:${workspaceId}:${canvasId}:${stepId}`;

export const connectionWorkflowId = (workspaceId: string, partner: PartnerId): string =>
  `connection:${workspaceId}:${partner}`;

export const batchWorkflowId = (stepWorkflow: string, seq: number): string => `${stepWorkflow}:batch:${seq}`;

/** Partner calls run on one activity queue per partner, where the server enforces its rate limit. */
export const partnerTaskQueue = (workflowTaskQueue: string, partner: PartnerId): string =>
  `${workflowTaskQueue}-${partner}`;
