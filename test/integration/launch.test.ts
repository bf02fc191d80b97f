import { packRows } from '../../domain/rows.js';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { toRow } from '../../partners/identifiers.js';
import { createPartners } from '../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { launchStep } from '../../src/temporal/steps.js';
import { connectionWorkflowId, partnerTaskQueue } from '../../domain/ids.js';
import { usersEnteredSignal } from '../../domain/messages.js';
import type { PartnerId, StepConfig } from '../../domain/types.js';
import { until } from '../helpers/engine.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { PARTNER_IDS, partner } from '../helpers/partners.js';

// Launch against the sandbox partners, the whole path below the HTTP API (dev server): the
// partner's reasons to refuse are found before anything is created, and Pinterest's list is
// created with the first batch.
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let taskQueue: string;
let workers: Worker[] = [];
let runs: Promise<void>[] = [];

beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  taskQueue = uniqueTaskQueue('launch');
  const partners = createPartners({ sandboxUrl: sandbox.url, env: { PINTEREST_USERS_PER_REQUEST: '1000' } });
  const activities = createActivities({
    client: new Client({ connection: env.connection }),
    partners,
    workflowTaskQueue: taskQueue,
  });
  workers = [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('harness').workflowBundlePath },
    }),
    ...(await Promise.all(
      PARTNER_IDS.map((p) =>
        Worker.create({ connection: env.nativeConnection, taskQueue: partnerTaskQueue(taskQueue, p), activities }),
      ),
    )),
  ];
  runs = workers.map((w) => w.run());
});
afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.allSettled(runs);
  await sandbox?.close();
  await env?.teardown();
});
afterEach(() => sandbox.state.reset());

let seq = 0;
/** A workspace of its own, connected to `partner` with a fresh sandbox token. */
async function connected(partner: PartnerId): Promise<string> {
  const workspaceId = `ws-${++seq}-${taskQueue.slice(-8)}`;
  await env.client.workflow.start('connectionWorkflow', {
    taskQueue,
    workflowId: connectionWorkflowId(workspaceId, partner),
    args: [{ workspaceId, partner, credentials: { accessToken: sandbox.state.newToken() } }],
  });
  return workspaceId;
}

const config = (over: Partial<StepConfig>): StepConfig => ({
  partner: 'facebook',
  adAccountId: '601',
  audience: { name: 'leads', create: true },
  action: 'add',
  fields: ['email'],
  lastStep: false,
  ...over,
});

/** The refusal of a launch: its first reason's code, and every reason. */
async function refusal(partner: PartnerId, over: Partial<StepConfig>) {
  const workspaceId = await connected(partner);
  const err = await launchStep(
    env.client,
    taskQueue,
    { workspaceId, canvasId: 'c', stepId: 's' },
    config({ partner, ...over }),
  ).then(
    () => {
      throw new Error('the launch was not refused');
    },
    (e: unknown) => e as { cause?: { type?: string; details?: { code: string }[] } },
  );
  return { code: err.cause?.type, reasons: (err.cause?.details ?? []).map((d) => d.code) };
}

const audiences = (partner: PartnerId) => [...sandbox.state.audiencesOf(partner).values()];

