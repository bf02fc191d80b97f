/**
 * Worker Versioning on the run's dev server (docs/operations.md, "Changing workflow code"): workers of build A
 * start workflows, a worker of build B comes up and becomes current; pinned runs finish on A,
 * auto-upgrade ones move to B. Each test has a deployment of its own (a deployment's current
 * version is shared by all its task queues).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { toRow } from '../../partners/identifiers.js';
import { packRows } from '../../domain/rows.js';
import { partner } from '../helpers/partners.js';
import { createPartners } from '../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { launchStep } from '../../src/temporal/steps.js';
import {
  adoptPinnedRuns,
  createWorkers,
  currentBuildId,
  drainWorkers,
  setCurrentVersion,
  startBuild,
  workflowBuildId,
} from '../../src/temporal/worker.js';
import { batchWorkflowId, connectionWorkflowId, rateLimiterWorkflowId, rateLimitKey } from '../../domain/ids.js';
import { leaseLanesUpdate, usersEnteredSignal } from '../../domain/messages.js';
import type { Row } from '../../domain/types.js';
import { rateLimiterWorkflow } from '../../workflows/rate-limiter.js';
import { consumeOAuthStateUpdate, workspaceWorkflow } from '../../workflows/workspace.js';
import { nextSignal } from '../fixtures/workflows/versioning.js';
import { until } from '../helpers/engine.js';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal.js';

const { VersioningBehavior } = proto.temporal.api.enums.v1;

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

interface Build {
  buildId: string;
  workers: Worker[];
  stop(): Promise<void>;
}

/** The product's workers (createWorkers) at build `buildId` of `deploymentName`, polling until stopped. */
async function startWorkers(
  deploymentName: string,
  taskQueue: string,
  buildId?: string,
  withLinkedIn = false,
): Promise<Build> {
  const partners = createPartners({ sandboxUrl: sandbox.url, env: {} });
  const { workers, connection, version } = await createWorkers({
    address: inject('harness').devServerAddress,
    namespace: 'default',
    taskQueue,
    partners: withLinkedIn ? ['linkedin'] : [],
    activities: createActivities({
      client: new Client({ connection: env.connection }),
      partners,
      workflowTaskQueue: taskQueue,
    }),
    workflowBundlePath: inject('harness').workflowBundlePath,
    versioning: { deploymentName, buildId },
  });
  const runs = workers.map((w) => w.run());
  let stopped = false;
  return {
    buildId: version!.buildId,
    workers,
    async stop() {
      if (stopped) return;
      stopped = true;
      await drainWorkers(workers, runs);
      await connection.close();
    },
  };
}

const uniqueDeployment = () => `versioning-test-${randomUUID().slice(0, 8)}`;

/** The build each workflow task of a run was completed by, in order. */
async function taskBuilds(handle: WorkflowHandle, runId?: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
  return (history.events ?? []).flatMap((e: temporal.api.history.v1.IHistoryEvent) => {
    const done = e.workflowTaskCompletedEventAttributes;
    return done ? [done.deploymentVersion?.buildId ?? 'unversioned'] : [];
  });
}

