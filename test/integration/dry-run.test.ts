import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionWorkflowId, rateLimitKey, rateLimiterWorkflowId, stepWorkflowId } from '../../domain/ids.js';
import type { PartnerId } from '../../domain/types.js';
import { DryRunLaunch } from '../../src/api/schemas.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ADMIN_KEY, connectWithToken, startApiStack, type ApiStack } from '../helpers/api.js';
import { PARTNER_IDS } from '../helpers/partners.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { connectDevServer } from '../helpers/temporal.js';

// PUT …/steps/:stepId?dryRun=true over real sockets (dev server, workers, sandbox partners): it
// answers what the launch would do, or the launch's own refusal, and changes nothing anywhere.
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

const launchBody = (partner: PartnerId, adAccountId: string, over: Record<string, unknown> = {}) => ({
  partner,
  adAccountId,
  audience: { name: 'leads', create: true },
  action: 'add',
  fields: ['email'],
  ...over,
});
const stepPath = (step = 'step-1') => `/v1/canvases/canvas-1/steps/${step}`;
const dryRun = (key: string, body: unknown, step = 'step-1') =>
  api.call('PUT', `${stepPath(step)}?dryRun=true`, key, body);

/** A new workspace: its id and key. */
async function workspace(): Promise<{ workspaceId: string; key: string }> {
  const res = await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name: 'dry' });
  expect(res.status).toBe(201);
  return { workspaceId: res.body.id, key: res.body.apiKey };
}
async function connected(partner: PartnerId, adAccountId: string) {
  const ws = await workspace();
  const token = await connectWithToken(api, sandbox, ws.key, partner, adAccountId);
  return { ...ws, token };
}

/** Every sandbox partner's audiences and their members. */
const audiences = () =>
  JSON.stringify(
    PARTNER_IDS.map((p) =>
      [...sandbox.state.audiencesOf(p).values()].map((a) => ({ ...a, members: [...a.members.keys()].sort() })),
    ),
  );

/** A workflow's history as far as it has gone: its event count and last event id. */
async function historyOf(workflowId: string) {
  const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return { events: events?.length ?? 0, lastEventId: String(events?.at(-1)?.eventId) };
}

/** The history once nothing has happened in it for a second (a batch's completion lands late). */
async function settledHistory(workflowId: string) {
  let before = await historyOf(workflowId);
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = await historyOf(workflowId);
    if (JSON.stringify(now) === JSON.stringify(before)) return now;
    before = now;
  }
  throw new Error(`${workflowId} never settled`);
}

const stepExists = (workspaceId: string, stepId = 'step-1') =>
  env.client.workflow
    .getHandle(stepWorkflowId({ workspaceId, canvasId: 'canvas-1', stepId }))
    .describe()
    .then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );

