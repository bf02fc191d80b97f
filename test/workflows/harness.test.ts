import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSignal, countdownWorkflow, finishSignal, stateQuery } from '../fixtures/workflows/countdown.js';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker, type TimeSkippingEnv } from '../helpers/temporal.js';

const HOUR = 3_600_000;

describe('time-skipping harness (real Temporal test server)', () => {
  let ts: TimeSkippingEnv;
  beforeAll(async () => {
    ts = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await ts?.teardown();
  });

  it('lets a 13-hour durable timer pass in seconds, and the workflow sees the 13 hours', async () => {
    const taskQueue = uniqueTaskQueue();
    const result = await withWorker(ts.env, { taskQueue }, async () => {
      const before = await ts.env.currentTimeMs();
      const handle = await ts.env.client.workflow.start(countdownWorkflow, {
        taskQueue,
        workflowId: `thirteen-hours-${taskQueue}`,
        args: ['13 hours'],
      });
      await handle.signal(addSignal, 5);
      const out = await handle.result(); // awaiting a result lets the server skip time
      return { out, skipped: (await ts.env.currentTimeMs()) - before };
    });
    expect(result.out.finished).toBe(false);
    expect(result.out.total).toBe(5);
    expect(result.out.waitedMs).toBeGreaterThanOrEqual(13 * HOUR);
    expect(result.skipped).toBeGreaterThanOrEqual(13 * HOUR);
  });

  it('delivers signals and answers queries between env.sleep skips', async () => {
    const taskQueue = uniqueTaskQueue();
    await withWorker(ts.env, { taskQueue }, async () => {
      const handle = await ts.env.client.workflow.start(countdownWorkflow, {
        taskQueue,
        workflowId: `sleepy-${taskQueue}`,
        args: ['13 hours'],
      });
      await handle.signal(addSignal, 2);
      await ts.env.sleep('12 hours');
      await handle.signal(addSignal, 3);
      expect(await handle.query(stateQuery)).toEqual({ total: 5, signals: 2, finished: false });
      await handle.signal(finishSignal);
      const out = await handle.result();
      expect(out).toMatchObject({ total: 5, signals: 2, finished: true });
      expect(out.waitedMs).toBeGreaterThanOrEqual(12 * HOUR);
      expect(out.waitedMs).toBeLessThan(13 * HOUR);
    });
  });
});
