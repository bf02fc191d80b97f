import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSignal, countdownWorkflow, finishSignal, stateQuery } from '../fixtures/workflows/countdown.js';
import { connectDevServer, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

describe('dev-server harness (real Temporal server, shared by the run)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that takes signals and answers a query', async () => {
    const taskQueue = uniqueTaskQueue();
    await withWorker(env, { taskQueue }, async () => {
      const handle = await env.client.workflow.start(countdownWorkflow, {
        taskQueue,
        workflowId: `query-${taskQueue}`,
        args: ['1 hour'],
      });
      await handle.signal(addSignal, 40);
      await handle.signal(addSignal, 2);
      expect(await handle.query(stateQuery)).toEqual({ total: 42, signals: 2, finished: false });
      await handle.signal(finishSignal);
      expect(await handle.result()).toMatchObject({ total: 42, finished: true });
      const { historyLength } = await handle.describe();
      expect(historyLength).toBeGreaterThan(0);
    });
  });
});
