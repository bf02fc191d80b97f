import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { PartnerAdapter } from '../../partners/adapter.js';
import type { connectionWorkflow } from '../../workflows/connection.js';
import { connectionWorkflowId } from '../../domain/ids.js';
import {
  connectionQuery,
  credentialsQuery,
  disconnectSignal,
  selectAdAccountsUpdate,
  setCredentialsSignal,
} from '../../domain/messages.js';
import {
  FakePartner,
  enter,
  entry,
  invalidToken,
  launched,
  metrics,
  transient,
  until,
  withEngine,
  type Engine,
} from '../helpers/engine.js';
import { timeSkippingServerPerTest } from '../helpers/temporal.js';

const ts = timeSkippingServerPerTest();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const now = () => ts.env.currentTimeMs();

/** A LinkedIn connection whose token expires in 2 hours and can be refreshed. */
async function expiringConnection(engine: Engine) {
  const expiresAt = new Date((await now()) + 2 * HOUR).toISOString();
  return engine.env.client.workflow.start<typeof connectionWorkflow>('connectionWorkflow', {
    taskQueue: engine.taskQueue,
    workflowId: connectionWorkflowId(engine.workspaceId, 'linkedin'),
    args: [
      {
        workspaceId: engine.workspaceId,
        partner: 'linkedin',
        credentials: { accessToken: 'token-1', refreshToken: 'refresh-0', expiresAt },
      },
    ],
  });
}

describe('Connection: token refresh', () => {
  it('renews a token before it expires, and the renewed one before it expires in turn', async () => {
    const linkedin = new FakePartner(now);
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const started = await now();
      const connection = await expiringConnection(engine);
      const connectedAt = (await connection.query(connectionQuery)).connectedAt;
      await ts.env.sleep('3.5 hours');
      expect(linkedin.refreshes).toHaveLength(2);
      // Each renewal comes at 80 % of its token's 2 hours (96 min), well before they are up.
      const first = linkedin.refreshes[0]! - started;
      expect(first).toBeGreaterThan(90 * MINUTE);
      expect(first).toBeLessThan(2 * HOUR - 5 * MINUTE);
      expect(linkedin.refreshes[1]! - linkedin.refreshes[0]!).toBeLessThan(2 * HOUR - 5 * MINUTE);
      const c = await connection.query(credentialsQuery);
      expect(c).toEqual({ status: 'connected', generation: 3, accessToken: 'refreshed-2', refreshToken: 'refresh-2' });
      // A renewal is not a reconnect: the account's connection time stays.
      expect(await connection.query(connectionQuery)).toMatchObject({
        status: 'connected',
        generation: 3,
        connectedAt,
      });
    });
  });

  it('works out the schedule again when a new token is set while it waits', async () => {
    const linkedin = new FakePartner(now);
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      await ts.env.sleep('30 minutes');
      const set = await now();
      const expiresAt = new Date(set + 10 * HOUR).toISOString();
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2', refreshToken: 'refresh-x', expiresAt });
      await ts.env.sleep('2 hours'); // the first token's renewal time (96 min) has passed
      expect(linkedin.refreshes).toEqual([]);
      await ts.env.sleep('7 hours'); // 80 % of the new token's 10 hours: 8 h after it was set
      expect(linkedin.refreshes).toHaveLength(1);
      expect(linkedin.refreshes[0]! - set).toBeGreaterThanOrEqual(8 * HOUR);
      expect(linkedin.refreshes[0]! - set).toBeLessThan(10 * HOUR - 5 * MINUTE);
      expect(await connection.query(credentialsQuery)).toMatchObject({ status: 'connected', generation: 3 });
    });
  });

  it('renews at once a token that is about to expire', async () => {
    const linkedin = new FakePartner(now);
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      const set = await now();
      const expiresAt = new Date(set + 2 * MINUTE).toISOString();
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2', refreshToken: 'refresh-x', expiresAt });
      await ts.env.sleep('1 minute');
      expect(linkedin.refreshes).toHaveLength(1);
      expect(linkedin.refreshes[0]! - set).toBeLessThan(MINUTE);
    });
  });

  it('pauses the steps when the partner refuses to renew, and a new token resumes them', async () => {
    const linkedin = new FakePartner(now);
    linkedin.refreshWith = () => {
      throw invalidToken();
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      const step = await launched(engine);
      await ts.env.sleep('2 hours');
      const view = await connection.query(connectionQuery);
      expect(view.status).toBe('invalid_token');
      expect(view.lastError?.code).toBe('token_invalid');
      expect(view.lastError?.message).not.toContain('refresh-0');
      expect((await until(step, (v) => v.state === 'paused_invalid_token')).state).toBe('paused_invalid_token');
      expect(linkedin.refreshes).toHaveLength(1); // refused for good: not retried

      await connection.signal(setCredentialsSignal, { accessToken: 'token-2' });
      expect((await until(step, (v) => v.state === 'active')).state).toBe('active');
      expect((await connection.query(connectionQuery)).status).toBe('connected');
      await metrics(step);
    });
  });

  it('retries a renewal that fails for a passing reason, then gives up: invalid_token', async () => {
    const linkedin = new FakePartner(now);
    linkedin.refreshWith = () => {
      throw transient();
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      const step = await launched(engine);
      await ts.env.sleep('2 hours');
      await until(step, (v) => v.state === 'paused_invalid_token');
      expect(linkedin.refreshes).toHaveLength(10);
      const view = await connection.query(connectionQuery);
      expect(view).toMatchObject({ status: 'invalid_token', generation: 1, lastError: { code: 'token_invalid' } });
      expect(view.lastError?.message).not.toMatch(/token-1|refresh-0/);
      await ts.env.sleep('4 hours');
      expect(linkedin.refreshes).toHaveLength(10); // nothing more until a new token comes
    });
  });

  it('lets a batch rejected with the token renewed meanwhile send again with the new one', async () => {
    const linkedin = new FakePartner(now);
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      const step = await launched(engine); // knows generation 1; the renewal tells it nothing
      await ts.env.sleep('100 minutes');
      expect(await connection.query(credentialsQuery)).toMatchObject({ status: 'connected', generation: 2 });
      linkedin.revokedThrough = 1; // the partner retired the old token with the renewal
      await enter(step, entry(20));
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.synced === 20);
      expect(view.state).toBe('active');
      expect(linkedin.calls.map((c) => c.generation)).toEqual([1, 2]);
      expect((await connection.query(connectionQuery)).status).toBe('connected');
    });
  });

  it('renews nothing after a disconnect', async () => {
    const linkedin = new FakePartner(now);
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      await connection.signal(disconnectSignal);
      await ts.env.sleep('4 hours');
      expect(linkedin.refreshes).toEqual([]);
      expect((await connection.query(connectionQuery)).status).toBe('disconnected');
    });
  });

  it('cancels a renewal in flight on a disconnect', async () => {
    const linkedin = new FakePartner(now);
    linkedin.refreshWith = () => {
      throw transient();
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      await ts.env.sleep('97 minutes'); // renewing since 96 min, retrying
      const attempts = linkedin.refreshes.length;
      expect(attempts).toBeGreaterThan(0);
      expect(attempts).toBeLessThan(10);
      await connection.signal(disconnectSignal);
      expect((await connection.query(connectionQuery)).status).toBe('disconnected');
      await ts.env.sleep('1 hour');
      expect(linkedin.refreshes.length).toBeLessThanOrEqual(attempts + 1); // at most the attempt already running
      expect(await connection.query(connectionQuery)).toMatchObject({ status: 'disconnected', generation: 2 });
      expect((await connection.query(connectionQuery)).lastError).toBeUndefined();
    });
  });
});

