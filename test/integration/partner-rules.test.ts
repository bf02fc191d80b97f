import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/sandbox/recording.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import type { PartnerId } from '../../domain/types.js';
import { connectWithToken, newWorkspace, startApiStack, type ApiStack } from '../helpers/api.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { connectDevServer } from '../helpers/temporal.js';

// The partner rules of 2025–26 through the HTTP API (dev server, workers, sandbox over sockets):
// Meta's flagged audiences, LinkedIn's 1,000-segment cap, and the minimum-size warnings.
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
let exchanges: Exchange[] = [];
/** Runs once, right after the first exchange it matches has been answered. */
let after: { match: (e: Exchange) => boolean; run: () => void } | undefined;

beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0, {
    onExchange: (e) => {
      exchanges.push(e);
      if (after?.match(e)) {
        const { run } = after;
        after = undefined;
        run();
      }
    },
  });
  api = await startApiStack(env, sandbox);
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});
beforeEach(() => {
  sandbox.state.reset(); // ad account counts and flags of one test stay out of the next
  exchanges = [];
  after = undefined;
});

let seq = 0;
const stepPath = () => `/v1/canvases/rules/steps/s${++seq}`;
const launchBody = (partner: PartnerId, adAccountId: string, audience: unknown) => ({
  partner,
  adAccountId,
  audience,
  action: 'add',
  fields: ['email'],
});
const usersFrom = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `u${from + i}`, email: `rules${from + i}@example.com` }));
const calls = (partner: string, method: string, path: RegExp) =>
  exchanges.filter((e) => e.partner === partner && e.method === method && path.test(e.path));

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

describe('Facebook: an audience Meta flagged for what it may suggest (operation_status 471)', () => {
  it(
    'refuses a launch on it as audience_restricted, by id and by name, creating nothing',
    { timeout: 60_000 },
    async () => {
      const key = await newWorkspace(api, 'flagged');
      await connectWithToken(api, sandbox, key, 'facebook', '601');
      const flagged = sandbox.state.createAudience('facebook', '601', 'health');
      expect(
        (await sandboxControl(() => sandbox.url, 'facebook')(`/audiences/${flagged.id}/restrict`, {})).status,
      ).toBe(204);
      for (const audience of [{ id: flagged.id }, { name: 'health', create: true }]) {
        const res = await api.call('PUT', stepPath(), key, launchBody('facebook', '601', audience));
        expect([res.status, res.body.error.code]).toEqual([422, 'launch_refused']);
        expect(res.body.error.details).toEqual([
          { code: 'audience_restricted', field: 'audience', message: expect.stringContaining('restricted') },
        ]);
      }
      expect([...sandbox.state.audiencesOf('facebook').values()].map((a) => a.id)).toEqual([flagged.id]);
      expect(calls('facebook', 'POST', /\/users$/)).toEqual([]);
    },
  );

  it(
    'errors a batch meeting 100/1713230 at once as audience_restricted, with one call per batch and no retry',
    { timeout: 60_000 },
    async () => {
      const key = await newWorkspace(api, 'flagged-later');
      await connectWithToken(api, sandbox, key, 'facebook', '601');
      const path = stepPath();
      const launch = await api.call('PUT', path, key, launchBody('facebook', '601', { name: 'later', create: true }));
      expect(launch.status).toBe(201);
      await sandboxControl(() => sandbox.url, 'facebook')(`/audiences/${launch.body.audience.id}/restrict`, {});
      expect((await api.call('POST', `${path}/users`, key, { users: usersFrom(0, 20) })).status).toBe(202);
      const first = await untilStep(key, path, (s) => s.metrics.errored === 20);
      expect(first.reasons.errored).toEqual({ audience_restricted: 20 });
      expect(first.lastError.code).toBe('audience_restricted');
      expect((await api.call('POST', `${path}/users`, key, { users: usersFrom(20, 30) })).status).toBe(202);
      const second = await untilStep(key, path, (s) => s.metrics.errored === 50);
      expect(second.metrics).toMatchObject({ synced: 0, pending: 0, errored: 50 });
      expect(second.reasons.errored).toEqual({ audience_restricted: 50 });
      await new Promise((r) => setTimeout(r, 2_500)); // a retry would be due within a second
      const sent = calls('facebook', 'POST', /\/users$/);
      expect(
        sent.map((e) => [e.status, (e.response as { error: { error_subcode: number } }).error.error_subcode]),
      ).toEqual([
        [400, 1713230],
        [400, 1713230],
      ]);
    },
  );
});

