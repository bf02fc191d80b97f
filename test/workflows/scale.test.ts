import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePartner, connect, enter, entry, launched, metrics, transient, withEngine } from '../helpers/engine.js';
import { replay, runChain } from '../helpers/history.js';
import { timelineQuery } from '../../domain/messages.js';
import { createTimeSkippingEnv, type TimeSkippingEnv } from '../helpers/temporal.js';

let ts: TimeSkippingEnv;
beforeAll(async () => {
  ts = await createTimeSkippingEnv();
});
afterAll(async () => {
  await ts?.teardown();
});

describe('Step at scale', () => {
  it(
    'keeps exact counts for 100,000 users across several continue-as-new runs while batches retry',
    { timeout: 600_000 },
    async () => {
      // A small request size makes 1,000 batches, so the step must continue-as-new several times
      // while many of them are still waiting out a retry.
      const linkedin = new FakePartner(() => ts.env.currentTimeMs(), {
        maxUsersPerRequest: 100,
        createsAudienceWithFirstRecords: false,
        rateLimitScope: 'connection',
      });
      const attempts: Record<string, number> = {};
      const delivered: Record<string, number> = {};
      linkedin.behaviour = (call) => {
        attempts[call.batchId] = (attempts[call.batchId] ?? 0) + 1;
        if (attempts[call.batchId] === 1) throw transient(); // every batch fails once first
        delivered[call.batchId] = (delivered[call.batchId] ?? 0) + call.rows.length;
        return { synced: call.rows.length, invalid: 0 };
      };
      await withEngine(ts.env, { linkedin }, async (engine) => {
        await connect(engine, 'linkedin');
        const step = await launched(engine);
        const firstRunId = (await step.describe()).runId;
        // Users keep arriving, 5,000 every 2 seconds, while earlier batches are still retrying.
        for (let i = 0; i < 20; i++) {
          await enter(step, entry(5_000, { notSynced: i % 5 === 0 ? { missing_fields: 1 } : {} }));
          await ts.env.sleep('2 seconds');
          await metrics(step);
        }
        // Let backoff timers fire (time skips only while we sleep), reading the metrics as we go.
        let view = await metrics(step);
        for (let i = 0; i < 500 && view.metrics.pending > 0; i++) {
          await ts.env.sleep('5 seconds');
          view = await metrics(step);
        }
        expect(view.metrics).toEqual({
          entered: 100_004,
          proceeded: 100_004,
          exited: 0,
          synced: 100_000,
          notSynced: 4,
          pending: 0,
          errored: 0,
        });
        // The analytics timeline has followed every user through every run.
        const timeline = await step.query(timelineQuery);
        const sum = (k: 'entered' | 'synced' | 'notSynced' | 'errored') =>
          timeline.buckets.reduce((n, b) => n + b[k], 0);
        expect([sum('entered'), sum('synced'), sum('notSynced'), sum('errored')]).toEqual([100_004, 100_000, 4, 0]);
        expect(Object.keys(delivered)).toHaveLength(1_000); // no batch lost…
        expect(Object.values(delivered).every((n) => n === 100)).toBe(true); // …and none sent twice

        const runs = await runChain(ts.address, step.workflowId, firstRunId);
        const totalBytes = runs.reduce((n, r) => n + r.bytes, 0);
        console.log(
          `100,000 users: ${runs.length} runs; events per run ${runs.map((r) => r.events).join(', ')}; ` +
            `bytes per run ${runs.map((r) => r.bytes).join(', ')}; step history ${(totalBytes / 100_000).toFixed(0)} B/user; ` +
            `largest event ${Math.max(...runs.map((r) => r.largestEventBytes))} B`,
        );
        expect(runs.length).toBeGreaterThanOrEqual(3);
        for (const run of runs) expect(run.events).toBeLessThan(10_000);
        // Every run replays on the current code (continue-as-new included).
        expect(await replay(runs.map((r) => ({ workflowId: step.workflowId, history: r.history })))).toEqual([]);
      });
    },
  );
});
