/**
 * Reading a token's validity and scopes as each partner publishes it — LinkedIn's token
 * introspection (learn.microsoft.com/…/shared/authentication/token-introspection), Meta's
 * `/me/permissions` (developers.facebook.com/docs/graph-api/reference/user/permissions) — and the
 * sandbox refusing a call whose scope the token lacks, in the partner's own error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER_REGISTRY } from '../../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { gated } from '../../helpers/gated.js';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox('127.0.0.1', 0, { rateLimits: false });
});
afterAll(async () => {
  await sandbox?.close();
});

const adapters = () => PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} });
const tokenWith = (scopes?: string[]) => {
  const token = sandbox.state.newToken();
  if (scopes) sandbox.state.tokenScopes.set(token, scopes);
  return token;
};

describe('LinkedIn token introspection', () => {
  const introspect = (form: Record<string, string>) =>
    fetch(`${sandbox.url}/linkedin/oauth/v2/introspectToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  it('answers active, status and comma-separated scope; a revoked token inactive; an unknown one 400', async () => {
    const token = tokenWith(['r_ads']);
    const active = await introspect({ client_id: 'sandbox', client_secret: 'sandbox', token });
    expect(active.status).toBe(200);
    expect(await active.json()).toMatchObject({ active: true, status: 'active', scope: 'r_ads', auth_type: '3L' });
    sandbox.state.revokedTokens.add(token);
    expect(await (await introspect({ client_id: 'sandbox', client_secret: 'sandbox', token })).json()).toMatchObject({
      active: false,
      status: 'revoked',
    });
    expect((await introspect({ client_id: 'sandbox', client_secret: 'sandbox', token: 'nope' })).status).toBe(400);
    expect((await introspect({ token: tokenWith() })).status).toBe(400);
  });

  it('is read by the adapter: valid with its scopes, or not valid', async () => {
    const li = gated(adapters().linkedin!);
    expect(await li.tokenInfo!(tokenWith())).toEqual({ valid: true, scopes: ['r_ads', 'rw_dmp_segments'] });
    const revoked = tokenWith();
    sandbox.state.revokedTokens.add(revoked);
    expect(await li.tokenInfo!(revoked)).toEqual({ valid: false, scopes: null });
    await expect(li.tokenInfo!('never-issued')).rejects.toMatchObject({ type: 'rejected' });
  });

  it('refuses segments to a token without rw_dmp_segments: 403 ACCESS_DENIED', async () => {
    const token = tokenWith(['r_ads']);
    const res = await fetch(`${sandbox.url}/linkedin/rest/dmpSegments?q=account&account=urn:li:sponsoredAccount:501`, {
      headers: { authorization: `Bearer ${token}`, 'linkedin-version': '202608', 'x-restli-protocol-version': '2.0.0' },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      status: 403,
      serviceErrorCode: 100,
      code: 'ACCESS_DENIED',
      message: 'Not enough permissions to access: dmpSegments.GET.20260801',
    });
    const li = gated(adapters().linkedin!);
    expect(await li.listAdAccounts(token)).toHaveLength(2);
    await expect(li.findAudience(token, '501', { name: 'x', create: false })).rejects.toMatchObject({
      type: 'token_invalid',
    });
  });
});

describe("Meta's /me/permissions", () => {
  it('lists the granted permissions, at a Marketing-expired version too (the Graph calendar is longer)', async () => {
    const token = tokenWith(['ads_read']);
    for (const version of ['v26.0', 'v24.0']) {
      const res = await fetch(`${sandbox.url}/facebook/${version}/me/permissions`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: [{ permission: 'ads_read', status: 'granted' }] });
    }
    const fb = gated(adapters().facebook!);
    expect(await fb.tokenInfo!(token)).toEqual({ valid: true, scopes: ['ads_read'] });
    const revoked = tokenWith();
    sandbox.state.revokedTokens.add(revoked);
    expect(await fb.tokenInfo!(revoked)).toEqual({ valid: false, scopes: null });
  });

  it('refuses a write to a token without ads_management: #200', async () => {
    const token = tokenWith(['ads_read']);
    const fb = gated(adapters().facebook!);
    expect(await fb.listAdAccounts(token)).toHaveLength(2);
    await expect(fb.createAudience(token, '601', 'no permission')).rejects.toMatchObject({ type: 'rejected' });
    expect(sandbox.state.statsOf('facebook').rejected['200']).toBe(1);
  });
});
