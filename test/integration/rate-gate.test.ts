import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WINDOW_MS, temporalRateGate } from '../../activities/rate-gate.js';
import { maxInAnyWindow } from '../../bench/stats.js';
import { rateLimiterWorkflowId } from '../../domain/ids.js';
import type { rateLimiterWorkflow } from '../../workflows/rate-limiter.js';
import { refusalCountingConnection } from '../helpers/partner-workers.js';
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
    'lets at most the limit through in any second, to many callers of two processes at once, across continue-as-new',
    { timeout: 60_000 },
    async () => {
      const taskQueue = uniqueTaskQueue('gate');
      // Two clients: two pools, as two processes hold them.
      const clients = [new Client({ connection: env.connection }), new Client({ connection: env.connection })];
      await withWorker(env, { taskQueue }, async () => {
        const key = 'test';
        // A run takes 2 updates, then continues as new: the lanes' book is carried.
        const limiter = await clients[0]!.workflow.start<typeof rateLimiterWorkflow>('rateLimiterWorkflow', {
          taskQueue,
          workflowId: rateLimiterWorkflowId(taskQueue, key),
          args: [{ key, maxSlotsPerRun: 2 }],
        });
        const sent: number[] = [];
        await Promise.all(
          Array.from({ length: 16 }, async (_, i) => {
            const lane = await temporalRateGate(clients[i % 2]!, taskQueue, key, 5)();
            sent.push(Date.now());
            await sleep(20); // the partner answers
            lane.done();
          }),
        );
        // 5 a second in any sliding second: each lane's next request goes a window after its answer.
        expect(maxInAnyWindow(sent, WINDOW_MS)).toBeLessThanOrEqual(5);
        expect(sent.length).toBe(16);
        expect(Math.max(...sent) - Math.min(...sent)).toBeGreaterThanOrEqual(3 * WINDOW_MS);
        const { runId } = await clients[0]!.workflow.getHandle(rateLimiterWorkflowId(taskQueue, key)).describe();
        expect(runId).not.toBe(limiter.firstExecutionRunId);
      });
    },
  );

  it(
    'serves a burst of 40 callers without the server refusing an update (it admits 10 in flight per workflow)',
    { timeout: 60_000 },
    async () => {
      const { connection, refused } = await refusalCountingConnection(inject('harness').devServerAddress);
      try {
        const client = new Client({ connection });
        const taskQueue = uniqueTaskQueue('gate');
        await withWorker(env, { taskQueue }, async () => {
          (await temporalRateGate(client, taskQueue, 'burst', 50)()).done(); // the limiter is running
          let sent = 0;
          await Promise.all(
            Array.from({ length: 40 }, async () => {
              (await temporalRateGate(client, taskQueue, 'burst', 50)()).done();
              sent++;
            }),
          );
          expect(sent).toBe(40);
        });
        // One update in flight per process and limiter: never past the server's 10.
        expect(refused.updates).toBe(0);
      } finally {
        await connection.close();
      }
    },
  );
});