describe('Connection: ad accounts', () => {
  it('lists what the token sees, selects only those, and keeps the selection across a new token', async () => {
    const linkedin = new FakePartner(now);
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await expiringConnection(engine);
      const accounts = [
        { id: '501', name: 'Main' },
        { id: '502', name: 'Other' },
      ];
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2', adAccounts: accounts });
      expect((await connection.query(connectionQuery)).adAccounts).toEqual([
        { id: '501', name: 'Main', selected: false },
        { id: '502', name: 'Other', selected: false },
      ]);
      const selected = await connection.executeUpdate(selectAdAccountsUpdate, { args: [{ adAccountIds: ['502'] }] });
      expect(selected.adAccounts.filter((a) => a.selected).map((a) => a.id)).toEqual(['502']);

      const refused = await connection
        .executeUpdate(selectAdAccountsUpdate, { args: [{ adAccountIds: ['501', '999'] }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (refused as WorkflowUpdateFailedError).cause;
      expect(cause instanceof ApplicationFailure && cause.type).toBe('unknown_ad_account');
      expect((await connection.query(connectionQuery)).adAccounts.filter((a) => a.selected).map((a) => a.id)).toEqual([
        '502',
      ]);

      // A new token that no longer sees 502: it leaves the selection.
      await connection.signal(setCredentialsSignal, { accessToken: 'token-3', adAccounts: [accounts[0]!] });
      expect((await connection.query(connectionQuery)).adAccounts).toEqual([
        { id: '501', name: 'Main', selected: false },
      ]);
    });
  });
});

describe('refreshCredentials activity', () => {
  const activities = (refresh: PartnerAdapter['refresh'], engine: Engine) =>
    createActivities({
      client: engine.env.client,
      partners: { linkedin: { refresh } as unknown as PartnerAdapter },
      workflowTaskQueue: engine.taskQueue,
    });

  it('renews with the connection’s refresh token, keeping it when the partner sends none, and never names a token', async () => {
    await withEngine(ts.env, {}, async (engine) => {
      const connection = await expiringConnection(engine);
      const ctx = {
        workspaceId: engine.workspaceId,
        partner: 'linkedin' as const,
        connectionId: connection.workflowId,
        generation: 1,
      };
      const seen: string[] = [];
      const renewed = activities((refreshToken) => {
        seen.push(refreshToken);
        return Promise.resolve({ accessToken: 'token-new', expiresAt: '2030-01-01T00:00:00.000Z' });
      }, engine);
      expect(await renewed.refreshCredentials(ctx)).toEqual({
        accessToken: 'token-new',
        refreshToken: 'refresh-0',
        expiresAt: '2030-01-01T00:00:00.000Z',
      });
      expect(seen).toEqual(['refresh-0']);

      // A token replaced since the renewal was asked for is not renewed.
      const stale = await renewed.refreshCredentials({ ...ctx, generation: 0 }).catch((e: unknown) => e);
      expect(stale).toMatchObject({ type: 'rejected', nonRetryable: true });
      expect(seen).toHaveLength(1);

      // No refresh token: invalid for good.
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2' });
      const none = await renewed.refreshCredentials({ ...ctx, generation: 2 }).catch((e: unknown) => e);
      expect(none).toMatchObject({ type: 'token_invalid', nonRetryable: true });
      expect(String((none as Error).message)).not.toMatch(/token-|refresh-/);
    });
  });
});
