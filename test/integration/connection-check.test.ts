/**
 * GET /v1/connections/:partner/check over real sockets (dev server, workers, sandbox partners):
 * every check passing, then each failing in turn as a real account would make it fail, and the
 * check changing nothing (the Connection workflow's history, its view, the partner's audiences).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionWorkflowId } from '../../domain/ids.js';
import type { PartnerId } from '../../domain/types.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ADMIN_KEY, startApiStack, type ApiStack } from '../helpers/api.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { connectDevServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
/** The same service with LINKEDIN_API_VERSION=202505 (sunset 2026-05-15): accepted at start, with a warning. */
let sunsetApi: ApiStack;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  api = await startApiStack(env, sandbox);
  sunsetApi = await startApiStack(env, sandbox, { LINKEDIN_API_VERSION: '202505' });
}, 90_000);
afterAll(async () => {
  await sunsetApi?.stop();
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

const control = (partner: string) => sandboxControl(() => sandbox.url, partner);

async function workspace(): Promise<{ id: string; key: string }> {
  const res = await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name: 'check' });
  expect(res.status).toBe(201);
  return { id: res.body.id, key: res.body.apiKey };
}

/** A workspace connected to `partner` with `token` (registered in the sandbox with `scopes`), `adAccountIds` selected. */
async function connectedWith(partner: PartnerId, adAccountIds: string[], scopes?: string[]) {
  const w = await workspace();
  const accessToken = `check-${partner}-${Math.random().toString(36).slice(2)}`;
  expect((await control(partner)('/tokens', { accessToken, ...(scopes ? { scopes } : {}) })).status).toBe(201);
  expect((await api.call('PUT', `/v1/connections/${partner}`, w.key, { accessToken })).status).toBe(200);
  const sel = await api.call('PUT', `/v1/connections/${partner}/ad-accounts`, w.key, { adAccountIds });
  expect(sel.status).toBe(200);
  return { ...w, accessToken };
}

const check = (key: string, partner: string, on: ApiStack = api) =>
  on.call('GET', `/v1/connections/${partner}/check`, key);
const byCode = (body: { checks: { code: string; ok: boolean; message: string }[] }) =>
  Object.fromEntries(body.checks.map((c) => [c.code, c]));

