import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATE_MS, TRANSIT_MARGIN_MS, WINDOW_MS, temporalRateGate } from '../../activities/rate-gate.js';
import { rateLimiterWorkflowId } from '../../workflows/ids.js';
import type { rateLimiterWorkflow } from '../../workflows/rate-limiter.js';
import { connectDevServer, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

// The rate gate against its rate-limiter workflow on the dev server (real time).
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectDevServer();
});
afterAll(async () => {
  await env?.teardown();
});

describe('rate gate', () => {
  it(
    'lets at most the limit through in any second, to many callers asking at once, across continue-as-new',
    { timeout: 60_000 },
    async () => {
      const taskQueue = uniqueTaskQueue('gate');
      const client = new Client({ connection: env.connection });
      await withWorker(env, { taskQueue }, async () => {
        const key = 'test';
        // A run hands out 4 slots, then continues as new: 12 slots span three runs.
        const limiter = await client.workflow.start<typeof rateLimiterWorkflow>('rateLimiterWorkflow', {
          taskQueue,
          workflowId: rateLimiterWorkflowId(taskQueue, key),
          args: [{ key, maxSlotsPerRun: 4 }],
        });
        const gate = temporalRateGate(client, taskQueue, key, 5);
        const sent: number[] = [];
        await Promise.all(
          Array.from({ length: 12 }, async () => {
            await gate();
            sent.push(Date.now());
          }),
        );
        sent.sort((a, b) => a - b);
        // 5 a second in any sliding second, with room for arrivals to spread (sends are spaced a
        // window, the transit margin and the lateness allowance apart every 5): 12 sends span at
        // least two such windows, and a loaded machine only slows them.
        const span = WINDOW_MS + TRANSIT_MARGIN_MS;
        const inAnyWindow = Math.max(...sent.map((t) => sent.filter((u) => u >= t && u < t + span).length));
        expect(inAnyWindow).toBeLessThanOrEqual(5);
        expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(2 * (span + LATE_MS) - 5);
        const { runId } = await client.workflow.getHandle(rateLimiterWorkflowId(taskQueue, key)).describe();
        expect(runId).not.toBe(limiter.firstExecutionRunId);
      });
    },
  );
});
