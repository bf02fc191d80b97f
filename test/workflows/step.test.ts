import { setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { stepWorkflowId } from '../../domain/ids.js';
import { connectionQuery, setCredentialsSignal, stopSignal } from '../../domain/messages.js';
import {
  FakePartner,
  aConfig,
  audienceGone,
  audienceRestricted,
  connect,
  enter,
  entry,
  invalidToken,
  launched,
  metrics,
  rateLimited,
  stepIds,
  transient,
  until,
  withEngine,
} from '../helpers/engine.js';
import { timeSkippingServerPerTest } from '../helpers/temporal.js';

const ts = timeSkippingServerPerTest();

const HOUR = 3_600_000;
const now = () => ts.env.currentTimeMs();
const batchOf = (requestId: string) => requestId.replace(/\.\d+$/, '');
const fake = (limits?: ConstructorParameters<typeof FakePartner>[1]) => new FakePartner(now, limits);

describe('Step: batching', () => {
  it('sends 12,345 users from 7 signals in requests within the partner limit, all Synced', async () => {
    const linkedin = fake();
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      const sizes = [1, 2_000, 4_999, 5_000, 345, 0, 0];
      sizes[5] = 12_345 - sizes.reduce((a, b) => a + b, 0);
      for (const n of sizes) {
        await enter(step, entry(n));
        await metrics(step); // the invariant holds between entries too
      }
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.synced === 12_345);
      expect(view.metrics).toEqual({
        entered: 12_345,
        proceeded: 12_345,
        exited: 0,
        synced: 12_345,
        notSynced: 0,
        pending: 0,
        errored: 0,
      });
      expect(Math.max(...linkedin.calls.map((c) => c.users))).toBeLessThanOrEqual(5_000);
      expect(linkedin.calls).toHaveLength(3); // ceil(12,345 / 5,000)
      expect(linkedin.usersSent()).toBe(12_345);
    });
  });

  it('sends a backlog several requests to a batch; a list made by its first records is made once', async () => {
    const pinterest = fake({
      maxUsersPerRequest: 100,
      createsAudienceWithFirstRecords: true,
      rateLimitScope: 'connection' as const,
    });
    pinterest.audienceId = null; // Pinterest: no list until the first records
    const sentTo: (string | null)[] = [];
    pinterest.behaviour = (call) => {
      sentTo.push(call.audienceId);
      return { synced: call.rows.length, invalid: 0, ...(call.audienceId ? {} : { audienceId: 'list-1' }) };
    };
    // Each call takes a moment (real time), so requests sent side by side are seen in flight together.
    const send = pinterest.syncUsers;
    let inFlight = 0;
    const together = new Map<string, number>(); // batch → most of its requests in flight at once
    pinterest.syncUsers = async (input) => {
      const batch = batchOf(input.batchId);
      inFlight++;
      together.set(batch, Math.max(together.get(batch) ?? 0, countInFlight(batch, +1)));
      try {
        await setTimeout(100);
        return await send(input);
      } finally {
        countInFlight(batch, -1);
        inFlight--;
      }
    };
    const perBatch = new Map<string, number>();
    const countInFlight = (batch: string, by: number) => {
      perBatch.set(batch, (perBatch.get(batch) ?? 0) + by);
      return perBatch.get(batch)!;
    };
    await withEngine(ts.env, { pinterest }, async (engine) => {
      await connect(engine, 'pinterest');
      const step = await launched(engine, aConfig({ partner: 'pinterest' }));
      await enter(step, entry(1_000));
      const view = await until(step, (v) => v.metrics.synced === 1_000);
      expect(view.metrics).toMatchObject({ entered: 1_000, synced: 1_000, pending: 0, errored: 0 });
      expect(view.audience.id).toBe('list-1');
      // Ten requests of 100: the first alone makes the list, every other one adds to it.
      expect(pinterest.calls.map((c) => c.users)).toEqual(Array(10).fill(100));
      expect(sentTo).toEqual([null, ...Array(9).fill('list-1')]);
      // …carried by fewer Batch workflows than requests (each request has its own id in the batch's).
      const batches = new Set(pinterest.calls.map((c) => batchOf(c.batchId)));
      expect(batches.size).toBeLessThan(10);
      // The list-making request goes alone: the others wait for its id, not for a whole batch.
      const first = batchOf(pinterest.calls[0]!.batchId);
      expect(pinterest.calls.filter((c) => batchOf(c.batchId) === first)).toHaveLength(1);
      expect(new Set(pinterest.calls.map((c) => c.batchId)).size).toBe(10);
      // Once the list exists, a batch's requests go side by side, not one after another.
      expect(Math.max(...together.values())).toBeGreaterThan(1);
      expect(inFlight).toBe(0);
    });
  });

  it('sends users who arrive within one 5-second window in one request, within that window', async () => {
    const tiktok = fake({
      maxUsersPerRequest: 10_000,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection' as const,
    });
    await withEngine(ts.env, { tiktok }, async (engine) => {
      await connect(engine, 'tiktok');
      const step = await launched(engine, aConfig({ partner: 'tiktok', lastStep: true }));
      const firstEntered = await now();
      await enter(step, entry(100));
      await enter(step, entry(200, { notSynced: { missing_fields: 7, no_consent: 3 } }));
      await enter(step, entry(300));
      expect((await metrics(step)).metrics).toMatchObject({ entered: 610, exited: 610, proceeded: 0, pending: 600 });
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.synced === 600);
      expect(tiktok.calls.map((c) => c.users)).toEqual([600]);
      expect(tiktok.calls[0]!.at - firstEntered).toBeLessThanOrEqual(5_000 + 1_000);
      expect(view.metrics).toMatchObject({ entered: 610, notSynced: 10, synced: 600, exited: 610 });
      expect(view.reasons.notSynced).toEqual({ missing_fields: 7, no_consent: 3 });
    });
  });

  it('adds no history while idle', async () => {
    const linkedin = fake();
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      await enter(step, entry(10));
      await ts.env.sleep('6 seconds');
      await until(step, (v) => v.metrics.synced === 10);
      const before = (await step.describe()).historyLength;
      await ts.env.sleep('3 hours');
      expect((await step.describe()).historyLength).toBe(before);
    });
  });

  it('counts a repeated idempotency key once', async () => {
    const linkedin = fake();
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      const e = entry(40, { notSynced: { missing_fields: 2 } });
      await enter(step, e);
      await enter(step, e);
      await enter(step, { ...e, rows: entry(5).rows }); // same key, other body: still a repeat
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.pending === 0);
      expect(view.metrics).toMatchObject({ entered: 42, synced: 40, notSynced: 2 });
      expect(linkedin.usersSent()).toBe(40);
    });
  });
});

