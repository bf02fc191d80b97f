import { describe, expect, it } from 'vitest';
import { DEFAULT_VERSIONING_BEHAVIOR, workflowBuildId } from '../../src/temporal/worker.js';
import * as productWorkflows from '../../workflows/index.js';
import { batchWorkflowVersioning } from '../../workflows/batch.js';
import { connectionWorkflowVersioning } from '../../workflows/connection.js';
import { rateLimiterContinueAsNew, rateLimiterWorkflowVersioning } from '../../workflows/rate-limiter.js';
import { stepWorkflowVersioning } from '../../workflows/step.js';
import { workspaceWorkflowVersioning } from '../../workflows/workspace.js';

describe('Worker Versioning (docs/operations.md, "Changing workflow code")', () => {
  it('pins Batch and RateLimiter; Step, Connection and Workspace move to the current build', () => {
    expect({
      batchWorkflow: batchWorkflowVersioning,
      rateLimiterWorkflow: rateLimiterWorkflowVersioning,
      stepWorkflow: stepWorkflowVersioning,
      connectionWorkflow: connectionWorkflowVersioning,
      workspaceWorkflow: workspaceWorkflowVersioning,
    }).toEqual({
      batchWorkflow: 'PINNED',
      rateLimiterWorkflow: 'PINNED',
      stepWorkflow: 'AUTO_UPGRADE',
      connectionWorkflow: 'AUTO_UPGRADE',
      workspaceWorkflow: 'AUTO_UPGRADE',
    });
    // A pinned limiter's next run starts on the current build, not on its own.
    expect(rateLimiterContinueAsNew).toEqual({ initialVersioningBehavior: 'AUTO_UPGRADE' });
  });

  it('has every workflow the worker runs declare its behavior (setWorkflowOptions), none left to the default', () => {
    for (const [name, fn] of Object.entries(productWorkflows)) {
      expect(typeof (fn as { workflowDefinitionOptions?: unknown }).workflowDefinitionOptions, name).toBe('function');
    }
    expect(DEFAULT_VERSIONING_BEHAVIOR).toBe('AUTO_UPGRADE');
  });

  it('derives the build id from the workflow bundle: the same code, the same build; a change, a new one', () => {
    const id = workflowBuildId('bundle code');
    expect(id).toMatch(/^wf-[0-9a-f]{16}$/);
    expect(workflowBuildId('bundle code')).toBe(id);
    expect(workflowBuildId('bundle code, changed')).not.toBe(id);
  });
});
