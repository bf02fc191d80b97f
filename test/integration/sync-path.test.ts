import { packRows } from '../../domain/rows.js';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { toRow } from '../../partners/identifiers.js';
import { createPartners } from '../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { launchStep } from '../../src/temporal/steps.js';
import { connectionWorkflowId, partnerTaskQueue } from '../../domain/ids.js';
import { connectionQuery, setCredentialsSignal, usersEnteredSignal } from '../../domain/messages.js';
import type { Row } from '../../domain/types.js';
import { metrics, until } from '../helpers/engine.js';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { partner } from '../helpers/partners.js';

// The whole path below the HTTP API: Step → Batch → real activity → LinkedIn adapter → sandbox.
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
});
afterAll(async () => {
  await sandbox?.close();
  await env?.teardown();
});

async function withService<T>(fn: (taskQueue: string, workspaceId: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('path');
  const partners = createPartners({ sandboxUrl: sandbox.url, env: {} });
  const activities = createActivities({
    client: new Client({ connection: env.connection }),
    partners,
    workflowTaskQueue: taskQueue,
  });
  const workers = [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('harness').workflowBundlePath },
    }),
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: partnerTaskQueue(taskQueue, 'linkedin'),
      activities,
    }),
  ];
  const runs = workers.map((w) => w.run());
  try {
    return await fn(taskQueue, `ws-${taskQueue.slice(-8)}`);
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.allSettled(runs);
  }
}

const rowsFor = (n: number, from = 0): Row[] =>
  Array.from({ length: n }, (_, i) => toRow(partner('linkedin'), ['email'], { email: `User${from + i}@Example.com` })!);

describe('sync path against the sandbox LinkedIn (dev server)', () => {
  it(
    'syncs 12,000 users, pauses on a revoked token without calling, and resumes on a new token',
    { timeout: 90_000 },
    async () => {
      await withService(async (taskQueue, workspaceId) => {
        const token = sandbox.state.newToken();
        const connection = await env.client.workflow.start('connectionWorkflow', {
          taskQueue,
          workflowId: connectionWorkflowId(workspaceId, 'linkedin'),
          args: [{ workspaceId, partner: 'linkedin', credentials: { accessToken: token } }],
        });
        const { result, handle: step } = await launchStep(
          env.client,
          taskQueue,
          { workspaceId, canvasId: 'c', stepId: 's' },
          {
            partner: 'linkedin',
            adAccountId: '501',
            audience: { name: `leads-${workspaceId}`, create: true },
            action: 'add',
            fields: ['email'],
            lastStep: false,
          },
        );
        expect(result.audienceId).toBeTruthy();

        const rows = rowsFor(12_000);
        await step.signal(usersEnteredSignal, {
          idempotencyKey: 'a',
          enteredAt: Date.now(),
          notSynced: {},
          rows: packRows(rows.slice(0, 6_000)),
        });
        await step.signal(usersEnteredSignal, {
          idempotencyKey: 'b',
          enteredAt: Date.now(),
          notSynced: {},
          rows: packRows(rows.slice(6_000)),
        });
        await until(step, (v) => v.metrics.synced === 12_000, 30_000);
        const members = sandbox.state.audiencesOf('linkedin').get(result.audienceId!)!.members;
        expect(members.size).toBe(12_000);

        // The partner revokes the token: the step pauses, and nothing more reaches the partner.
        sandbox.state.revokedTokens.add(token);
        await step.signal(usersEnteredSignal, {
          idempotencyKey: 'c',
          enteredAt: Date.now(),
          notSynced: {},
          rows: packRows(rowsFor(500, 20_000)),
        });
        await until(step, (v) => v.state === 'paused_invalid_token', 30_000);
        expect(await connection.query(connectionQuery)).toMatchObject({ status: 'invalid_token' });
        const requests = sandbox.state.statsOf('linkedin').requests;
        await step.signal(usersEnteredSignal, {
          idempotencyKey: 'd',
          enteredAt: Date.now(),
          notSynced: {},
          rows: packRows(rowsFor(500, 30_000)),
        });
        await new Promise((r) => setTimeout(r, 7_000));
        expect(sandbox.state.statsOf('linkedin').requests).toBe(requests);
        expect((await metrics(step)).metrics).toMatchObject({ pending: 1_000, synced: 12_000 });

        await connection.signal(setCredentialsSignal, { accessToken: sandbox.state.newToken() });
        const view = await until(step, (v) => v.metrics.synced === 13_000, 30_000);
        expect(view.state).toBe('active');
        expect(members.size).toBe(13_000);
      });
    },
  );
});
