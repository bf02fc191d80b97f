/**
 * The sandbox refuses API versions as the partners do, by their published calendars (not by
 * what the adapters pin); the adapters speak versions the partners still serve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER_REGISTRY } from '../../../partners/registry.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { gated } from '../../helpers/gated.js';

let sandbox: RunningSandbox;
let token: string;
beforeAll(async () => {
  sandbox = await startSandbox('127.0.0.1', 0, { rateLimits: false });
  token = sandbox.state.newToken();
});
afterAll(async () => {
  await sandbox?.close();
});

const linkedin = (headers: Record<string, string>) =>
  fetch(`${sandbox.url}/linkedin/rest/adAccountUsers?q=authenticatedUser`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });

describe('LinkedIn versions, as LinkedIn enforces them', () => {
  it('answers 426 to a sunset version and to none, and 400 without Rest.li 2.0', async () => {
    const sunset = await linkedin({ 'linkedin-version': '202505', 'x-restli-protocol-version': '2.0.0' });
    expect(sunset.status).toBe(426);
    expect(await sunset.json()).toMatchObject({ status: 426, code: 'NONEXISTENT_VERSION' });
    expect((await linkedin({ 'x-restli-protocol-version': '2.0.0' })).status).toBe(426);
    expect((await linkedin({ 'linkedin-version': '209901', 'x-restli-protocol-version': '2.0.0' })).status).toBe(426);
    const noRestli = await linkedin({ 'linkedin-version': '202608' });
    expect(noRestli.status).toBe(400);
    expect((await linkedin({ 'linkedin-version': '202608', 'x-restli-protocol-version': '2.0.0' })).status).toBe(200);
  });

  it('is spoken by the adapter at its pinned version, and refused at a sunset override', async () => {
    const adapters = PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} });
    expect(await gated(adapters.linkedin!).listAdAccounts(token)).toHaveLength(2);
    const old = PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: { LINKEDIN_API_VERSION: '202505' } });
    await expect(gated(old.linkedin!).listAdAccounts(token)).rejects.toMatchObject({ type: 'rejected' });
  });
});

describe('Meta Graph versions, as Meta enforces them', () => {
  const graph = (version: string) =>
    fetch(`${sandbox.url}/facebook/${version}/me/adaccounts?fields=id,name`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it('answers #2635 to an expired version and serves the current ones', async () => {
    const expired = await graph('v24.0');
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: { code: 2635, type: 'OAuthException' } });
    expect((await graph('v25.0')).status).toBe(200);
    expect((await graph('v26.0')).status).toBe(200);
    expect((await graph('v99.0')).status).toBe(400);
  });

  it('is spoken by the adapter at its pinned version, and refused at an expired override', async () => {
    const adapters = PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} });
    expect(await gated(adapters.facebook!).listAdAccounts(token)).toHaveLength(2);
    const old = PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: { FACEBOOK_GRAPH_VERSION: 'v24.0' } });
    await expect(gated(old.facebook!).listAdAccounts(token)).rejects.toMatchObject({ type: 'rejected' });
  });
});

describe("Meta's fields, as its business SDK models them", () => {
  it('refuses a field the node does not have with #100, and the adapter asks only for fields that exist', async () => {
    const bogus = await fetch(`${sandbox.url}/facebook/v26.0/act_601?fields=id,colour`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bogus.status).toBe(400);
    expect(await bogus.json()).toMatchObject({
      error: { code: 100, message: '(#100) Tried accessing nonexisting field (colour) on node type (AdAccount)' },
    });
    const before = sandbox.state.statsOf('facebook').rejected['100'] ?? 0;
    const fb = gated(PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} }).facebook!);
    await fb.listAdAccounts(token);
    expect(await fb.adAccountProblems!(token, '601', true)).toEqual([]);
    const created = await fb.createAudience(token, '601', 'fields');
    expect(await fb.findAudience(token, '601', { id: created.id })).toMatchObject({ id: created.id });
    expect(await fb.findAudience(token, '601', { name: 'fields', create: false })).toMatchObject({ id: created.id });
    expect(sandbox.state.statsOf('facebook').rejected['100'] ?? 0).toBe(before);
  });
});