describe('Step: retries within the 13-hour budget', () => {
  it('syncs everyone after 2 hours of rate limiting, erroring nobody', async () => {
    const pinterest = fake({
      maxUsersPerRequest: 1_900,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection' as const,
    });
    await withEngine(ts.env, { pinterest }, async (engine) => {
      await connect(engine, 'pinterest');
      const step = await launched(engine, aConfig({ partner: 'pinterest' }));
      const start = await now();
      pinterest.behaviour = async (call) => {
        if ((await now()) < start + 2 * HOUR) throw rateLimited(30_000);
        return { synced: call.rows.length, invalid: 0 };
      };
      await enter(step, entry(3_800));
      await ts.env.sleep('1 hour');
      expect((await metrics(step)).metrics).toMatchObject({ pending: 3_800, errored: 0 });
      await ts.env.sleep('65 minutes');
      const view = await until(step, (v) => v.metrics.synced === 3_800);
      expect(view.metrics).toMatchObject({ errored: 0, pending: 0 });
      // Its two requests ride one batch side by side, each retried every ~30 s as advised.
      const retriesEach = 2 * 60 * 2;
      expect(pinterest.calls.length).toBeGreaterThanOrEqual(2 * retriesEach - 10);
      expect(pinterest.calls.length).toBeLessThan(2 * retriesEach + 40);
    });
  });

  it('errors every user 13 hours after entry when the partner never recovers, not before', async () => {
    const pinterest = fake({
      maxUsersPerRequest: 1_900,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection' as const,
    });
    pinterest.behaviour = () => {
      throw transient();
    };
    await withEngine(ts.env, { pinterest }, async (engine) => {
      await connect(engine, 'pinterest');
      const step = await launched(engine, aConfig({ partner: 'pinterest' }));
      await enter(step, entry(3_800));
      await ts.env.sleep('779 minutes');
      expect((await metrics(step)).metrics).toMatchObject({ pending: 3_800, errored: 0 });
      await ts.env.sleep('11 minutes'); // one maximum backoff interval past 13 h
      const view = await until(step, (v) => v.metrics.errored === 3_800);
      expect(view.reasons.errored).toEqual({ retries_exhausted: 3_800 });
      expect(view.lastError).toMatchObject({ code: 'partner_unavailable', message: 'HTTP 503 from the partner.' });
    });
  });

  it('errors a batch at once when the audience was deleted, and calls no more', async () => {
    const linkedin = fake();
    linkedin.behaviour = () => {
      throw audienceGone();
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      await enter(step, entry(700));
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.errored === 700);
      expect(view.reasons.errored).toEqual({ audience_deleted: 700 });
      expect(view.lastError?.code).toBe('audience_deleted');
      await ts.env.sleep('1 hour');
      expect(linkedin.calls).toHaveLength(1);
    });
  });

  it('errors each batch at once when Meta has restricted the audience, one call per batch, none retried', async () => {
    const facebook = fake({
      maxUsersPerRequest: 10_000,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'adAccount' as const,
    });
    facebook.behaviour = () => {
      throw audienceRestricted();
    };
    await withEngine(ts.env, { facebook }, async (engine) => {
      await connect(engine, 'facebook');
      const step = await launched(engine, aConfig({ partner: 'facebook' }));
      await enter(step, entry(700));
      await ts.env.sleep('6 seconds');
      await until(step, (v) => v.metrics.errored === 700);
      await enter(step, entry(300));
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.errored === 1_000);
      expect(view.metrics).toMatchObject({ synced: 0, pending: 0, errored: 1_000 });
      expect(view.reasons.errored).toEqual({ audience_restricted: 1_000 });
      expect(view.lastError?.code).toBe('audience_restricted');
      await ts.env.sleep('13 hours');
      expect(facebook.calls).toHaveLength(2);
    });
  });

  it('counts users the partner refuses one by one as invalid_identifier', async () => {
    const facebook = fake({
      maxUsersPerRequest: 10_000,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection' as const,
    });
    facebook.behaviour = (call) => ({ synced: call.rows.length - 3, invalid: 3 });
    await withEngine(ts.env, { facebook }, async (engine) => {
      await connect(engine, 'facebook');
      const step = await launched(engine, aConfig({ partner: 'facebook' }));
      await enter(step, entry(50));
      await ts.env.sleep('6 seconds');
      const view = await until(step, (v) => v.metrics.pending === 0);
      expect(view.metrics).toMatchObject({ synced: 47, errored: 3 });
      expect(view.reasons.errored).toEqual({ invalid_identifier: 3 });
    });
  });
});