describe('a dry-run launch', () => {
  it(
    'for a new audience: would create it (id null), and starts no step, creates no audience, leaves the connection as it was',
    { timeout: 60_000 },
    async () => {
      const { workspaceId, key, token } = await connected('linkedin', '501');
      const connectionId = connectionWorkflowId(workspaceId, 'linkedin');
      const [sandboxBefore, connectionBefore] = [audiences(), await settledHistory(connectionId)];

      const res = await dryRun(key, launchBody('linkedin', '501', { audience: { name: 'fresh', create: true } }));
      expect(res.status).toBe(200);
      expect(DryRunLaunch.safeParse(res.body).success).toBe(true);
      expect(res.body).toEqual({
        dryRun: true,
        audience: { id: null, name: 'fresh', exists: false },
        warnings: [
          {
            code: 'audience_below_minimum_size',
            message:
              'LinkedIn needs at least 300 matched members to use an audience; this step has synced 0 users so far.',
          },
        ],
      });

      expect(audiences()).toBe(sandboxBefore);
      expect(await stepExists(workspaceId)).toBe(false);
      expect((await api.call('GET', stepPath(), key)).body.error.code).toBe('step_not_found');
      expect(await historyOf(connectionId)).toEqual(connectionBefore);
      // The token it used is nowhere in the answer or the logs.
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect(api.logLines.join('\n')).not.toContain(token);
    },
  );

  it('for an existing audience, by name and by id: exists, with its id', { timeout: 60_000 }, async () => {
    const { workspaceId, key } = await connected('facebook', '601');
    const known = sandbox.state.createAudience('facebook', '601', 'known');
    const before = audiences();
    const expected = { dryRun: true, audience: { id: known.id, name: 'known', exists: true }, warnings: [] };

    const byName = await dryRun(key, launchBody('facebook', '601', { audience: { name: 'known', create: true } }));
    expect([byName.status, byName.body]).toEqual([200, expected]);
    const byNameOnly = await dryRun(key, launchBody('facebook', '601', { audience: { name: 'known', create: false } }));
    expect([byNameOnly.status, byNameOnly.body]).toEqual([200, expected]);
    const byId = await dryRun(key, launchBody('facebook', '601', { audience: { id: known.id } }));
    expect([byId.status, byId.body]).toEqual([200, expected]);

    expect(audiences()).toBe(before);
    expect(await stepExists(workspaceId)).toBe(false);
    // Its partner calls took slots on the lane Facebook counts them by: the ad account's.
    const limiter = rateLimiterWorkflowId(api.taskQueue, rateLimitKey('adAccount', 'facebook', workspaceId, '601'));
    expect((await env.client.workflow.getHandle(limiter).describe()).status.name).toBe('RUNNING');
  });

  it("refuses as the launch refuses, with every reason, and the launch's own 400s", { timeout: 90_000 }, async () => {
    const { workspaceId, key } = await connected('facebook', '602');
    const tiktok = await connected('tiktok', '7001');
    // Facebook's 602 has not accepted the terms; at 500 audiences it is also at its limit.
    await sandboxControl(() => sandbox.url, 'facebook')('/ad-accounts/602', { audienceCount: 500 });
    const cases: [string, unknown, string[]][] = [
      [key, launchBody('facebook', '602'), ['terms_not_accepted', 'audience_limit_reached']],
      [
        tiktok.key,
        launchBody('tiktok', '7001', { action: 'remove', audience: { name: 'nope', create: false } }),
        ['remove_not_supported', 'audience_not_found'],
      ],
      [
        key,
        launchBody('facebook', '602', { fields: [], audience: { name: ' ', create: true } }),
        ['audience_name_required', 'no_match_fields', 'terms_not_accepted'],
      ],
      [key, launchBody('facebook', '601'), ['ad_account_not_selected']],
      [key, launchBody('linkedin', '501'), ['not_connected']],
      [
        key,
        launchBody('facebook', '602', { audience: { id: '424242' } }),
        ['terms_not_accepted', 'audience_not_found'],
      ],
    ];
    const before = audiences();
    const dryAnswers = [];
    for (const [k, body, reasons] of cases) {
      const dry = await dryRun(k, body);
      expect(dry.status, JSON.stringify(dry.body)).toBe(422);
      expect(dry.body.error.details.map((d: { code: string }) => d.code)).toEqual(reasons);
      dryAnswers.push(dry);
    }
    expect(await stepExists(workspaceId)).toBe(false);
    expect(await stepExists(tiktok.workspaceId)).toBe(false);
    // A refused launch answers the same (it starts a step, which ends refused).
    for (const [i, [k, body]] of cases.entries()) {
      const launched = await api.call('PUT', stepPath(), k, body);
      expect([dryAnswers[i]!.status, dryAnswers[i]!.body]).toEqual([launched.status, launched.body]);
    }
    expect(audiences()).toBe(before);

    const shape = launchBody('facebook', '602', { colour: 'red' });
    const dry = await dryRun(key, shape);
    expect(dry.status).toBe(400);
    expect(dry.body).toEqual((await api.call('PUT', stepPath(), key, shape)).body);
    expect(dry.body.error.details).toEqual([{ field: 'colour', message: expect.any(String) }]);
    for (const value of ['yes', '1', '']) {
      const bad = await api.call('PUT', `${stepPath()}?dryRun=${value}`, key, launchBody('facebook', '602'));
      expect([bad.status, bad.body.error.code, bad.body.error.details[0].field]).toEqual([
        400,
        'invalid_request',
        'dryRun',
      ]);
    }
    const twice = await api.call('PUT', `${stepPath()}?dryRun=true&dryRun=true`, key, launchBody('facebook', '602'));
    expect([twice.status, twice.body.error.details[0].field]).toEqual([400, 'dryRun']);
  });

  it(
    'on a launched step: says what a changed config would change, and leaves the step, its connection and the partner as they are',
    { timeout: 90_000 },
    async () => {
      const { workspaceId, key } = await connected('linkedin', '501');
      const launched = await api.call(
        'PUT',
        stepPath(),
        key,
        launchBody('linkedin', '501', { audience: { name: 'main', create: true } }),
      );
      expect(launched.status).toBe(201);
      const users = Array.from({ length: 5 }, (_, i) => ({ id: `u${i}`, email: `u${i}@example.com` }));
      expect((await api.call('POST', `${stepPath()}/users`, key, { users })).status).toBe(202);
      const stepId = stepWorkflowId({ workspaceId, canvasId: 'canvas-1', stepId: 'step-1' });
      const connectionId = connectionWorkflowId(workspaceId, 'linkedin');
      const deadline = Date.now() + 30_000;
      while ((await api.call('GET', stepPath(), key)).body.metrics.synced < 5) {
        if (Date.now() > deadline) throw new Error('the users never synced');
        await new Promise((r) => setTimeout(r, 300));
      }
      const before = {
        step: await settledHistory(stepId),
        connection: await settledHistory(connectionId),
        view: (await api.call('GET', stepPath(), key)).body,
        sandbox: audiences(),
      };
      const other = sandbox.state.createAudience('linkedin', '501', 'other');

      const changed = await dryRun(
        key,
        launchBody('linkedin', '501', {
          audience: { name: 'other', create: false },
          fields: ['email', 'firstName', 'lastName'],
          action: 'remove',
          lastStep: true,
          consent: { requireAdTracking: true },
        }),
      );
      expect(changed.status).toBe(200);
      expect(changed.body.audience).toEqual({ id: other.id, name: 'other', exists: true });
      expect(changed.body.warnings.map((w: { code: string }) => w.code)).toEqual([
        'relaunch_changes_audience',
        'relaunch_changes_fields',
        'relaunch_changes_action',
        'relaunch_changes_last_step',
        'relaunch_changes_consent',
      ]);
      expect(changed.body.warnings[0].message).toBe(
        'The step moves to the existing audience "other"; the 5 users synced so far stay in "main".',
      );
      const same = await dryRun(key, launchBody('linkedin', '501', { audience: { name: 'main', create: true } }));
      expect(same.body).toEqual({
        dryRun: true,
        audience: { id: launched.body.audience.id, name: 'main', exists: true },
        warnings: [
          {
            code: 'audience_below_minimum_size',
            message:
              'LinkedIn needs at least 300 matched members to use an audience; this step has synced 5 users so far.',
          },
          { code: 'relaunch_unchanged', message: 'Nothing the step does would change.' },
        ],
      });
      const partnerChange = launchBody('pinterest', '5490001');
      await connectWithToken(api, sandbox, key, 'pinterest', '5490001');
      const connectedPinterest = await settledHistory(connectionWorkflowId(workspaceId, 'pinterest'));
      const refusedDry = await dryRun(key, partnerChange);
      expect([refusedDry.status, refusedDry.body.error.details[0].code]).toEqual([422, 'invalid_request']);

      sandbox.state.audiencesOf('linkedin').delete(other.id);
      expect(await historyOf(stepId)).toEqual(before.step);
      expect(await historyOf(connectionId)).toEqual(before.connection);
      expect(await historyOf(connectionWorkflowId(workspaceId, 'pinterest'))).toEqual(connectedPinterest);
      expect((await api.call('GET', stepPath(), key)).body).toEqual(before.view);
      expect(audiences()).toBe(before.sandbox);

      // The real relaunch refuses the partner change the same way.
      const refusedLaunch = await api.call('PUT', stepPath(), key, partnerChange);
      expect([refusedDry.status, refusedDry.body]).toEqual([refusedLaunch.status, refusedLaunch.body]);
    },
  );

  it(
    'on Pinterest, which creates a list only with its first users: no id, and a warning saying so',
    { timeout: 60_000 },
    async () => {
      const { workspaceId, key } = await connected('pinterest', '5490001');
      const before = audiences();
      const res = await dryRun(key, launchBody('pinterest', '5490001', { audience: { name: 'pins', create: true } }));
      expect(res.status).toBe(200);
      expect(res.body.audience).toEqual({ id: null, name: 'pins', exists: false });
      expect(res.body.warnings.map((w: { code: string }) => w.code)).toEqual([
        'audience_below_minimum_size',
        'audience_created_with_first_users',
      ]);
      expect(audiences()).toBe(before);
      expect(await stepExists(workspaceId)).toBe(false);
      // The launch agrees: no id until the first batch.
      const launched = await api.call(
        'PUT',
        stepPath(),
        key,
        launchBody('pinterest', '5490001', { audience: { name: 'pins', create: true } }),
      );
      expect([launched.status, launched.body.audience]).toEqual([201, { id: null, name: 'pins' }]);
    },
  );
});
