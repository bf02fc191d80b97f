import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { setTimeout } from 'node:timers/promises';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import * as productWorkflows from '../../workflows/index.js';
import { connectionWorkflowId, rateLimiterWorkflowId, workspaceWorkflowId } from '../../domain/ids.js';
import { leaseLanesUpdate, setCredentialsSignal, stopSignal } from '../../domain/messages.js';
import { rateLimiterWorkflow } from '../../workflows/rate-limiter.js';
import { launchStep } from '../../src/temporal/steps.js';
import { consumeOAuthStateUpdate, workspaceQuery, workspaceWorkflow } from '../../workflows/workspace.js';
import {
  FakePartner,
  aConfig,
  transient,
  connect,
  enter,
  entry,
  launched,
  stepIds,
  until,
  withEngine,
  type Engine,
} from '../helpers/engine.js';
import { decodeHistory, encodeHistory, replay, replayResults } from '../helpers/history.js';
import { connectDevServer, timeSkippingServerPerTest, uniqueTaskQueue } from '../helpers/temporal.js';

const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const NONDETERMINISTIC_WORKFLOWS = fileURLToPath(new URL('../fixtures/nondeterministic/index.ts', import.meta.url));

/**
 * Recordings are kept, never replaced: a history recorded before a change must still replay (the
 * workflows it stands for may still be running), and so must one recorded after it. Recordings
 * are named `<scenario>.<RECORDED_WITH>.binpb`; when workflow code changes behind a new
 * `patched()`, or what it carries changes shape, set RECORDED_WITH to a name for the change and
 * record again. 'baseline' is the code with no patches (no deployment ran anything older).
 */
const RECORDED_WITH = 'baseline';

/** The search attributes each upsert of a history wrote, in order (the patch's own TemporalChangeVersion left out). */
function upserts(h: temporal.api.history.v1.IHistory): Record<string, unknown>[] {
  return (h.events ?? []).flatMap((e) => {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) return [];
    const written = Object.entries(fields)
      .filter(([name]) => name !== 'TemporalChangeVersion')
      .map(([name, payload]) => [name, defaultPayloadConverter.fromPayload(payload)]);
    return written.length ? [Object.fromEntries(written)] : [];
  });
}

interface Recorded {
  file: string;
  workflowId: string;
  history: temporal.api.history.v1.History;
}

async function recorded(): Promise<Recorded[]> {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.binpb'));
  // Workflow ids matter in replay (a step names its batches after itself): kept beside the files.
  const ids = JSON.parse(await readFile(`${DIR}workflow-ids.json`, 'utf8')) as Record<string, string>;
  return Promise.all(
    files.map(async (f) => ({ file: f, workflowId: ids[f] ?? f, history: decodeHistory(await readFile(DIR + f)) })),
  );
}

const workflowTypeOf = (h: temporal.api.history.v1.IHistory) =>
  h.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

// While recording, the histories are being rewritten: they are replayed by the next run, not this one.
describe.skipIf(process.env.RECORD_HISTORIES)('replay', () => {
  it('has recorded histories of every workflow type the worker runs', async () => {
    const types = new Set((await recorded()).map((r) => workflowTypeOf(r.history)));
    expect([...types].sort()).toEqual(Object.keys(productWorkflows).sort());
  });

  // The check that matters most under Worker Versioning: Step, Connection and Workspace auto-upgrade,
  // so each build replays the histories of the builds before it (docs/operations.md, "Changing workflow code").
  it('fails a deliberately incompatible change with DeterminismViolationError (a timer the histories never started)', async () => {
    const histories = await recorded(); // whatever test/fixtures/histories/*.binpb holds
    const steps = new Set(
      histories.filter((h) => workflowTypeOf(h.history) === 'stepWorkflow').map((h) => h.workflowId),
    );
    expect(steps.size).toBeGreaterThan(0);
    const results = await replayResults(histories, NONDETERMINISTIC_WORKFLOWS);
    expect(results).toHaveLength(histories.length);
    for (const r of results) {
      if (steps.has(r.workflowId)) {
        // Every Step history fails, with the SDK's non-determinism error…
        expect(r.error, r.workflowId).toBeInstanceOf(DeterminismViolationError);
        expect(r.error?.message, r.workflowId).toMatch(/nondetermin/i);
      } else {
        // …and the types the change left alone still replay.
        expect(r.error, r.workflowId).toBeUndefined();
      }
    }
  }, 120_000);

  it('replays every recorded history in test/fixtures/histories without non-determinism', async () => {
    const histories = await recorded();
    expect(histories.length).toBeGreaterThanOrEqual(11);
    // The long paths: a step run that continued as new with batches out, and the run after it.
    for (const scenario of ['step-continued-with-batches-out', 'step-after-continue-as-new'])
      expect(
        histories.some((h) => h.file.startsWith(`${scenario}.`)),
        scenario,
      ).toBe(true);
    expect(await replay(histories)).toEqual([]);
    // Every change of state is written as it happens, and only then.
    const byPatch = (_: boolean) => histories;
    const step = byPatch(true).find((h) => h.file.startsWith('step-pause-resume-stop.'))!;
    expect(upserts(step.history)).toEqual([
      { SyncState: 'creating_audience' },
      { SyncState: 'active', Partner: 'linkedin' },
      { SyncState: 'paused_invalid_token' },
      { SyncState: 'active' },
      { SyncState: 'stopping' },
      { SyncState: 'stopped' },
    ]);
    const connection = byPatch(true).find((h) => h.file.startsWith('connection-'))!;
    expect(upserts(connection.history)).toEqual([{ WorkspaceId: expect.any(String), Partner: 'linkedin' }]);
  });
});

