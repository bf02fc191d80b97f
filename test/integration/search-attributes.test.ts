import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { connectionWorkflow } from '../../workflows/connection.js';
import { connectionWorkflowId } from '../../domain/ids.js';
import { stopSignal, tokenInvalidSignal } from '../../domain/messages.js';
import { CanvasIdKey, PartnerKey, StepIdKey, SyncStateKey, WorkspaceIdKey } from '../../domain/search-attributes.js';
import type { stepWorkflow } from '../../workflows/step.js';
import type { PartnerId } from '../../domain/types.js';
import { FakePartner, aConfig, launched, until, withEngine, type Engine } from '../helpers/engine.js';
import { connectDevServer } from '../helpers/temporal.js';

// Operators find steps by workspace, partner and state in the Web UI: the run's dev server
// registers the attributes as `npm start`'s does, and visibility answers list queries on them.
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectDevServer();
});
afterAll(async () => {
  await env?.teardown();
});

const fake = () => new FakePartner(() => Promise.resolve(Date.now()));

function connectWorkspace(engine: Engine, workspaceId: string, partner: PartnerId) {
  return engine.env.client.workflow.start<typeof connectionWorkflow>('connectionWorkflow', {
    taskQueue: engine.taskQueue,
    workflowId: connectionWorkflowId(workspaceId, partner),
    args: [{ workspaceId, partner, credentials: { accessToken: 'token-1' } }],
  });
}

/** The ids of the workflows `query` lists, once it has listed `expected` (visibility is eventually consistent). */
async function listed(query: string, expected: string[]): Promise<string[]> {
  let ids: string[] = [];
  await expect
    .poll(
      async () => {
        ids = [];
        for await (const w of env.client.workflow.list({ query })) ids.push(w.workflowId);
        return ids.sort();
      },
      { timeout: 10_000, interval: 200 },
    )
    .toEqual([...expected].sort());
  return ids;
}

async function syncState(step: WorkflowHandle<typeof stepWorkflow>): Promise<string | undefined> {
  return (await step.describe()).typedSearchAttributes.get(SyncStateKey);
}

describe('search attributes (dev server)', () => {
  it('finds a workspace’s paused TikTok step by WorkspaceId, Partner and SyncState, and reads stopped after stop', async () => {
    await withEngine(env, { linkedin: fake(), tiktok: fake() }, async (engine) => {
      const x = engine.workspaceId;
      const y = `${x}-y`;
      const tiktokX = await connectWorkspace(engine, x, 'tiktok');
      await connectWorkspace(engine, x, 'linkedin');
      await connectWorkspace(engine, y, 'tiktok');
      const tiktok = aConfig({ partner: 'tiktok' });
      const [liStep, ttStep, ttStepY] = await Promise.all([
        launched(engine, aConfig(), { workspaceId: x, canvasId: 'canvas-1', stepId: 'li' }),
        launched(engine, tiktok, { workspaceId: x, canvasId: 'canvas-1', stepId: 'tt' }),
        launched(engine, tiktok, { workspaceId: y, canvasId: 'canvas-1', stepId: 'tt' }),
      ]);

      // Set at start (ids) and by the step (Partner, SyncState), read back as the Web UI shows them.
      await expect.poll(() => syncState(ttStep), { timeout: 10_000 }).toBe('active');
      const attrs = (await ttStep.describe()).typedSearchAttributes;
      expect([WorkspaceIdKey, CanvasIdKey, StepIdKey, PartnerKey].map((k) => attrs.get(k))).toEqual([
        x,
        'canvas-1',
        'tt',
        'tiktok',
      ]);
      await listed(`WorkspaceId = "${x}" AND SyncState = "active"`, [liStep.workflowId, ttStep.workflowId]);
      // Connections carry WorkspaceId and Partner too (set by the workflow itself).
      await listed(`WorkspaceId = "${x}" AND Partner = "tiktok" AND WorkflowType = "connectionWorkflow"`, [
        tiktokX.workflowId,
      ]);

      // X's TikTok token is rejected: its step pauses, X's LinkedIn step and Y's TikTok step do not.
      await tiktokX.signal(tokenInvalidSignal, { generation: 1, message: 'The token was revoked.' });
      await until(ttStep, (v) => v.state === 'paused_invalid_token');
      await listed(`WorkspaceId = "${x}" AND Partner = "tiktok" AND SyncState = "paused_invalid_token"`, [
        ttStep.workflowId,
      ]);
      await listed(`Partner = "tiktok" AND SyncState = "active" AND WorkspaceId IN ("${x}", "${y}")`, [
        ttStepY.workflowId,
      ]);

      await ttStep.signal(stopSignal);
      await ttStep.result();
      expect(await syncState(ttStep)).toBe('stopped');
      await listed(`WorkspaceId = "${x}" AND SyncState = "stopped"`, [ttStep.workflowId]);
      await listed(`WorkspaceId = "${x}" AND SyncState = "paused_invalid_token"`, []);

      for (const step of [liStep, ttStepY]) await step.signal(stopSignal);
      await Promise.all([liStep.result(), ttStepY.result()]);
    });
  });
});
