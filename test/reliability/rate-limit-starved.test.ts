/**
 * The partner's limit on a starved machine: every kind of partner caller on two LinkedIn
 * connections at once — sync batches, launches (ensureAudience), and direct calls through the
 * same gate as later activities make them (checks; erasures of 1,000 users) — offered at four
 * times the limit, from two worker processes, while two busy loops take both cores. The sandbox
 * counts each request as it arrives; no sliding second may hold more than a connection's limit,
 * and Temporal may refuse no update (it admits 10 in flight per workflow).
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toRow } from '../../partners/identifiers.js';
import { createPartners } from '../../partners/registry.js';
import { temporalRateGate, withRateGate } from '../../activities/rate-gate.js';
import { tokenId } from '../../src/sandbox/guard.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { launchStep } from '../../src/temporal/steps.js';
import { connectionWorkflowId, rateLimitKey } from '../../domain/ids.js';
import { usersEnteredSignal } from '../../domain/messages.js';
import type { StepConfig } from '../../domain/types.js';
import { busyLoops } from '../helpers/busy-loops.js';
import { until } from '../helpers/engine.js';
import { refusalCountingConnection, withTwoWorkers } from '../helpers/partner-workers.js';
import { connectDevServer } from '../helpers/temporal.js';
import { packRows } from '../../domain/rows.js';
import { partner } from '../helpers/partners.js';

const LIMIT = 10; // LinkedIn, per connection
const USERS_PER_REQUEST = 50;
/** Per connection, offered within the first second and a half: ~40 requests a second. */
const SYNC_REQUESTS = 30;
const LAUNCHES = 5; // three requests each: ad accounts, segments, create
const CHECKS = 15;
const ERASURES = 15;
const ERASED_USERS = 5_000;

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let counted: Awaited<ReturnType<typeof refusalCountingConnection>>;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  counted = await refusalCountingConnection(inject('harness').devServerAddress);
});
afterAll(async () => {
  await counted?.connection.close();
  await sandbox?.close();
  await env?.teardown();
});

describe('rate limit on a starved machine', () => {
  it(
    'keeps each LinkedIn connection within 10 requests in any second: sync, launches and direct calls at 4× the limit beside two busy loops',
    { timeout: 60_000 },
    async () => {
      const overrides = { LINKEDIN_USERS_PER_REQUEST: String(USERS_PER_REQUEST) };
      const client = new Client({ connection: counted.connection });
      const adapter = createPartners({ sandboxUrl: sandbox.url, env: overrides }).linkedin!;
      await withTwoWorkers(
        env,
        sandbox,
        'linkedin',
        overrides,
        async ({ taskQueue, secondRefused }) => {
          const refusals: string[] = [];
          /** A connection with a launched step, and everything it will send once the loops spin. */
          const connection = async (n: number) => {
            const workspaceId = `starved-${n}-${taskQueue.slice(-8)}`;
            const token = sandbox.state.newToken();
            await env.client.workflow.start('connectionWorkflow', {
              taskQueue,
              workflowId: connectionWorkflowId(workspaceId, 'linkedin'),
              args: [{ workspaceId, partner: 'linkedin', credentials: { accessToken: token } }],
            });
            const config = (name: string): StepConfig => ({
              partner: 'linkedin',
              adAccountId: '501',
              audience: { name, create: true },
              action: 'add',
              fields: ['email'],
              lastStep: false,
            });
            const launch = (stepId: string) =>
              launchStep(client, taskQueue, { workspaceId, canvasId: 'c', stepId }, config(`${workspaceId}-${stepId}`));
            const { handle, result } = await launch('sync');
            const users = USERS_PER_REQUEST * SYNC_REQUESTS;
            const rows = Array.from({ length: users }, (_, i) =>
              toRow(partner('linkedin'), ['email'], { email: `s${i}@x.example` })!,
            );
            const erased = Array.from({ length: ERASED_USERS }, (_, i) =>
              toRow(partner('linkedin'), ['email'], { email: `e${i}@x.example` })!,
            );
            const target = {
              adAccountId: '501',
              audienceId: result.audienceId!,
              audienceName: null,
              action: 'remove' as const,
              fields: ['email' as const],
            };
            /** A direct partner call, through the gate every partner request takes. */
            const direct = (i: number, call: () => Promise<unknown>) =>
              new Promise((r) => setTimeout(r, 50 * i)).then(() =>
                withRateGate(
                  temporalRateGate(
                    client,
                    taskQueue,
                    rateLimitKey('connection', 'linkedin', workspaceId, '501'),
                    LIMIT,
                  ),
                  call,
                ).catch((err: unknown) => refusals.push(String(err))),
              );
            return {
              token,
              requests: 3 + SYNC_REQUESTS + 3 * LAUNCHES + CHECKS + ERASURES,
              run: () =>
                Promise.all([
                  handle
                    .signal(usersEnteredSignal, {
                      idempotencyKey: 'k',
                      enteredAt: Date.now(),
                      notSynced: {},
                      rows: packRows(rows),
                    })
                    .then(() => until(handle, (v) => v.metrics.synced === users, 45_000)),
                  ...Array.from({ length: LAUNCHES }, (_, i) => launch(`launch-${i}`)),
                  ...Array.from({ length: CHECKS }, (_, i) => direct(i, () => adapter.listAdAccounts(token))),
                  ...Array.from({ length: ERASURES }, (_, i) =>
                    direct(i, () => adapter.sendUsers(token, target, erased)),
                  ),
                ]),
            };
          };
          const connections = await Promise.all([1, 2].map(connection));

          const loops = busyLoops(2);
          try {
            const started = Date.now();
            await Promise.all(connections.map((c) => c.run()));
            const seconds = (Date.now() - started) / 1000;
            const keys = connections.map((c) => sandbox.state.statsOf('linkedin').byKey[tokenId(c.token)]!);
            console.log(
              `starved: ${keys.map((k) => k.requests).join(' + ')} LinkedIn requests in ${seconds.toFixed(1)} s; ` +
                `per connection while backlogged ${keys.map((k) => ((k.requests - 1) / ((k.lastAt - k.firstAt) / 1000)).toFixed(2)).join(', ')} req/s, ` +
                `max in any second ${keys.map((k) => k.maxRequestsInAnySecond).join(', ')}; ` +
                `refused updates ${counted.refused.updates} + ${secondRefused.updates}, other calls ${counted.refused.other} + ${secondRefused.other}`,
            );
            for (const k of keys) expect(k.maxRequestsInAnySecond).toBeLessThanOrEqual(LIMIT);
            expect(sandbox.state.statsOf('linkedin').rejected).toEqual({});
            expect(refusals).toEqual([]);
            expect(counted.refused.updates + secondRefused.updates).toBe(0);
            // Every call was made (an activity retried on a starved machine may make some twice).
            keys.forEach((k, i) => expect(k.requests).toBeGreaterThanOrEqual(connections[i]!.requests));
          } finally {
            await loops.stop();
          }
        },
        client,
      );
    },
  );
});
