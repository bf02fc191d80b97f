import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchStep } from '../../src/temporal/steps.js';
import { setCredentialsSignal } from '../../domain/messages.js';
import {
  FakePartner,
  aConfig,
  connect,
  enter,
  entry,
  launched,
  metrics,
  rateLimited,
  stepIds,
  until,
  withEngine,
} from '../helpers/engine.js';
import { connectDevServer } from '../helpers/temporal.js';

// Updates and activity cancellation on the real server (the time-skipping server neither skips
// time while an Update is awaited nor releases its time lock after an activity is cancelled).
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectDevServer();
});
afterAll(async () => {
  await env?.teardown();
});

const fake = () => new FakePartner(() => Promise.resolve(Date.now()));

describe('Step launch (Update-with-start, dev server)', () => {
  it('answers the audience on first launch, created: false on relaunch with a new config', async () => {
    const linkedin = fake();
    await withEngine(env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const first = await launchStep(env.client, engine.taskQueue, stepIds(engine), aConfig());
      expect(first.result).toEqual({ created: true, audienceId: 'aud-1', audienceName: 'leads' });
      const again = await launchStep(env.client, engine.taskQueue, stepIds(engine), aConfig({ lastStep: true }));
      expect(again.result).toMatchObject({ created: false, audienceId: 'aud-1' });
      expect(again.handle.workflowId).toBe(first.handle.workflowId);
      await enter(again.handle, entry(3));
      expect((await metrics(again.handle)).metrics).toMatchObject({ entered: 3, exited: 3, proceeded: 0 });
    });
  });

  it('refuses with the partner reason, and the step is not left running', async () => {
    const linkedin = fake();
    await withEngine(env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      linkedin.revokedThrough = 1; // the partner rejects the connection's token
      const err = await launched(engine).catch((e: unknown) => e);
      expect(err).toMatchObject({ cause: { type: 'token_invalid' } });
      const described = await env.client.workflow.getHandle(`step:${engine.workspaceId}:canvas-1:step-1`).describe();
      expect(described.status.name).toBe('COMPLETED');
    });
  });
});

describe('Pause on invalid token (dev server)', () => {
  it('stops a batch that is waiting out a rate limit as soon as another batch finds the token invalid', async () => {
    const linkedin = fake();
    await withEngine(env, { linkedin }, async (engine) => {
      const connection = await connect(engine, 'linkedin');
      const step = await launched(engine);
      // Batch 1 retries every second; batch 2 was told to come back in 10 minutes.
      linkedin.behaviour = (call) => {
        throw rateLimited(call.batchId.endsWith(':batch:2') ? 10 * 60_000 : 1_000);
      };
      await enter(step, entry(5_000));
      await enter(step, entry(5_000));
      await until(step, () => new Set(linkedin.calls.map((c) => c.batchId)).size === 2, 30_000);
      linkedin.revokedThrough = 1; // batch 1's next attempt finds the token revoked
      await until(step, (v) => v.state === 'paused_invalid_token', 30_000);
      const batch2 = env.client.workflow.getHandle(`${step.workflowId}:batch:2`);
      await expect
        .poll(async () => (await batch2.describe()).raw.pendingActivities?.length ?? 0, { timeout: 10_000 })
        .toBe(0);
      const calls = linkedin.calls.length;
      await new Promise((r) => setTimeout(r, 3_000));
      expect(linkedin.calls).toHaveLength(calls); // nothing is sent while paused

      linkedin.behaviour = (call) => ({ synced: call.rows.length, invalid: 0 });
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2' });
      // Batch 2 resumes at once with the new token, not 10 minutes later.
      const view = await until(step, (v) => v.metrics.synced === 10_000, 30_000);
      expect(view.state).toBe('active');
    });
  });
});
