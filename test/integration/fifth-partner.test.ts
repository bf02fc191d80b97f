/**
 * A fifth partner is one folder (test/fixtures/partners/example/) and one registry line: it is
 * listed, validated, launched and synced end to end, with nothing else written for it.
 */
import { createHash } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARTNERS, PartnerRegistry } from '../../partners/registry.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { example } from '../fixtures/partners/example/definition.js';
import { connectWithToken, newWorkspace, startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';

const registry = new PartnerRegistry([...DEFAULT_PARTNERS, example]);

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;

beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0, {}, registry);
  api = await startApiStack(env, sandbox, {}, { registry });
});
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

describe('a fifth partner, registered by one line', () => {
  it('is listed by GET /v1/partners with its label and limits', async () => {
    const res = await api.call('GET', '/v1/partners');
    expect(res.status).toBe(200);
    expect(res.body.partners.map((p: { id: string }) => p.id)).toEqual([
      'linkedin',
      'facebook',
      'pinterest',
      'tiktok',
      'example',
    ]);
    expect(res.body.partners.at(-1)).toMatchObject({
      id: 'example',
      label: 'Example',
      maxUsersPerRequest: 400,
      requestsPerSecond: 4,
      fields: ['email'],
      canRemove: true,
      apiVersion: 'v1',
      minimumAudienceSize: 10,
    });
  });

  it('launches a step and its users reach Synced in its own sandbox', async () => {
    const key = await newWorkspace(api, 'fifth');
    await connectWithToken(api, sandbox, key, 'example', 'ex-1');
    const path = '/v1/canvases/c5/steps/s5';
    const launch = await api.call('PUT', path, key, {
      partner: 'example',
      adAccountId: 'ex-1',
      audience: { name: 'fives', create: true },
      action: 'add',
      fields: ['email'],
    });
    expect(launch.status).toBe(201);
    expect(launch.body.audience.id).toEqual(expect.any(String));
    const users = Array.from({ length: 1_000 }, (_, i) => ({ id: `u${i}`, email: ` User${i}@Example.com` }));
    expect((await api.call('POST', `${path}/users`, key, { users })).status).toBe(202);
    let step = (await api.call('GET', path, key)).body;
    for (let i = 0; i < 120 && step.metrics.synced < 1_000; i++) {
      await new Promise((r) => setTimeout(r, 250));
      step = (await api.call('GET', path, key)).body;
    }
    expect(step.metrics).toMatchObject({ entered: 1_000, synced: 1_000, pending: 0, errored: 0 });
    const [list] = [...sandbox.state.audiencesOf('example').values()];
    const members = [...list!.members.values()].map((m) => m.email).sort();
    expect(members).toEqual(users.map((_, i) => sha256(`user${i}@example.com`)).sort());
    // Cut to its own limit (400 a request), and paced under its own rate.
    const stats = sandbox.state.statsOf('example');
    expect(stats.maxUsersInARequest).toBe(400);
    for (const k of Object.values(stats.byKey)) expect(k.maxRequestsInAnySecond).toBeLessThanOrEqual(4);
  });

  it('refuses what it cannot do, with its own rules', async () => {
    const key = await newWorkspace(api, 'fifth-refused');
    await connectWithToken(api, sandbox, key, 'example', 'ex-1');
    const res = await api.call('PUT', '/v1/canvases/c5/steps/bad', key, {
      partner: 'example',
      adAccountId: 'ex-1',
      audience: { name: 'x', create: true },
      action: 'add',
      fields: ['phone'],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { code: string }) => d.code)).toEqual(['field_not_supported']);
  });

  it('has its bad settings refused at start-up, by name', () => {
    const bad = { EXAMPLE_API_URL: 'not a url', EXAMPLE_USERS_PER_REQUEST: '0' };
    expect(() => loadConfig(bad, registry)).toThrow(ConfigError);
    expect(() => loadConfig(bad, registry)).toThrow(/EXAMPLE_API_URL must be a URL/);
    expect(() => loadConfig(bad, registry)).toThrow(/EXAMPLE_USERS_PER_REQUEST must be a positive whole number/);
    // Without the line in the registry, the same variables are nobody's settings.
    expect(() => loadConfig(bad)).not.toThrow();
  });
});
