import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRow } from '../../partners/identifiers.js';
import { packRows } from '../../domain/rows.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { launchStep } from '../../src/temporal/steps.js';
import { connectionWorkflowId } from '../../domain/ids.js';
import { usersEnteredSignal } from '../../domain/messages.js';
import type { Field, PartnerId } from '../../domain/types.js';
import { until } from '../helpers/engine.js';
import { withTwoWorkers } from '../helpers/partner-workers.js';
import { connectDevServer } from '../helpers/temporal.js';

// Partner rate limits held by the Temporal server (dev server, real time): per connection for
// LinkedIn, per app for TikTok, whatever the number of workers polling the partner's queue.
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

/** Small requests, so that many of them are cheap: the limit counts requests, not users. */
const USERS_PER_REQUEST = 50;
const overrides = (partner: PartnerId) => ({
  [`${partner.toUpperCase()}_USERS_PER_REQUEST`]: String(USERS_PER_REQUEST),
});
const REQUESTS_PER_STEP = 40;

/** Requests per second between a key's first and last request (its queue was never empty meanwhile). */
const backloggedRate = (k: { requests: number; firstAt: number; lastAt: number }) =>
  (k.requests - 1) / ((k.lastAt - k.firstAt) / 1000);

/** Connects a workspace of its own with a fresh sandbox token, launches a step, and enters its users at once. */
async function busyWorkspace(
  taskQueue: string,
  partner: PartnerId,
  adAccountId: string,
  n: number,
  fields: Field[] = ['email'],
) {
  const workspaceId = `ws-${n}-${taskQueue.slice(-8)}`;
  await env.client.workflow.start('connectionWorkflow', {
    taskQueue,
    workflowId: connectionWorkflowId(workspaceId, partner),
    args: [{ workspaceId, partner, credentials: { accessToken: sandbox.state.newToken() } }],
  });
  const { handle } = await launchStep(
    env.client,
    taskQueue,
    { workspaceId, canvasId: 'c', stepId: 's' },
    {
      partner,
      adAccountId,
      audience: { name: `busy-${workspaceId}`, create: true },
      action: 'add',
      fields,
      lastStep: false,
    },
  );
  const users = USERS_PER_REQUEST * REQUESTS_PER_STEP;
  const rows = Array.from({ length: users }, (_, i) =>
    toRow(PARTNER_REGISTRY.require(partner), fields, { email: `u${n}-${i}@example.com` })!,
  );
  return {
    handle,
    users,
    enter: () =>
      handle.signal(usersEnteredSignal, {
        idempotencyKey: 'k',
        enteredAt: Date.now(),
        notSynced: {},
        rows: packRows(rows),
      }),
  };
}

describe('partner rate limits held by the server (two workers on the partner queue)', () => {
  it(
    'keeps each LinkedIn connection within 10 requests in any second while two together go faster',
    { timeout: 90_000 },
    async () => {
      await withTwoWorkers(env, sandbox, 'linkedin', overrides('linkedin'), async ({ taskQueue }) => {
        const steps = await Promise.all([1, 2].map((n) => busyWorkspace(taskQueue, 'linkedin', '501', n)));
        sandbox.state.stats.delete('linkedin'); // count the sync, not the launches
        const started = Date.now();
        await Promise.all(steps.map((s) => s.enter()));
        await Promise.all(steps.map((s) => until(s.handle, (v) => v.metrics.synced === s.users, 60_000)));
        const seconds = (Date.now() - started) / 1000;
        const stats = sandbox.state.statsOf('linkedin');
        const keys = Object.values(stats.byKey);
        console.log(
          `rate: linkedin, 2 connections: ${stats.requests} requests in ${seconds.toFixed(1)} s ` +
            `(${((2 * steps[0]!.users) / seconds).toFixed(0)} users/s); per connection while backlogged ` +
            `${keys.map((k) => backloggedRate(k).toFixed(1)).join(', ')} req/s, max in any second ` +
            `${keys.map((k) => k.maxRequestsInAnySecond).join(', ')}, together ${stats.all.maxRequestsInAnySecond}`,
        );
        expect(stats.requests).toBe(2 * REQUESTS_PER_STEP);
        expect(stats.rejected).toEqual({});
        expect(keys).toHaveLength(2);
        // How much of the budget is used is for `npm run bench` to measure, not for a timed test.
        for (const k of keys) expect(k.maxRequestsInAnySecond).toBeLessThanOrEqual(10);
        expect(stats.all.maxRequestsInAnySecond).toBeGreaterThan(10);
      });
    },
  );

  it(
    'keeps two TikTok connections together within the app limit of 10 requests in any second',
    { timeout: 90_000 },
    async () => {
      await withTwoWorkers(env, sandbox, 'tiktok', overrides('tiktok'), async ({ taskQueue }) => {
        const steps = await Promise.all([1, 2].map((n) => busyWorkspace(taskQueue, 'tiktok', '7001', n)));
        sandbox.state.stats.delete('tiktok');
        const started = Date.now();
        await Promise.all(steps.map((s) => s.enter()));
        await Promise.all(steps.map((s) => until(s.handle, (v) => v.metrics.synced === s.users, 60_000)));
        const seconds = (Date.now() - started) / 1000;
        const stats = sandbox.state.statsOf('tiktok');
        console.log(
          `rate: tiktok, 2 connections: ${stats.requests} requests in ${seconds.toFixed(1)} s; for the app while ` +
            `backlogged ${backloggedRate(stats.all).toFixed(1)} req/s, max in any second ${stats.all.maxRequestsInAnySecond}`,
        );
        expect(stats.requests).toBe(2 * REQUESTS_PER_STEP);
        expect(stats.rejected).toEqual({});
        expect(stats.all.maxRequestsInAnySecond).toBeLessThanOrEqual(10);
      });
    },
  );
});