describe('Step: invalid token', () => {
  it('pauses every step on the connection, calls nothing while paused, and resumes on reconnect', async () => {
    const linkedin = fake();
    linkedin.revokedThrough = 1; // the first token is rejected
    // The launch itself still works (the token is only rejected when users are sent).
    linkedin.ensureAudience = (input) =>
      Promise.resolve({
        audienceId: 'aud-1',
        audienceName: 'name' in input.audience ? input.audience.name : null,
        limits: linkedin.limits,
      });
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await connect(engine, 'linkedin');
      const first = await launched(engine);
      const second = await launched(engine, aConfig(), stepIds(engine, 'step-2'));
      await enter(first, entry(1_000));
      await ts.env.sleep('6 seconds');
      await until(first, (v) => v.state === 'paused_invalid_token');
      await until(second, (v) => v.state === 'paused_invalid_token');
      expect(await connection.query(connectionQuery)).toMatchObject({ status: 'invalid_token', generation: 1 });
      const callsWhenPaused = linkedin.calls.length;
      expect(callsWhenPaused).toBe(1);

      await enter(first, entry(500));
      await enter(second, entry(250));
      await ts.env.sleep('2 hours');
      expect(linkedin.calls).toHaveLength(callsWhenPaused); // zero partner calls while paused
      expect((await metrics(first)).metrics).toMatchObject({ pending: 1_500, synced: 0, errored: 0 });

      await connection.signal(setCredentialsSignal, { accessToken: 'token-2' });
      await ts.env.sleep('1 second');
      const a = await until(first, (v) => v.metrics.synced === 1_500);
      const b = await until(second, (v) => v.metrics.synced === 250);
      expect([a.state, b.state]).toEqual(['active', 'active']);
      expect(linkedin.calls.slice(callsWhenPaused).every((c) => c.generation === 2)).toBe(true);
    });
  });

  it('errors users as token_invalid when the connection stays invalid past their 13 hours', async () => {
    const tiktok = fake({
      maxUsersPerRequest: 10_000,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection' as const,
    });
    await withEngine(ts.env, { tiktok }, async (engine) => {
      await connect(engine, 'tiktok');
      const step = await launched(engine, aConfig({ partner: 'tiktok' }));
      tiktok.revokedThrough = 1;
      await enter(step, entry(300));
      await ts.env.sleep('6 seconds');
      await until(step, (v) => v.state === 'paused_invalid_token');
      await ts.env.sleep('770 minutes');
      expect((await metrics(step)).metrics).toMatchObject({ pending: 300, errored: 0 });
      await ts.env.sleep('15 minutes');
      const view = await until(step, (v) => v.metrics.errored === 300);
      expect(view.reasons.errored).toEqual({ token_invalid: 300 });
      expect(tiktok.calls).toHaveLength(1);
    });
  });
});

describe('Step: launch and stop', () => {
  it('refuses a launch with the partner reason and leaves no step behind', async () => {
    const linkedin = fake();
    linkedin.ensureAudience = () => {
      throw invalidToken();
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const err = await launched(engine).catch((e: unknown) => e);
      expect(err).toMatchObject({ cause: { type: 'token_invalid' } });
      const { status } = await ts.env.client.workflow.getHandle(stepWorkflowId(stepIds(engine))).describe();
      expect(status.name).toBe('COMPLETED');
    });
  });

  it('refuses a launch when the partner is not connected', async () => {
    await withEngine(ts.env, { linkedin: fake() }, async (engine) => {
      const err = await launched(engine, aConfig(), stepIds(engine, 'lonely')).catch((e: unknown) => e);
      expect(err).toMatchObject({ cause: { type: 'not_connected' } });
    });
  });

  it('sends its pending users after a stop, then reads stopped with its metrics', async () => {
    const linkedin = fake();
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      await enter(step, entry(120));
      await step.signal(stopSignal);
      const result = await step.result();
      expect(result.state).toBe('stopped');
      expect(result.metrics).toMatchObject({ entered: 120, synced: 120, pending: 0 });
      expect((await metrics(step)).state).toBe('stopped'); // still queryable once closed
    });
  });
});