describe('LinkedIn: at most 1,000 DMP segments per ad account', () => {
  const li = sandboxControl(() => sandbox.url, 'linkedin');

  it(
    'refuses a launch that would create the 1,001st as audience_limit_reached, before any create; an existing segment still syncs',
    { timeout: 60_000 },
    async () => {
      const key = await newWorkspace(api, 'capped');
      await connectWithToken(api, sandbox, key, 'linkedin', '501');
      const existing = sandbox.state.createAudience('linkedin', '501', 'kept');
      existing.createdAt = 0;
      await li('/ad-accounts/501', { audienceCount: 1_000 });
      const res = await api.call('PUT', stepPath(), key, launchBody('linkedin', '501', { name: 'new', create: true }));
      expect([res.status, res.body.error.details]).toEqual([
        422,
        [{ code: 'audience_limit_reached', field: 'adAccountId', message: expect.stringContaining('1,000') }],
      ]);
      expect(calls('linkedin', 'POST', /^\/rest\/dmpSegments$/)).toEqual([]);
      const into = await api.call(
        'PUT',
        stepPath(),
        key,
        launchBody('linkedin', '501', { name: 'kept', create: true }),
      );
      expect([into.status, into.body.audience.id]).toEqual([201, existing.id]);
    },
  );

  it(
    'refuses on the 429 SEGMENT_LIMIT_EXCEEDED of a create (the count passed the cap after the check), after one create call',
    { timeout: 60_000 },
    async () => {
      const key = await newWorkspace(api, 'raced');
      await connectWithToken(api, sandbox, key, 'linkedin', '501');
      await li('/ad-accounts/501', { audienceCount: 999 });
      // Another tool makes the 1,000th segment between our count and our create.
      after = {
        match: (e) => e.partner === 'linkedin' && e.method === 'GET' && e.query.count === '1',
        run: () => sandbox.state.adAccounts.set('501', { audienceCount: 1_000 }),
      };
      const res = await api.call('PUT', stepPath(), key, launchBody('linkedin', '501', { name: 'late', create: true }));
      expect([res.status, res.body.error.details.map((d: { code: string }) => d.code)]).toEqual([
        422,
        ['audience_limit_reached'],
      ]);
      await new Promise((r) => setTimeout(r, 2_000)); // a retry would be due within a second
      const creates = calls('linkedin', 'POST', /^\/rest\/dmpSegments$/);
      expect(creates.map((e) => [e.status, (e.response as { code: string }).code])).toEqual([
        [429, 'SEGMENT_LIMIT_EXCEEDED'],
      ]);
      expect([...sandbox.state.audiencesOf('linkedin').values()].filter((a) => a.name === 'late')).toEqual([]);
    },
  );
});

describe('audience_below_minimum_size, with the partner number', () => {
  it.each([
    ['linkedin', '501', 300],
    ['pinterest', '5490001', 100],
    ['tiktok', '7001', 1_000],
  ] as const)(
    '%s (ad account %s): warns below %s synced users, naming that number, and not once they are',
    { timeout: 90_000 },
    async (partner, adAccountId, minimum) => {
      const key = await newWorkspace(api, `min-${partner}`);
      await connectWithToken(api, sandbox, key, partner, adAccountId);
      const path = stepPath();
      const launch = await api.call(
        'PUT',
        path,
        key,
        launchBody(partner, adAccountId, { name: 'small', create: true }),
      );
      expect(launch.status).toBe(201);
      expect((await api.call('POST', `${path}/users`, key, { users: usersFrom(0, minimum - 1) })).status).toBe(202);
      const below = await untilStep(key, path, (s) => s.metrics.synced === minimum - 1);
      expect(below.warnings).toEqual([
        {
          code: 'audience_below_minimum_size',
          message: expect.stringContaining(`at least ${minimum.toLocaleString('en-US')} matched members`),
        },
      ]);
      expect(below.warnings[0].message).toContain(`synced ${(minimum - 1).toLocaleString('en-US')} users`);
      await api.call('POST', `${path}/users`, key, { users: usersFrom(minimum - 1, 1) });
      const reached = await untilStep(key, path, (s) => s.metrics.synced === minimum);
      expect(reached.warnings).toBeUndefined();
    },
  );

  it('never warns on Facebook, which publishes no minimum', { timeout: 60_000 }, async () => {
    const key = await newWorkspace(api, 'min-facebook');
    await connectWithToken(api, sandbox, key, 'facebook', '601');
    const path = stepPath();
    await api.call('PUT', path, key, launchBody('facebook', '601', { name: 'tiny', create: true }));
    await api.call('POST', `${path}/users`, key, { users: usersFrom(0, 3) });
    expect((await untilStep(key, path, (s) => s.metrics.synced === 3)).warnings).toBeUndefined();
  });
});
