/**
 * Worker Versioning (docs/operations.md, "Changing workflow code"): how each workflow type moves between
 * builds of the worker. Each workflow file declares its behavior with `versioned()`:
 *
 *   export const batchWorkflowVersioning: VersioningBehavior = 'PINNED';
 *   setWorkflowOptions(versioned(batchWorkflowVersioning), batchWorkflow);
 *
 * The behavior is declared only to a worker that runs with a deployment version
 * (`workerDeploymentOptions`, src/temporal/worker.ts): Temporal Server refuses the workflow task
 * of an unversioned worker that declares one ("versioning behavior cannot be specified without
 * deployment options being set with versioned mode"), and the tests' workers, like any worker
 * with versioning off, are unversioned. An unversioned worker's version has an empty deployment
 * name. The options are read once per run as it is loaded: on a versioned worker a run whose
 * first task an unversioned worker completed (one started before versioning was turned on)
 * keeps the worker's default behavior (AUTO_UPGRADE).
 */
import type { VersioningBehavior, WorkflowDefinitionOptions } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

export type { VersioningBehavior };

export const versioned = (versioningBehavior: VersioningBehavior) => (): WorkflowDefinitionOptions =>
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {};
