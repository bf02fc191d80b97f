import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { setTimeout } from 'node:timers/promises';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import * as productWorkflows from '../../workflows/index.js';
import { connectionWorkflowId, rateLimiterWorkflowId, workspaceWorkflowId } from '../../workflows/ids.js';
import { setCredentialsSignal, stopSignal } from '../../workflows/messages.js';
import { leaseLanesUpdate, rateLimiterWorkflow } from '../../workflows/rate-limiter.js';
import { consumeOAuthStateUpdate, workspaceQuery, workspaceWorkflow } from '../../workflows/workspace.js';
import {
  FakePartner,
  aConfig,
  transient,
  connect,
  enter,
  entry,
  launched,
  until,
  withEngine,
  type Engine,
} from '../helpers/engine.js';
import { decodeHistory, encodeHistory, replay } from '../helpers/history.js';
import { connectDevServer, timeSkippingServerPerTest, uniqueTaskQueue } from '../helpers/temporal.js';

const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const NONDETERMINISTIC_WORKFLOWS = fileURLToPath(new URL('../fixtures/nondeterministic/index.ts', import.meta.url));

/**
 * Recordings are kept, never replaced: a history recorded before a patch must still replay (the
 * workflows it stands for may still be running), and so must one recorded after it. New
 * recordings are named `<scenario>.<RECORDED_WITH>.binpb`; when workflow code changes behind a
 * new `patched()`, or what it carries changes shape, set RECORDED_WITH to a name for the change
 * and record again. The unsuffixed files predate the first patch ('search-attributes');
 * 'packed-rows' carry rows as one string (workflows/rows.ts) where older ones carry arrays;
 * 'packed-sizing' weigh them as sent; 'list-maker-alone' send a Pinterest list's first request alone;
 * 'slot-round-trip' ask the rate limiter for slots with their round trip; 'requests-side-by-side'
 * send a batch's requests together once its list exists; 'rate-lanes' lease the rate limiter's lanes.
 */
const RECORDED_WITH = 'rate-lanes';

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

  it('fails a deliberately non-deterministic change (a timer the histories never started)', async () => {
    const histories = await recorded();
    const errors = await replay(histories, NONDETERMINISTIC_WORKFLOWS);
    const steps = histories.filter((h) => workflowTypeOf(h.history) === 'stepWorkflow');
    expect(steps.length).toBeGreaterThanOrEqual(3);
    // Every Step history fails, with the SDK's non-determinism error; the unchanged types still replay.
    expect(errors).toHaveLength(steps.length);
    for (const e of errors) expect(e).toMatch(/nondetermin/i);
    for (const step of steps)
      expect(
        errors.some((e) => e.startsWith(`${step.workflowId}: `)),
        step.file,
      ).toBe(true);
  }, 120_000);

  it('replays every recorded history in test/fixtures/histories without non-determinism', async () => {
    const histories = await recorded();
    expect(histories.length).toBeGreaterThanOrEqual(12);
    expect(await replay(histories)).toEqual([]);
    // Both sides of each change are replayed: histories from before search attributes (no upserts)
    // and after; from before batches carried several requests, and after; rows as arrays, and packed.
    for (const change of [
      'batch-several-requests',
      'packed-rows',
      'packed-sizing',
      'list-maker-alone',
      'requests-side-by-side',
      'rate-lanes',
    ])
      expect(histories.filter((h) => h.file.includes(`.${change}.`)).length).toBeGreaterThanOrEqual(7);
    const withSearchAttributes = (file: string) => file.split('.').length > 2; // every suffix came after it
    const byPatch = (suffix: boolean) => histories.filter((h) => withSearchAttributes(h.file) === suffix);
    for (const h of byPatch(false)) expect(upserts(h.history), h.file).toEqual([]);
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