const versioningInfo = async (handle: WorkflowHandle) =>
  (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo ?? undefined;

/** Until the (latest) run's first workflow task is done: its behavior is the workflow's own from then on. */
async function started(handle: WorkflowHandle): Promise<void> {
  await expect.poll(async () => (await taskBuilds(handle)).length, { timeout: 10_000 }).toBeGreaterThan(0);
}

describe('Worker Versioning (dev server)', () => {
  it('pins a Batch-like run to build A; a Step-like one moves to build B once B is current', async () => {
    const deploymentName = uniqueDeployment();
    const taskQueue = uniqueTaskQueue('versioning');
    const a = await startWorkers(deploymentName, taskQueue, 'build-a');
    const builds: Build[] = [a];
    try {
      await setCurrentVersion(env.connection, 'default', { deploymentName, buildId: 'build-a' });
      const start = (id: string, type: string, args: unknown[]) =>
        env.client.workflow.start(type, { taskQueue, workflowId: `${id}-${taskQueue}`, args });
      const pinned = await start('batch-like', 'pinnedFixtureWorkflow', []);
      const upgrading = await start('step-like', 'upgradingFixtureWorkflow', [3]);
      const limiterLike = await start('limiter-like', 'pinnedContinuingFixtureWorkflow', [
        { runs: 2, upgradeOnContinueAsNew: true },
      ]);
      const inheriting = await start('inheriting', 'pinnedContinuingFixtureWorkflow', [
        { runs: 2, upgradeOnContinueAsNew: false },
      ]);
      for (const h of [pinned, upgrading, limiterLike, inheriting]) await started(h);
      expect((await versioningInfo(pinned))?.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
      expect((await versioningInfo(upgrading))?.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);

      // Build B comes up beside A and becomes current.
      builds.push(await startWorkers(deploymentName, taskQueue, 'build-b'));
      await setCurrentVersion(env.connection, 'default', { deploymentName, buildId: 'build-b' });
      expect(await currentBuildId(env.connection, 'default', deploymentName)).toBe('build-b');

      // Each `next` is a workflow task; each of the continuing ones then continues as new.
      const next = async (h: WorkflowHandle, times: number) => {
        const latest = env.client.workflow.getHandle(h.workflowId);
        for (let i = 0; i < times; i++) {
          const { runId } = await latest.describe();
          await latest.signal(nextSignal);
          if (i === times - 1) break;
          // The next run, once its first task is done (a signal sent sooner could reach the ending run).
          await expect.poll(async () => (await latest.describe()).runId, { timeout: 10_000 }).not.toBe(runId);
          await started(latest);
        }
      };
      await Promise.all([next(pinned, 1), next(upgrading, 3), next(limiterLike, 2), next(inheriting, 2)]);

      // Pinned: every task of the run on A, though B was current for the last.
      expect(await pinned.result()).toEqual(['build-a', 'build-a']);
      expect(new Set(await taskBuilds(pinned))).toEqual(new Set(['build-a']));
      // Auto-upgrade: the first run's next task already went to B, and so did every later run.
      expect(await env.client.workflow.getHandle(upgrading.workflowId).result()).toEqual([
        ['build-a', 'build-b'],
        ['build-b', 'build-b'],
        ['build-b', 'build-b'],
      ]);
      expect(await taskBuilds(upgrading, upgrading.firstExecutionRunId)).toEqual(['build-a', 'build-b']);
      // Pinned, continuing as new with initialVersioningBehavior AUTO_UPGRADE (the RateLimiter):
      // the run ends on A, the next one starts on B.
      expect(await env.client.workflow.getHandle(limiterLike.workflowId).result()).toEqual([
        ['build-a', 'build-a'],
        ['build-b', 'build-b'],
      ]);
      // Pinned, continuing as new without it: the next run inherits A.
      expect(await env.client.workflow.getHandle(inheriting.workflowId).result()).toEqual([
        ['build-a', 'build-a'],
        ['build-a', 'build-a'],
      ]);
    } finally {
      for (const b of builds) await b.stop();
    }
  }, 60_000);

  it('runs the product versioned: the Step moves to the current build, each Batch and the rate limiter stay on theirs', async () => {
    const deploymentName = uniqueDeployment();
    const taskQueue = uniqueTaskQueue('versioning');
    const workspaceId = `ws-${taskQueue.slice(-8)}`;
    // Without AUDIENCE_SYNC_BUILD_ID the build is the bundle's content hash.
    const a = await startWorkers(deploymentName, taskQueue, undefined, true);
    expect(a.buildId).toBe(workflowBuildId(await readFile(inject('harness').workflowBundlePath, 'utf8')));
    const builds: Build[] = [a];
    const rows = (n: number, from: number): Row[] =>
      Array.from({ length: n }, (_, i) =>
        toRow(partner('linkedin'), ['email'], { email: `v${from + i}@example.com` })!,
      );
    try {
      expect(
        await startBuild(
          env.connection,
          'default',
          { deploymentName, buildId: a.buildId },
          {
            setCurrent: true,
            adoptPinnedRuns: false,
          },
        ),
      ).toBe(`worker build ${a.buildId} of deployment ${deploymentName} (current)`);
      const connection = await env.client.workflow.start('connectionWorkflow', {
        taskQueue,
        workflowId: connectionWorkflowId(workspaceId, 'linkedin'),
        args: [{ workspaceId, partner: 'linkedin', credentials: { accessToken: sandbox.state.newToken() } }],
      });
      const { handle: step } = await launchStep(
        env.client,
        taskQueue,
        { workspaceId, canvasId: 'c', stepId: 's' },
        {
          partner: 'linkedin',
          adAccountId: '501',
          audience: { name: `v-${workspaceId}`, create: true },
          action: 'add',
          fields: ['email'],
          lastStep: false,
        },
      );
      const enter = (key: string, n: number, from: number) =>
        step.signal(usersEnteredSignal, {
          idempotencyKey: key,
          enteredAt: Date.now(),
          notSynced: {},
          rows: packRows(rows(n, from)),
        });
      await enter('a', 100, 0);
      await until(step, (v) => v.metrics.synced === 100, 30_000);
      const batch1 = env.client.workflow.getHandle(batchWorkflowId(step.workflowId, 1));
      expect((await versioningInfo(batch1))?.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
      expect((await versioningInfo(step))?.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
      expect((await versioningInfo(connection))?.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);

      // Build B (another build id, the same code) comes up beside A and becomes current. A stays
      // up: its pinned runs (here the partner key's rate limiter) still need it.
      builds.push(await startWorkers(deploymentName, taskQueue, 'build-b', true));
      await setCurrentVersion(env.connection, 'default', { deploymentName, buildId: 'build-b' });
      await enter('b', 100, 100);
      await until(step, (v) => v.metrics.synced === 200, 30_000);

      const stepBuilds = await taskBuilds(step);
      expect(stepBuilds[0]).toBe(a.buildId);
      expect(stepBuilds.at(-1)).toBe('build-b');
      expect(new Set(await taskBuilds(batch1))).toEqual(new Set([a.buildId]));
      const batch2 = env.client.workflow.getHandle(batchWorkflowId(step.workflowId, 2));
      expect(await versioningInfo(batch2)).toMatchObject({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
        deploymentVersion: { deploymentName, buildId: 'build-b' },
      });
      expect(new Set(await taskBuilds(batch2))).toEqual(new Set(['build-b']));
      // The partner key's rate limiter (pinned), started on A by the first batch's call, still runs
      // there and hands B's batch its slots: A drains once the limiter's run ends.
      const limiter = env.client.workflow.getHandle(
        rateLimiterWorkflowId(taskQueue, rateLimitKey('connection', 'linkedin', workspaceId, '501')),
      );
      expect(await versioningInfo(limiter)).toMatchObject({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
        deploymentVersion: { deploymentName, buildId: a.buildId },
      });
      for (const h of [limiter, step, connection]) await h.terminate('done');
    } finally {
      for (const b of builds) await b.stop();
    }
  }, 90_000);

  it('continues a pinned rate limiter as new on the current build; a workspace moves at its next task', async () => {
    const deploymentName = uniqueDeployment();
    const taskQueue = uniqueTaskQueue('versioning');
    const builds: Build[] = [await startWorkers(deploymentName, taskQueue, 'build-a')];
    try {
      await setCurrentVersion(env.connection, 'default', { deploymentName, buildId: 'build-a' });
      const workspace = await env.client.workflow.start(workspaceWorkflow, {
        taskQueue,
        workflowId: `workspace-${taskQueue}`,
        args: [{ id: 'w', name: 'W', keyHash: 'a'.repeat(64), createdAt: new Date(0).toISOString() }],
      });
      const key = 'linkedin:ws-versioning';
      const limiterId = rateLimiterWorkflowId(taskQueue, key);
      const acquire = () =>
        env.client.workflow.executeUpdateWithStart(leaseLanesUpdate, {
          args: [{ holder: 'h', now: Date.now(), limit: 10, windowMs: 1_000, want: 1, held: 0, returned: [] }],
          startWorkflowOperation: new WithStartWorkflowOperation(rateLimiterWorkflow, {
            workflowId: limiterId,
            taskQueue,
            args: [{ key, maxSlotsPerRun: 2 }],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
      await acquire(); // the first run's first slot, on A
      const firstRun = env.client.workflow.getHandle(limiterId);
      const firstRunId = (await firstRun.describe()).runId;
      await started(workspace);

      builds.push(await startWorkers(deploymentName, taskQueue, 'build-b'));
      await setCurrentVersion(env.connection, 'default', { deploymentName, buildId: 'build-b' });
      await acquire(); // its second and last slot: the run continues as new
      await expect.poll(async () => (await firstRun.describe()).runId, { timeout: 10_000 }).not.toBe(firstRunId);
      const nextRun = env.client.workflow.getHandle(limiterId);
      await started(nextRun);
      expect(new Set(await taskBuilds(firstRun, firstRunId))).toEqual(new Set(['build-a']));
      expect(await versioningInfo(nextRun)).toMatchObject({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
        deploymentVersion: { deploymentName, buildId: 'build-b' },
      });

      // The workspace's next task (an update) runs on B.
      await workspace.executeUpdate(consumeOAuthStateUpdate, {
        args: [{ nonce: 'n', expiresAt: Date.now() + 60_000 }],
      });
      expect(await taskBuilds(workspace)).toEqual(['build-a', 'build-b']);
      expect(await versioningInfo(workspace)).toMatchObject({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
        deploymentVersion: { deploymentName, buildId: 'build-b' },
      });
      await workspace.terminate('done');
      await nextRun.terminate('done');
    } finally {
      for (const b of builds) await b.stop();
    }
  });

  it('sandbox mode: a run pinned to an earlier build, whose workers are gone, is moved to the new one', async () => {
    const deploymentName = uniqueDeployment();
    const taskQueue = uniqueTaskQueue('versioning');
    const a = await startWorkers(deploymentName, taskQueue, 'build-a');
    const builds: Build[] = [a];
    try {
      await setCurrentVersion(env.connection, 'default', { deploymentName, buildId: 'build-a' });
      const pinned = await env.client.workflow.start('pinnedFixtureWorkflow', {
        taskQueue,
        workflowId: `stranded-${taskQueue}`,
      });
      await started(pinned);
      await a.stop(); // `npm start` stopped; the code changed
      // Visibility lists the run as pinned to build-a a moment after its task.
      await expect
        .poll(async () => (await env.client.workflow.count(`TemporalWorkerDeployment = '${deploymentName}'`)).count)
        .toBe(1);
      const b = await startWorkers(deploymentName, taskQueue, 'build-b');
      builds.push(b);
      expect(
        await startBuild(
          env.connection,
          'default',
          { deploymentName, buildId: 'build-b' },
          {
            setCurrent: true,
            adoptPinnedRuns: true,
          },
        ),
      ).toBe(
        `worker build build-b of deployment ${deploymentName} (current; 1 run(s) pinned to earlier builds moved to it)`,
      );
      await pinned.signal(nextSignal);
      expect(await pinned.result()).toEqual(['build-a', 'build-b']);
      // Nothing left to move.
      expect(await adoptPinnedRuns(env.connection, 'default', { deploymentName, buildId: 'build-b' })).toBe(0);
    } finally {
      for (const b of builds) await b.stop();
    }
  });
});
