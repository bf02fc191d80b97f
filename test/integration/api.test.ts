import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRow } from '../../partners/identifiers.js';
import { openApiDocument, ROUTES } from '../../src/api/contract.js';
import { Step } from '../../src/api/schemas.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import type { PartnerId } from '../../domain/types.js';
import { connectWithToken, newWorkspace, startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';
import { partner } from '../helpers/partners.js';

// The HTTP API of docs/api.md over real sockets: dev server, workers for every partner, sandbox partners.
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  api = await startApiStack(env, sandbox);
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

/** A launch body adding users matched on email to the audience `name`, created if missing. */
const launchBody = (partner: PartnerId, adAccountId: string, name: string, over: Record<string, unknown> = {}) => ({
  partner,
  adAccountId,
  audience: { name, create: true },
  action: 'add',
  fields: ['email'],
  ...over,
});

const stepPath = (canvas = 'canvas-1', step = 'step-1') => `/v1/canvases/${canvas}/steps/${step}`;

const workspace = (name = 'acme') => newWorkspace(api, name);
const connected = (key: string, partner: PartnerId, adAccountId: string) =>
  connectWithToken(api, sandbox, key, partner, adAccountId);

async function untilStep(key: string, path: string, done: (s: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.call('GET', path, key);
    expect(res.status).toBe(200);
    if (done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`step never got there: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('HTTP API: the README walk-through', () => {
  it(
    'creates a workspace, connects LinkedIn through OAuth, launches, posts users and watches them reach Synced',
    { timeout: 90_000 },
    async () => {
      const key = await workspace();
      const partners = await api.call('GET', '/v1/partners');
      expect(partners.body.partners.map((p: { id: string }) => p.id)).toEqual([
        'linkedin',
        'facebook',
        'pinterest',
        'tiktok',
      ]);

      // OAuth: our authorize → the partner's consent page → our callback.
      const authorize = await api.call('GET', '/v1/connections/linkedin/authorize', key);
      expect(authorize.status).toBe(302);
      const consent = await fetch(authorize.headers.get('location')!, { redirect: 'manual' });
      const callback = new URL(consent.headers.get('location')!);
      expect(callback.pathname).toBe('/v1/oauth/linkedin/callback');
      const connectedRes = await api.call('GET', `${callback.pathname}${callback.search}`);
      expect(connectedRes.status).toBe(200);
      expect(connectedRes.body).toMatchObject({ partner: 'linkedin', status: 'connected' });
      expect(JSON.stringify(connectedRes.body)).not.toMatch(/token/i);
      // The same state again: single use.
      expect((await api.call('GET', `${callback.pathname}${callback.search}`)).body.error.code).toBe('invalid_state');

      const select = await api.call('PUT', '/v1/connections/linkedin/ad-accounts', key, { adAccountIds: ['501'] });
      expect(select.body.adAccounts).toContainEqual({ id: '501', name: expect.any(String), selected: true });

      const launch = await api.call('PUT', stepPath(), key, launchBody('linkedin', '501', 'walkthrough'));
      expect(launch.status).toBe(201);
      expect(Step.safeParse(launch.body).success).toBe(true);
      const audienceId = launch.body.audience.id as string;
      expect(audienceId).toBeTruthy();
      // Relaunch with the same config: 200, the same audience, never a second one.
      const again = await api.call('PUT', stepPath(), key, launchBody('linkedin', '501', 'walkthrough'));
      expect([again.status, again.body.audience.id]).toEqual([200, audienceId]);

      const users = Array.from({ length: 1_000 }, (_, i) => ({ id: `u${i}`, email: `User${i}@Example.com` }));
      users[7] = { id: 'u7' } as (typeof users)[number]; // no email: Not Synced, missing_fields
      const posted = await api.call('POST', `${stepPath()}/users`, key, { users, idempotencyKey: 'batch-1' });
      expect(posted).toMatchObject({ status: 202, body: { accepted: 1_000, notSynced: 1 } });
      // A retry with the same key counts nothing.
      expect((await api.call('POST', `${stepPath()}/users`, key, { users, idempotencyKey: 'batch-1' })).status).toBe(
        202,
      );

      const step = await untilStep(key, stepPath(), (s) => s.metrics.synced === 999);
      expect(step.metrics).toEqual({
        entered: 1_000,
        proceeded: 1_000,
        exited: 0,
        synced: 999,
        notSynced: 1,
        pending: 0,
        errored: 0,
      });
      expect(step.reasons.notSynced).toEqual({ missing_fields: 1 });
      expect(step.warnings).toBeUndefined(); // LinkedIn shows audiences from 300 members
      const expected = users
        .filter((u) => u.email)
        .map((u) => toRow(partner('linkedin'), ['email'], u)![0])
        .sort();
      const members = sandbox.state.audiencesOf('linkedin').get(audienceId)!.members;
      expect([...members.values()].map((m) => m.email).sort()).toEqual(expected);

      // The analytics page's data: the step's outcomes over time, and the step in its workspace's list.
      const timeline = await api.call('GET', `${stepPath()}/timeline`, key);
      expect([timeline.status, timeline.body.bucketMinutes]).toEqual([200, 5]);
      const totals = { entered: 0, synced: 0, notSynced: 0, errored: 0 };
      for (const b of timeline.body.buckets as (typeof totals)[])
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += b[k];
      expect(totals).toEqual({ entered: 1_000, synced: 999, notSynced: 1, errored: 0 });
      const listed = await untilStep(key, '/v1/steps', (l) => l.steps.length > 0); // visibility lags a moment
      expect(listed.steps).toEqual([{ canvasId: 'canvas-1', stepId: 'step-1', partner: 'linkedin', state: 'active' }]);
      const stranger = await workspace('other');
      expect((await api.call('GET', '/v1/steps', stranger)).body).toEqual({ steps: [] });
      expect((await api.call('GET', `${stepPath()}/timeline`, stranger)).body.error.code).toBe('step_not_found');

      // Stop: 202, no more users, metrics still readable.
      expect((await api.call('DELETE', stepPath(), key)).status).toBe(202);
      expect((await api.call('POST', `${stepPath()}/users`, key, { users: [{ id: 'x' }] })).body.error.code).toBe(
        'step_stopped',
      );
      const stopped = await untilStep(key, stepPath(), (s) => s.state === 'stopped');
      expect(stopped.metrics.synced).toBe(999);
    },
  );
});

describe('HTTP API: the partner side changing under a running step', () => {
  it(
    'pauses on a token revoked at the sandbox mid-sync without calling, and a PUT of a new token syncs them all',
    { timeout: 90_000 },
    async () => {
      const key = await workspace();
      const token = await connected(key, 'tiktok', '7001');
      const path = stepPath('c', 'revoke');
      const launch = await api.call('PUT', path, key, launchBody('tiktok', '7001', 'revoked'));
      expect(launch.status).toBe(201);
      await fetch(`${sandbox.url}/_sandbox/tiktok/tokens/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accessToken: token }),
      });
      const users = Array.from({ length: 500 }, (_, i) => ({ id: `u${i}`, email: `r${i}@example.com` }));
      expect((await api.call('POST', `${path}/users`, key, { users })).status).toBe(202);
      await untilStep(key, path, (s) => s.state === 'paused_invalid_token');
      const connection = await api.call('GET', '/v1/connections/tiktok', key);
      expect(connection.body.status).toBe('invalid_token');
      const callsWhilePaused = sandbox.state.statsOf('tiktok').requests;
      await new Promise((r) => setTimeout(r, 3_000));
      expect(sandbox.state.statsOf('tiktok').requests).toBe(callsWhilePaused);

      const reconnect = await api.call('PUT', '/v1/connections/tiktok', key, { accessToken: sandbox.state.newToken() });
      expect(reconnect.body.status).toBe('connected');
      const step = await untilStep(key, path, (s) => s.metrics.synced === 500);
      expect(step.state).toBe('active');
      expect(step.metrics.errored).toBe(0);
      expect(step.warnings).toEqual([{ code: 'audience_below_minimum_size', message: expect.any(String) }]);
    },
  );

  it(
    'counts users of an audience deleted at the partner as Errored audience_deleted',
    { timeout: 90_000 },
    async () => {
      const key = await workspace();
      await connected(key, 'facebook', '601');
      const path = stepPath('c', 'deleted');
      const launch = await api.call('PUT', path, key, launchBody('facebook', '601', 'doomed'));
      await fetch(`${sandbox.url}/_sandbox/facebook/audiences/${launch.body.audience.id}`, { method: 'DELETE' });
      const users = Array.from({ length: 20 }, (_, i) => ({ id: `u${i}`, email: `d${i}@example.com` }));
      await api.call('POST', `${path}/users`, key, { users });
      const step = await untilStep(key, path, (s) => s.metrics.errored === 20);
      expect(step.reasons.errored).toEqual({ audience_deleted: 20 });
      expect(step.lastError.code).toBe('audience_deleted');
    },
  );
});