describe('the connection check', () => {
  it('passes every check on a good LinkedIn connection, and changes nothing anywhere', async () => {
    const w = await connectedWith('linkedin', ['501']);
    const handle = env.client.workflow.getHandle(connectionWorkflowId(w.id, 'linkedin'));
    const historyBefore = (await handle.fetchHistory()).events?.length;
    const viewBefore = (await api.call('GET', '/v1/connections/linkedin', w.key)).body;
    const audiencesBefore = await (await control('linkedin')('/audiences')).json();

    const res = await check(w.key, 'linkedin');
    expect(res.status).toBe(200);
    expect(res.body.partner).toBe('linkedin');
    expect(res.body.checks.map((c: { code: string }) => c.code)).toEqual([
      'token_valid',
      'scopes_granted',
      'api_version_accepted',
      'ad_account_usable:501',
    ]);
    expect(res.body.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(res.body.ok).toBe(true);
    expect(byCode(res.body).api_version_accepted!.message).toContain('202608');
    expect(JSON.stringify(res.body)).not.toContain(w.accessToken);

    expect((await handle.fetchHistory()).events?.length).toBe(historyBefore);
    expect((await api.call('GET', '/v1/connections/linkedin', w.key)).body).toEqual(viewBefore);
    expect(await (await control('linkedin')('/audiences')).json()).toEqual(audiencesBefore);
    expect(api.logLines.join('\n')).not.toContain(w.accessToken);
  });

  it('passes on Facebook, and on Pinterest and TikTok says their scopes could not be verified', async () => {
    const fb = await connectedWith('facebook', ['601']);
    const fbRes = await check(fb.key, 'facebook');
    expect(fbRes.body).toMatchObject({ partner: 'facebook', ok: true });
    expect(byCode(fbRes.body).scopes_granted!.message).toContain('ads_management');

    for (const [partner, adAccountId] of [
      ['pinterest', PARTNER_REGISTRY.require('pinterest').sandboxAdAccountId],
      ['tiktok', PARTNER_REGISTRY.require('tiktok').sandboxAdAccountId],
    ] as const) {
      const w = await connectedWith(partner, [adAccountId]);
      const res = await check(w.key, partner);
      expect(res.body.ok).toBe(true);
      expect(byCode(res.body).scopes_granted).toMatchObject({ ok: true });
      expect(byCode(res.body).scopes_granted!.message).toMatch(/could not be verified/);
      expect(byCode(res.body)[`ad_account_usable:${adAccountId}`]).toMatchObject({ ok: true });
    }
  });

  it('fails token_valid on a revoked token (introspected on LinkedIn, read on Pinterest), checking nothing after it', async () => {
    const w = await connectedWith('linkedin', ['501']);
    expect((await control('linkedin')('/tokens/revoke', { accessToken: w.accessToken })).status).toBe(204);
    const res = await check(w.key, 'linkedin');
    expect(res.body.ok).toBe(false);
    const c = byCode(res.body);
    expect(c.token_valid).toMatchObject({ ok: false });
    expect(c.token_valid!.message).toMatch(/reconnect LinkedIn/);
    expect(c.scopes_granted!.message).toMatch(/^Not checked/);
    expect(c['ad_account_usable:501']).toMatchObject({ ok: false });

    const pin = PARTNER_REGISTRY.require('pinterest').sandboxAdAccountId;
    const p = await connectedWith('pinterest', [pin]);
    await control('pinterest')('/tokens/revoke', { accessToken: p.accessToken });
    expect(byCode((await check(p.key, 'pinterest')).body).token_valid).toMatchObject({ ok: false });
  });

  it('fails scopes_granted naming the scope a token lacks (LinkedIn, Facebook)', async () => {
    // r_ads only: the ad accounts are listed, but segments would be refused (403 ACCESS_DENIED).
    const li = await connectedWith('linkedin', ['501'], ['r_ads']);
    const liChecks = byCode((await check(li.key, 'linkedin')).body);
    expect(liChecks.token_valid).toMatchObject({ ok: true });
    expect(liChecks.scopes_granted).toMatchObject({ ok: false });
    expect(liChecks.scopes_granted!.message).toContain('rw_dmp_segments');
    expect(liChecks.scopes_granted!.message).not.toContain('r_ads');

    const fb = await connectedWith('facebook', ['601'], ['ads_read']);
    const fbChecks = byCode((await check(fb.key, 'facebook')).body);
    expect(fbChecks.scopes_granted).toMatchObject({ ok: false });
    expect(fbChecks.scopes_granted!.message).toContain('ads_management');
  });

  it('fails api_version_accepted at a sunset LINKEDIN_API_VERSION, naming it and what to do', async () => {
    expect(PARTNER_REGISTRY.apiVersions({ LINKEDIN_API_VERSION: '202505' }).linkedin!.warning).toMatch(/sunset/);
    const w = await connectedWith('linkedin', ['501']); // connected by the service at its pinned version
    const res = await check(w.key, 'linkedin', sunsetApi);
    expect(res.status).toBe(200);
    const c = byCode(res.body);
    expect(c.token_valid).toMatchObject({ ok: true });
    expect(c.api_version_accepted).toMatchObject({ ok: false });
    expect(c.api_version_accepted!.message).toContain('202505');
    expect(c.api_version_accepted!.message).toContain('LINKEDIN_API_VERSION');
    expect(c.api_version_accepted!.message).toContain('2026-05-15');
    expect(c['ad_account_usable:501']!.message).toMatch(/^Not checked/);
  });

  it('fails ad_account_usable on an ad account without the Custom Audience terms, and at the audience cap', async () => {
    const w = await connectedWith('facebook', ['601', '602']);
    const terms = byCode((await check(w.key, 'facebook')).body);
    expect(terms['ad_account_usable:601']).toMatchObject({ ok: true });
    expect(terms['ad_account_usable:602']).toMatchObject({ ok: false });
    expect(terms['ad_account_usable:602']!.message).toMatch(/Custom Audience terms/);

    expect((await control('facebook')('/ad-accounts/601', { audienceCount: 500 })).status).toBe(204);
    try {
      const cap = byCode((await check(w.key, 'facebook')).body);
      expect(cap['ad_account_usable:601']).toMatchObject({ ok: false });
      expect(cap['ad_account_usable:601']!.message).toMatch(/500 custom audiences/);
    } finally {
      await control('facebook')('/ad-accounts/601', { audienceCount: 0 });
    }

    // LinkedIn's cap: 1,000 DMP segments an ad account.
    const li = await connectedWith('linkedin', ['501']);
    expect((await control('linkedin')('/ad-accounts/501', { audienceCount: 1_000 })).status).toBe(204);
    try {
      const full = byCode((await check(li.key, 'linkedin')).body);
      expect(full['ad_account_usable:501']).toMatchObject({ ok: false });
      expect(full['ad_account_usable:501']!.message).toMatch(/1,000 DMP segments/);
    } finally {
      await control('linkedin')('/ad-accounts/501', { audienceCount: 0 });
    }
  });

  it('answers 404 not_connected without a connection and 400 naming an unknown partner', async () => {
    const w = await workspace();
    const none = await check(w.key, 'linkedin');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('not_connected');
    const bad = await check(w.key, 'myspace');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('partner');
  });
});