/**
 * `RECORD_HISTORIES=1 npm test -- test/workflows/replay.test.ts` writes fixtures from the
 * scenarios below, named after RECORDED_WITH (it overwrites only recordings of the same code);
 * commit them when workflow code changes on purpose (with `patched()`). The replay checks above
 * are skipped while recording; run the file again without the variable to replay what was written.
 */
describe.runIf(process.env.RECORD_HISTORIES)('record histories', () => {
  const ts = timeSkippingServerPerTest();

  async function save(engine: Engine | Client, scenario: string, workflowId: string, runId?: string): Promise<void> {
    const client = engine instanceof Client ? engine : engine.env.client;
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const file = `${scenario}.${RECORDED_WITH}.binpb`;
    await writeFile(DIR + file, encodeHistory(history));
    const idsFile = `${DIR}workflow-ids.json`;
    const ids = JSON.parse(await readFile(idsFile, 'utf8').catch(() => '{}')) as Record<string, string>;
    ids[file] = workflowId;
    await writeFile(idsFile, JSON.stringify(ids, null, 2) + '\n');
  }

  it('a step that pauses on an invalid token, resumes, and stops', async () => {
    const linkedin = new FakePartner(() => ts.env.currentTimeMs());
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await connect(engine, 'linkedin');
      const step = await launched(engine);
      linkedin.revokedThrough = 1;
      await enter(step, entry(120, { notSynced: { missing_fields: 3 } }));
      await ts.env.sleep('6 seconds');
      await until(step, (v) => v.state === 'paused_invalid_token');
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2' });
      await ts.env.sleep('1 second');
      await until(step, (v) => v.metrics.synced === 120);
      await enter(step, entry(30));
      await step.signal(stopSignal);
      await step.result();
      await save(engine, 'step-pause-resume-stop', step.workflowId);
      await save(engine, 'batch-paused-then-synced', `${step.workflowId}:batch:1`);
      await save(engine, 'connection-invalid-then-reconnected', connectionWorkflowId(engine.workspaceId, 'linkedin'));
    });
  });

  it('a step whose batches retry and error', async () => {
    const linkedin = new FakePartner(() => ts.env.currentTimeMs(), {
      maxUsersPerRequest: 50,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection',
    });
    linkedin.behaviour = (call) => {
      if (call.batchId.endsWith(':batch:2')) throw transient();
      return { synced: call.rows.length - 1, invalid: 1 };
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      await enter(step, entry(130));
      await ts.env.sleep('14 hours');
      await until(step, (v) => v.metrics.pending === 0);
      await save(engine, 'step-retries-and-errors', step.workflowId);
      await save(engine, 'batch-retries-exhausted', `${step.workflowId}:batch:2`);
      await save(engine, 'batch-two-requests', `${step.workflowId}:batch:1`);
    });
  });

  it('a Pinterest step whose first records make its list', async () => {
    const pinterest = new FakePartner(() => ts.env.currentTimeMs(), {
      maxUsersPerRequest: 100,
      createsAudienceWithFirstRecords: true,
      rateLimitScope: 'connection',
    });
    pinterest.audienceId = null;
    pinterest.behaviour = (call) => ({
      synced: call.rows.length,
      invalid: 0,
      ...(call.audienceId ? {} : { audienceId: 'list-1' }),
    });
    await withEngine(ts.env, { pinterest }, async (engine) => {
      await connect(engine, 'pinterest');
      const step = await launched(engine, aConfig({ partner: 'pinterest' }));
      await enter(step, entry(900));
      await until(step, (v) => v.metrics.synced === 900);
      await save(engine, 'step-pinterest-list-made-by-first-records', step.workflowId);
    });
  });

  it('a step that continues as new with batches still retrying', async () => {
    const linkedin = new FakePartner(() => ts.env.currentTimeMs(), {
      maxUsersPerRequest: 10,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection',
    });
    const attempts: Record<string, number> = {};
    linkedin.behaviour = (call) => {
      attempts[call.batchId] = (attempts[call.batchId] ?? 0) + 1;
      if (attempts[call.batchId] === 1) throw transient(); // every request fails once: batches stay out
      return { synced: call.rows.length, invalid: 0 };
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const ids = stepIds(engine);
      const { handle: step } = await launchStep(engine.env.client, engine.taskQueue, ids, aConfig(), 'connection', {
        maxChildrenPerRun: 3,
      });
      const firstRunId = (await step.describe()).runId;
      await enter(step, entry(200));
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.synced === 200);
      expect(view.metrics.pending).toBe(0);
      const latest = (await step.describe()).runId;
      expect(latest).not.toBe(firstRunId);
      await save(engine, 'step-continued-with-batches-out', step.workflowId, firstRunId);
      await save(engine, 'step-after-continue-as-new', step.workflowId, latest);
    });
  });

  // Update-with-start is served by the dev server (not the time-skipping one); these need no time skips.
  it('a rate limiter whose lanes are leased and given back, continuing as new; a workspace that uses an OAuth state', async () => {
    const env = await connectDevServer();
    const taskQueue = uniqueTaskQueue('record');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('harness').workflowBundlePath },
    });
    try {
      await worker.runUntil(async () => {
        const key = 'linkedin:ws-record';
        const limiterId = rateLimiterWorkflowId(taskQueue, key);
        let firstRunId: string | undefined;
        for (let i = 0; i < 3; i++) {
          const start = new WithStartWorkflowOperation(rateLimiterWorkflow, {
            workflowId: limiterId,
            taskQueue,
            args: [{ key, maxSlotsPerRun: 3 }],
            workflowIdConflictPolicy: 'USE_EXISTING',
          });
          const now = Date.now();
          await env.client.workflow.executeUpdateWithStart(leaseLanesUpdate, {
            args: [{ holder: 'h', now, limit: 2, windowMs: 1_000, want: 1, held: 0, returned: i ? [now + 1_000] : [] }],
            startWorkflowOperation: start,
          });
          firstRunId ??= (await (await start.workflowHandle()).describe()).runId;
        }
        const limiter = env.client.workflow.getHandle(limiterId, firstRunId);
        for (let i = 0; i < 100 && (await limiter.describe()).status.name === 'RUNNING'; i++) await setTimeout(50);
        expect((await limiter.describe()).status.name).toBe('CONTINUED_AS_NEW');
        await save(env.client, 'rate-limiter-lanes-then-continue', limiterId, firstRunId);

        const workspaceId = 'ws-record';
        const workspace = await env.client.workflow.start(workspaceWorkflow, {
          workflowId: `${workspaceWorkflowId(workspaceId)}:${taskQueue}`,
          taskQueue,
          args: [{ id: workspaceId, name: 'Record', keyHash: 'a'.repeat(64), createdAt: new Date(0).toISOString() }],
        });
        const state = { nonce: 'nonce-1', expiresAt: Date.now() + 600_000 };
        await workspace.executeUpdate(consumeOAuthStateUpdate, { args: [state] });
        await expect(workspace.executeUpdate(consumeOAuthStateUpdate, { args: [state] })).rejects.toThrow();
        expect((await workspace.query(workspaceQuery)).name).toBe('Record');
        await workspace.terminate('recorded');
        await save(env.client, 'workspace-oauth-state-used-once', workspace.workflowId);
      });
    } finally {
      await env.teardown();
    }
  }, 60_000);
});
