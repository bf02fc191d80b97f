/** The partner API versions in force, as an operator and a client see them. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysUntil } from '../../partners/calendar.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  // An operator moved Facebook back to v25.0 without a release.
  api = await startApiStack(env, sandbox, { FACEBOOK_GRAPH_VERSION: 'v25.0' });
});
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

describe('partner API versions in force', () => {
  it('are listed by GET /v1/partners with the day each is sunset', async () => {
    const { body } = await api.call('GET', '/v1/partners');
    const byId = Object.fromEntries(body.partners.map((p: { id: string }) => [p.id, p]));
    expect(byId.linkedin).toMatchObject({ apiVersion: '202608', apiVersionSunsetAt: '2027-08-15' });
    expect(byId.facebook).toMatchObject({ apiVersion: 'v25.0', apiVersionSunsetAt: '2027-02-23' });
    expect(byId.pinterest).toMatchObject({ apiVersion: null, apiVersionSunsetAt: null });
    expect(byId.tiktok).toMatchObject({ apiVersion: null, apiVersionSunsetAt: null });
  });

  it('are exposed in /metrics as days left, where the partner publishes a date', async () => {
    const res = await fetch(`${api.url}/metrics`);
    const text = await res.text();
    expect(text).toContain(`audience_sync_partner_api_sunset_days{partner="facebook"} ${daysUntil('2027-02-23')}`);
    expect(text).toContain(`audience_sync_partner_api_sunset_days{partner="linkedin"} ${daysUntil('2027-08-15')}`);
    expect(text).not.toContain('audience_sync_partner_api_sunset_days{partner="pinterest"}');
  });
});