describe('HTTP API: back-pressure', () => {
  it(
    'a step holding 50,000 unsent users answers 503 with Retry-After to more, records none of them, and takes them once it drains',
    { timeout: 120_000 },
    async () => {
      const key = await workspace();
      const token = await connected(key, 'tiktok', '7001');
      const path = stepPath('c', 'backlog');
      expect((await api.call('PUT', path, key, launchBody('tiktok', '7001', 'backlog'))).status).toBe(201);
      // Disconnected: the step pauses and holds what enters.
      expect((await api.call('DELETE', '/v1/connections/tiktok', key)).status).toBe(204);
      await untilStep(key, path, (s) => s.state === 'paused_invalid_token');
      const users = (from: number) =>
        Array.from({ length: 10_000 }, (_, i) => ({ id: `u${from + i}`, email: `b${from + i}@example.com` }));
      for (let n = 0; n < 50_000; n += 10_000) {
        expect((await api.call('POST', `${path}/users`, key, { users: users(n) })).status).toBe(202);
      }
      const refused = await api.call('POST', `${path}/users`, key, { users: users(50_000), idempotencyKey: 'late' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(refused.body.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining('50000 users'),
      });
      const held = await untilStep(key, path, () => true);
      expect(held.metrics).toMatchObject({ entered: 50_000, pending: 50_000, synced: 0 });

      // Reconnected, the step drains its backlog and the retried request is taken.
      expect((await api.call('PUT', '/v1/connections/tiktok', key, { accessToken: token })).status).toBe(200);
      await untilStep(key, path, (s) => s.metrics.pending < 50_000, 60_000);
      const retried = await api.call('POST', `${path}/users`, key, { users: users(50_000), idempotencyKey: 'late' });
      expect(retried.status).toBe(202);
      const done = await untilStep(key, path, (s) => s.metrics.synced === 60_000, 60_000);
      expect(done.metrics).toMatchObject({ entered: 60_000, pending: 0, errored: 0 });
    },
  );
});

describe('HTTP API: 25,000 users to each partner', () => {
  const cases: [PartnerId, string][] = [
    ['linkedin', '501'],
    ['facebook', '601'],
    ['pinterest', '5490001'],
    ['tiktok', '7001'],
  ];
  it.each(cases)('%s: the sandbox members equal the expected rows', { timeout: 120_000 }, async (partner, account) => {
    const key = await workspace();
    await connected(key, partner, account);
    const path = stepPath('c', `bulk-${partner}`);
    const launch = await api.call('PUT', path, key, launchBody(partner, account, `bulk-${partner}`));
    expect(launch.status).toBe(201);
    const users = Array.from({ length: 25_000 }, (_, i) => ({ id: `u${i}`, email: `Bulk.${i}@Example.com` }));
    for (let i = 0; i < users.length; i += 10_000) {
      const res = await api.call('POST', `${path}/users`, key, { users: users.slice(i, i + 10_000) });
      expect(res.status).toBe(202);
    }
    const step = await untilStep(key, path, (s) => s.metrics.synced === 25_000, 90_000);
    const [audience] = [...sandbox.state.audiencesOf(partner).values()].filter((a) => a.id === step.audience.id);
    const expected = users.map((u) => toRow(PARTNER_REGISTRY.require(partner), ['email'], u)![0]).sort();
    expect([...audience!.members.values()].map((m) => m.email).sort()).toEqual(expected);
  });
});

describe('HTTP API: load on one step', () => {
  it('accepts 24 posts to one step at once, every one of them counted', { timeout: 60_000 }, async () => {
    const key = await workspace();
    await connected(key, 'facebook', '601');
    const path = stepPath('c', 'concurrent');
    expect((await api.call('PUT', path, key, launchBody('facebook', '601', 'concurrent'))).status).toBe(201);
    const posts = await Promise.all(
      Array.from({ length: 24 }, (_, n) =>
        api.call('POST', `${path}/users`, key, {
          users: Array.from({ length: 500 }, (_, i) => ({ id: `${n}-${i}`, email: `c${n}-${i}@example.com` })),
        }),
      ),
    );
    expect(posts.map((p) => p.status)).toEqual(Array(24).fill(202));
    const step = await untilStep(key, path, (v) => v.metrics.synced === 12_000);
    expect(step.metrics.entered).toBe(12_000);
  });
});

describe('HTTP API: launch refusals', () => {
  it('lists every reason at once (422), and keeps shape errors apart (400)', { timeout: 60_000 }, async () => {
    const key = await workspace();
    const notConnected = await api.call('PUT', stepPath('c', 'tiktok'), key, {
      partner: 'tiktok',
      adAccountId: '7001',
      audience: { name: '', create: true },
      action: 'remove',
      fields: [],
    });
    expect(notConnected.status).toBe(422);
    expect(notConnected.body.error.code).toBe('launch_refused');
    expect(notConnected.body.error.details.map((d: { code: string }) => d.code)).toEqual([
      'not_connected',
      'audience_name_required',
      'remove_not_supported',
      'no_match_fields',
    ]);

    await connected(key, 'facebook', '601');
    const notSelected = await api.call('PUT', stepPath('c', 'fb'), key, launchBody('facebook', '602', 'x'));
    expect(notSelected.body.error.details.map((d: { code: string }) => d.code)).toEqual(['ad_account_not_selected']);
    await api.call('PUT', '/v1/connections/facebook/ad-accounts', key, { adAccountIds: ['601', '602'] });
    const terms = await api.call('PUT', stepPath('c', 'fb'), key, {
      partner: 'facebook',
      adAccountId: '602',
      audience: { name: 'x', create: true },
      action: 'add',
      fields: ['email', 'idfa'],
    });
    expect([terms.status, terms.body.error.details.map((d: { code: string }) => d.code)]).toEqual([
      422,
      ['terms_not_accepted'],
    ]);
    // Refused launches leave no step behind.
    expect((await api.call('GET', stepPath('c', 'fb'), key)).status).toBe(404);

    for (const bad of [
      { partner: 'myspace' },
      {
        partner: 'linkedin',
        adAccountId: '501',
        audience: { name: 'x', create: true },
        action: 'add',
        fields: ['fax'],
      },
      {
        partner: 'linkedin',
        adAccountId: 501,
        audience: { name: 'x', create: true },
        action: 'add',
        fields: ['email'],
      },
      {
        partner: 'linkedin',
        adAccountId: '501',
        audience: { name: 'x', create: true },
        action: 'add',
        fields: ['email'],
        colour: 'red',
      },
    ]) {
      const res = await api.call('PUT', stepPath('c', 'bad'), key, bad);
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
  });
});

describe('HTTP API: errors and tenancy', () => {
  it('answers each 4xx of docs/api.md in the error envelope', { timeout: 60_000 }, async () => {
    const key = await workspace();
    await connected(key, 'linkedin', '501');
    const launch = await api.call('PUT', stepPath(), key, launchBody('linkedin', '501', 'errors'));
    expect(launch.status).toBe(201);
    const users = `${stepPath()}/users`;

    expect((await api.call('POST', users, undefined, { users: [{ id: 'a' }] })).status).toBe(401);
    expect((await api.call('POST', users, 'ask_nope', { users: [{ id: 'a' }] })).body.error.code).toBe('unauthorized');
    expect((await api.call('POST', users, key, '{"users": [')).body.error).toMatchObject({ code: 'invalid_request' });
    const bad = await api.call('POST', users, key, {
      users: [{ id: 'a', email: 5 }, { id: 'b' }, { email: 'c@x.io', shoeSize: 9 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { index: 0, field: 'email', message: expect.any(String) },
      { index: 2, field: 'id', message: expect.any(String) },
      { index: 2, field: 'shoeSize', message: expect.any(String) },
    ]);
    const tooMany = await api.call('POST', users, key, {
      users: Array.from({ length: 10_001 }, (_, i) => ({ id: `u${i}` })),
    });
    expect([tooMany.status, tooMany.body.error.code]).toEqual([413, 'too_many_users']);
    const huge = await api.call('POST', users, key, { users: [{ id: 'a', email: 'x'.repeat(17 * 1024 * 1024) }] });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'payload_too_large']);
    expect((await api.call('POST', users, key, { users: [] })).status).toBe(400);
    // Nothing from the rejected requests was recorded.
    expect((await api.call('GET', stepPath(), key)).body.metrics.entered).toBe(0);

    expect((await api.call('GET', '/v1/canvases/a%20b/steps/s', key)).body.error).toMatchObject({
      code: 'invalid_request',
      details: [{ field: 'canvasId', message: expect.any(String) }],
    });
    expect((await api.call('GET', stepPath('c', 'never'), key)).body.error.code).toBe('step_not_found');
    expect((await api.call('POST', `${stepPath('c', 'never')}/users`, key, { users: [{ id: 'a' }] })).status).toBe(404);
    expect((await api.call('GET', '/v1/connections/tiktok', key)).body.error.code).toBe('not_connected');
    expect((await api.call('POST', '/v1/workspaces', key, { name: 'x' })).status).toBe(401);

    // Another workspace sees none of it.
    const other = await workspace('other');
    expect((await api.call('GET', stepPath(), other)).status).toBe(404);
    expect((await api.call('POST', users, other, { users: [{ id: 'a' }] })).status).toBe(404);
    expect((await api.call('DELETE', stepPath(), other)).status).toBe(404);
    expect((await api.call('GET', '/v1/connections/linkedin', other)).status).toBe(404);
    expect((await api.call('PUT', '/v1/connections/linkedin/ad-accounts', other, { adAccountIds: [] })).status).toBe(
      404,
    );
    expect((await api.call('DELETE', '/v1/connections/linkedin', other)).status).toBe(404);
    expect((await api.call('GET', '/v1/connections', other)).body).toEqual({ connections: [] });
    expect(
      (await api.call('PUT', '/v1/connections/linkedin/ad-accounts', key, { adAccountIds: ['999'] })).body.error.code,
    ).toBe('unknown_ad_account');
  });

  it(
    'keeps keys in Temporal: a second API with its own cache accepts them; a disconnect pauses the steps using it',
    { timeout: 60_000 },
    async () => {
      const key = await workspace();
      await connected(key, 'linkedin', '501');
      const path = stepPath('c', 'disconnect');
      await api.call(
        'PUT',
        path,
        key,
        launchBody('linkedin', '501', 'disconnect', { consent: { requireAdTracking: true } }),
      );
      const fresh = await startApiStack(env, sandbox);
      try {
        // Another API replica (empty key cache, other workers) reads the same workspace.
        const step = await fresh.call('GET', path, key);
        expect(step.status).toBe(200);
        expect(step.body.consent).toEqual({ requireAdTracking: true });
        expect((await fresh.call('GET', path, `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).status).toBe(401);
      } finally {
        await fresh.stop();
      }
      const users = [
        { id: 'yes', email: 'y@example.com', adTrackingEnabled: true },
        { id: 'no', email: 'n@example.com' },
      ];
      expect((await api.call('POST', `${path}/users`, key, { users })).body).toEqual({ accepted: 2, notSynced: 1 });
      expect((await api.call('DELETE', '/v1/connections/linkedin', key)).status).toBe(204);
      expect((await api.call('GET', '/v1/connections/linkedin', key)).body.status).toBe('disconnected');
      const paused = await untilStep(key, path, (s) => s.state === 'paused_invalid_token');
      expect(paused.reasons.notSynced).toEqual({ no_consent: 1 });
    },
  );

  it('sends the browser back to the redirectUri given at authorize', async () => {
    const key = await workspace();
    const authorize = await api.call(
      'GET',
      `/v1/connections/pinterest/authorize?redirectUri=${encodeURIComponent('https://app.example/connected')}`,
      key,
    );
    const consent = await fetch(authorize.headers.get('location')!, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    const done = await api.call('GET', `${callback.pathname}${callback.search}`);
    expect([done.status, done.headers.get('location')]).toEqual([302, 'https://app.example/connected']);
    expect((await api.call('GET', '/v1/connections/pinterest', key)).body.status).toBe('connected');
    const forged = await api.call('GET', `${callback.pathname}?code=x&state=${'a'.repeat(40)}.${'b'.repeat(43)}`);
    expect([forged.status, forged.body.error.code]).toEqual([400, 'invalid_state']);
  });

  it('documents every route in openapi.json, and each one answers as declared without a key', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    for (const r of ROUTES) {
      const path = r.path.replace('{partner}', 'linkedin').replace('{canvasId}', 'c').replace('{stepId}', 's');
      const res = await api.call(r.method.toUpperCase(), path, undefined, r.body ? {} : undefined);
      if (r.auth === 'none') {
        expect(res.body?.error?.code, `${r.method} ${r.path}`).not.toBe('not_found');
        expect(Object.keys(r.responses).map(Number), `${r.method} ${r.path}`).toContain(res.status);
      } else {
        expect([res.status, res.body.error.code], `${r.method} ${r.path}`).toEqual([401, 'unauthorized']);
      }
    }
  });
});

// Last: every answer this file received was one its route declares, with a body of the declared shape.
describe('HTTP API: contract', () => {
  it('answered every documented route, each time with a declared status and body', () => {
    for (const r of ROUTES) {
      const pattern = new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`);
      const calls = api.answered.filter((a) => a.method === r.method.toUpperCase() && pattern.test(a.path));
      expect(calls.length, `${r.method} ${r.path} was never called`).toBeGreaterThan(0);
      for (const c of calls) {
        const declared = r.responses[c.status];
        expect(declared, `${r.method} ${c.path} answered ${c.status}, not declared`).toBeDefined();
        if (declared?.schema) {
          const parsed = declared.schema.safeParse(c.body);
          expect(parsed.success, `${r.method} ${c.path} ${c.status}: ${JSON.stringify(parsed.error?.issues)}`).toBe(
            true,
          );
        }
      }
    }
  });
});
