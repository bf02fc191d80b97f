import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { connectionWorkflow } from '../../workflows/connection.js';
import { connectionWorkflowId } from '../../workflows/ids.js';
import {
  connectionQuery,
  credentialsQuery,
  disconnectSignal,
  selectAdAccountsUpdate,
  setCredentialsSignal,
} from '../../workflows/messages.js';
import { FakePartner, invalidToken, launched, metrics, until, withEngine, type Engine } from '../helpers/engine.js';
import { createTimeSkippingEnv, type TimeSkippingEnv } from '../helpers/temporal.js';

// A server per test: time skipping is global to a server.
let ts: TimeSkippingEnv;
beforeEach(async () => {
  ts = await createTimeSkippingEnv();
});
afterEach(async () => {
  await ts?.teardown();
});

const HOUR = 3_600_000;
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
      await ts.env.sleep('3.5 hours');
      expect(linkedin.refreshes).toHaveLength(2);
      // Each renewal comes well before its token's 2 hours are up.
      expect(linkedin.refreshes[0]! - started).toBeLessThan(2 * HOUR - 5 * 60_000);
      expect(linkedin.refreshes[1]! - linkedin.refreshes[0]!).toBeLessThan(2 * HOUR - 5 * 60_000);
      const c = await connection.query(credentialsQuery);
      expect(c).toEqual({ status: 'connected', generation: 3, accessToken: 'refreshed-2', refreshToken: 'refresh-2' });
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
      await metrics(step);
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