describe('launch checks against the sandbox partners', () => {
  it(
    'refuses a Facebook ad account without the Custom Audience terms, and one at its 500-audience limit, creating nothing',
    { timeout: 60_000 },
    async () => {
      // Every token's second ad account has not accepted the terms.
      expect(await refusal('facebook', { adAccountId: '602' })).toEqual({
        code: 'terms_not_accepted',
        reasons: ['terms_not_accepted'],
      });
      await sandboxControl(() => sandbox.url, 'facebook')('/ad-accounts/601', { audienceCount: 500 });
      expect(await refusal('facebook', {})).toMatchObject({ code: 'audience_limit_reached' });
      await sandboxControl(() => sandbox.url, 'facebook')('/ad-accounts/602', { audienceCount: 500 });
      expect(await refusal('facebook', { adAccountId: '602' })).toEqual({
        code: 'terms_not_accepted',
        reasons: ['terms_not_accepted', 'audience_limit_reached'],
      });
      expect(audiences('facebook')).toEqual([]);
    },
  );

  it(
    'syncs into an existing audience of that name even at the limit, but never into a value-based one',
    { timeout: 60_000 },
    async () => {
      const existing = sandbox.state.createAudience('facebook', '601', 'leads');
      await sandboxControl(() => sandbox.url, 'facebook')('/ad-accounts/601', { audienceCount: 500 });
      const workspaceId = await connected('facebook');
      const { result } = await launchStep(
        env.client,
        taskQueue,
        { workspaceId, canvasId: 'c', stepId: 's' },
        config({}),
      );
      expect(result.audienceId).toBe(existing.id);

      const valueBased = sandbox.state.createAudience('facebook', '601', 'ltv', true);
      expect(await refusal('facebook', { audience: { id: valueBased.id } })).toMatchObject({
        code: 'value_based_audience_unsupported',
      });
    },
  );

  it(
    'refuses an audience that does not exist, and an ad account the connection cannot see',
    { timeout: 60_000 },
    async () => {
      expect(await refusal('linkedin', { adAccountId: '501', audience: { id: '999999' } })).toMatchObject({
        code: 'audience_not_found',
      });
      expect(await refusal('tiktok', { adAccountId: '7001', audience: { name: 'nope', create: false } })).toMatchObject(
        {
          code: 'audience_not_found',
        },
      );
      expect(await refusal('linkedin', { adAccountId: '999' })).toMatchObject({ code: 'ad_account_unavailable' });
      expect(audiences('linkedin')).toEqual([]);
    },
  );

  it(
    'refuses what the partner cannot do, with every other reason at once: TikTok removals, a Pinterest list of two identifier kinds, a LinkedIn first name alone',
    { timeout: 60_000 },
    async () => {
      expect(await refusal('tiktok', { adAccountId: '7001', action: 'remove' })).toMatchObject({
        code: 'remove_not_supported',
      });
      expect(
        await refusal('tiktok', { adAccountId: '7001', action: 'remove', audience: { name: 'nope', create: false } }),
      ).toEqual({ code: 'remove_not_supported', reasons: ['remove_not_supported', 'audience_not_found'] });
      expect(await refusal('pinterest', { adAccountId: '5490001', fields: ['email', 'gaid'] })).toMatchObject({
        code: 'field_not_supported',
      });
      expect(await refusal('linkedin', { adAccountId: '501', fields: ['email', 'firstName'] })).toMatchObject({
        code: 'field_not_supported',
      });
      expect([...audiences('tiktok'), ...audiences('pinterest'), ...audiences('linkedin')]).toEqual([]);
    },
  );

  it(
    'creates the Pinterest list with the first batch, once, and syncs every user into it',
    { timeout: 60_000 },
    async () => {
      const workspaceId = await connected('pinterest');
      const { result, handle } = await launchStep(
        env.client,
        taskQueue,
        { workspaceId, canvasId: 'c', stepId: 's' },
        config({ partner: 'pinterest', adAccountId: '5490001', audience: { name: 'pins', create: true } }),
      );
      expect(result.audienceId).toBeNull();
      expect(audiences('pinterest')).toEqual([]);
      const rows = Array.from({ length: 3_500 }, (_, i) =>
        toRow(partner('pinterest'), ['email'], { email: `p${i}@example.com` })!,
      );
      await handle.signal(usersEnteredSignal, {
        idempotencyKey: 'k',
        enteredAt: Date.now(),
        notSynced: {},
        rows: packRows(rows),
      });
      const view = await until(handle, (v) => v.metrics.synced === 3_500, 30_000);
      const [list, ...others] = audiences('pinterest');
      expect(others).toEqual([]);
      expect(view.audience).toEqual({ id: list!.id, name: 'pins' });
      expect([...list!.members.values()].map((m) => m.email).sort()).toEqual(rows.map((r) => r[0]).sort());
    },
  );
});
