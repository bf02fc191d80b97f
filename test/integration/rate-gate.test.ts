import { InterceptingCall, status, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LATE_MS, TRANSIT_MARGIN_MS, WINDOW_MS, temporalRateGate } from '../../activities/rate-gate.js';
import { rateLimiterWorkflowId } from '../../domain/ids.js';
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

  it(
    'serves a burst of 40 callers without the server refusing an ask (it admits 10 updates in flight per workflow)',
    { timeout: 60_000 },
    async () => {
      // Every answer the client's retry interceptor sees, refusals it would retry after a backoff included.
      let refused = 0;
      const countRefusals: Interceptor = (options, nextCall) =>
        new InterceptingCall(nextCall(options), {
          start(metadata, listener, next) {
            next(metadata, {
              onReceiveStatus(answer, pass) {
                if (answer.code === status.RESOURCE_EXHAUSTED) refused++;
                pass(answer);
              },
            });
          },
        });
      const connection = await Connection.connect({
        address: inject('harness').devServerAddress,
        interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), countRefusals],
      });
      try {
        const client = new Client({ connection });
        const taskQueue = uniqueTaskQueue('gate');
        await withWorker(env, { taskQueue }, async () => {
          await temporalRateGate(client, taskQueue, 'burst', 50)(); // the limiter is running
          let sent = 0;
          await Promise.all(
            Array.from({ length: 40 }, async () => {
              await temporalRateGate(client, taskQueue, 'burst', 50)();
              sent++;
            }),
          );
          expect(sent).toBe(40);
        });
        // Without the cap, asks past the 10th in flight were refused and retried a second or more later.
        expect(refused).toBe(0);
      } finally {
        await connection.close();
      }
    },
  );
});
