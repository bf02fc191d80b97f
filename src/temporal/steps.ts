import { WithStartWorkflowOperation, type Client, type WorkflowHandle } from '@temporalio/client';
import { stepWorkflowId } from '../../domain/ids.js';
import { launchUpdate, type LaunchResult } from '../../domain/messages.js';
import { stepStartAttributes } from '../../domain/search-attributes.js';
import { stepWorkflow, type StepInput } from '../../workflows/step.js';
import type { RateLimitScope } from '../../domain/partner.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { StepConfig, StepIds } from '../../domain/types.js';

export interface LaunchOutcome {
  result: LaunchResult;
  handle: WorkflowHandle<typeof stepWorkflow>;
}

/**
 * Launches (or relaunches) a step in one call: update-with-start, so the step exists only if
 * the launch succeeds, and the caller gets the audience id or the partner's reason.
 * Throws the client's WorkflowUpdateFailedError, whose cause carries the refusal code (`cause.type`).
 */
export async function launchStep(
  client: Client,
  taskQueue: string,
  ids: StepIds,
  config: StepConfig,
  /** What the partner counts its rate by; by default the default registry's (the API passes its own). */
  rateLimitScope: RateLimitScope = PARTNER_REGISTRY.require(config.partner).capabilities.rateLimitScope,
  /** What a new step starts with beyond its ids (tests: a lower continue-as-new threshold). */
  start: Omit<StepInput, 'ids'> = {},
): Promise<LaunchOutcome> {
  const startWorkflowOperation = new WithStartWorkflowOperation(stepWorkflow, {
    workflowId: stepWorkflowId(ids),
    taskQueue,
    args: [{ ids, ...start }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // WorkspaceId, CanvasId, StepId from the first event on; the step keeps Partner and SyncState.
    typedSearchAttributes: stepStartAttributes(ids),
  });
  const result = await client.workflow.executeUpdateWithStart(launchUpdate, {
    args: [config, { rateLimitScope }],
    startWorkflowOperation,
  });
  return { result, handle: await startWorkflowOperation.workflowHandle() };
}
