/**
 * What the time-skipping test server (Java, 1.40; TestWorkflowEnvironment.createTimeSkipping in
 * SDK 1.24) does with Worker Versioning: it has no Worker Deployments, so the workflow tests run
 * unversioned workers (test/helpers), and the workflows' declared behaviors must not get in their
 * way (workflows/versioning.ts declares them to versioned workers only).
 */
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nextSignal, pinnedFixtureWorkflow } from '../fixtures/workflows/versioning.js';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker, type TimeSkippingEnv } from '../helpers/temporal.js';

describe('Worker Versioning on the time-skipping test server', () => {
  let ts: TimeSkippingEnv;
  beforeAll(async () => {
    ts = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await ts?.teardown();
  });

  it('has no Worker Deployments: a build cannot be made current', async () => {
    await expect(
      ts.env.connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName: 'audience-sync',
        buildId: 'a',
      }),
    ).rejects.toThrow('12 UNIMPLEMENTED: Worker Versioning not yet supported in test server');
  });

  it('runs a pinned workflow on an unversioned worker, as the workflow tests do', async () => {
    const taskQueue = uniqueTaskQueue();
    const builds = await withWorker(ts.env, { taskQueue }, async () => {
      const handle = await ts.env.client.workflow.start(pinnedFixtureWorkflow, { taskQueue, workflowId: taskQueue });
      await handle.signal(nextSignal);
      return handle.result();
    });
    // An unversioned worker's version: no deployment name, the SDK's own build id.
    expect(builds).toEqual([
      expect.stringMatching(/^@temporalio\/worker@/),
      expect.stringMatching(/^@temporalio\/worker@/),
    ]);
  });

  it('ignores a versioned worker: it gets tasks without any current version, and records no behavior', async () => {
    const taskQueue = uniqueTaskQueue();
    const worker = await Worker.create({
      connection: ts.env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('harness').workflowBundlePath },
      workerDeploymentOptions: {
        version: { deploymentName: 'audience-sync', buildId: 'a' },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'AUTO_UPGRADE',
      },
    });
    await worker.runUntil(async () => {
      const handle = await ts.env.client.workflow.start(pinnedFixtureWorkflow, { taskQueue, workflowId: taskQueue });
      await handle.signal(nextSignal);
      expect(await handle.result()).toEqual(['a', 'a']);
      expect((await handle.describe()).raw.workflowExecutionInfo?.versioningInfo ?? undefined).toBeUndefined();
    });
  });
});
