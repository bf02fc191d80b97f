/**
 * TikTok: every request the adapter sends, and every answer the sandbox gives it, checked against
 * the models TikTok's SDK publishes (and, for /segment/*, which it lacks, bububa's Go SDK), kept as
 * an OpenAPI document in partners/tiktok/conformance/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { PartnerAdapter } from '../../partners/adapter.js';
import { findOrCreateAudience } from '../../partners/audiences.js';
import { toRow } from '../../partners/identifiers.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import type { Exchange } from '../../src/sandbox/recording.js';
import { Fail } from '../../domain/failures.js';
import { failureOf } from '../helpers/failures.js';
import { gated } from '../helpers/gated.js';
import { partner } from '../helpers/partners.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { describedBy } from './openapi.js';
import { recordedSandbox } from './recorded.js';

const models = JSON.parse(
  readFileSync(new URL('../../partners/tiktok/conformance/audience-api.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const tiktok = describedBy(models);

let sandbox: RunningSandbox;
let exchanges: Exchange[];
let adapter: PartnerAdapter;
const ADVERTISER = '7001';
const CALLBACK = 'http://127.0.0.1:3000/cb';
const control = sandboxControl(() => sandbox.url, 'tiktok');
const rowsOf = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    toRow(partner('tiktok'), ['email', 'phone'], { email: `user${i}@example.com`, phone: '+14155550100' })!,
  );

beforeAll(async () => {
  ({ sandbox, exchanges } = await recordedSandbox('tiktok'));
  adapter = gated(PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} }).tiktok!);
});
afterAll(async () => {
  await sandbox?.close();
});

/** Drives every call the adapter makes, the failing ones too; returns what was recorded. */
async function everyOperation(): Promise<Exchange[]> {
  const consent = await fetch(adapter.authorizeUrl('s', CALLBACK), { redirect: 'manual' });
  const code = new URL(consent.headers.get('location')!).searchParams.get('auth_code')!;
  const { accessToken: t } = await adapter.exchangeCode(code, CALLBACK);
  expect((await failureOf(adapter.exchangeCode(code, CALLBACK))).type).toBe(Fail.Rejected);

  expect(await adapter.listAdAccounts(t)).toHaveLength(2);
  const audience = (await findOrCreateAudience(adapter, t, ADVERTISER, { name: 'leads', create: true }))!;
  expect(await adapter.findAudience(t, ADVERTISER, { id: audience.id })).toEqual(audience);
  const target = {
    adAccountId: ADVERTISER,
    audienceId: audience.id,
    audienceName: 'leads',
    action: 'add' as const,
    fields: ['email' as const, 'phone' as const],
  };
  expect(await adapter.sendUsers(t, target, [...rowsOf(5), ['not-a-hash', null]])).toEqual({ synced: 5, invalid: 1 });
  // Not found (an unknown id, then a deleted audience), the throttle, an invalid token: all inside HTTP 200.
  expect(await adapter.findAudience(t, ADVERTISER, { id: '999999' })).toBeNull();
  await fetch(`${sandbox.url}/_sandbox/tiktok/audiences/${audience.id}`, { method: 'DELETE' });
  expect((await failureOf(adapter.sendUsers(t, target, rowsOf(1)))).type).toBe(Fail.AudienceDeleted);
  await control('/faults', { status: 429, count: 1 });
  expect((await failureOf(adapter.listAdAccounts(t))).type).toBe(Fail.RateLimited);
  expect((await failureOf(adapter.listAdAccounts('not-a-token'))).type).toBe(Fail.TokenInvalid);
  // The consent page is a web page, not an API operation.
  return exchanges.filter((e) => !e.path.startsWith('/portal/'));
}

describe("TikTok conformance to its SDKs' models (Business API v1.3)", () => {
  it('every request the adapter sends, and every answer the sandbox gives, is what the models declare', async () => {
    const recorded = await everyOperation();
    const checked = recorded.map((e) => ({ e, ...tiktok.check(e) }));
    const problems = checked.flatMap((c) => c.problems.map((p) => `${c.e.method} ${c.e.path}: ${p}`));
    expect(problems).toEqual([]);
    expect(new Set(checked.map((c) => c.operation))).toEqual(
      new Set([
        'POST /oauth2/access_token/',
        'GET /oauth2/advertiser/get/',
        'GET /dmp/custom_audience/list/',
        'GET /dmp/custom_audience/get/',
        'POST /segment/audience/',
        'POST /segment/mapping/',
      ]),
    );
    // Every answer, failed or not, is HTTP 200; the errors carry TikTok's codes.
    expect(new Set(recorded.map((e) => e.status))).toEqual(new Set([200]));
    const codes = new Set(recorded.map((e) => (e.response as { code: number }).code));
    expect(codes).toEqual(new Set([0, 40000, 40007, 40100, 40105]));
    expect(checked.filter((c) => !c.bodyChecked).every((c) => (c.e.response as { code: number }).code !== 0)).toBe(
      true,
    );
  });

  it('reports a request the models refuse: the check can fail', () => {
    const wrong: Exchange = {
      partner: 'tiktok',
      method: 'POST',
      path: '/open_api/v1.3/segment/mapping/',
      query: {},
      headers: {},
      body: { advertiser_ids: ['7001'], action: 'append', id_schema: ['EMAIL_SHA256', 'EMAIL_SHA256'], batch_data: [] },
      contentType: 'application/json',
      status: 200,
      response: { code: 0, message: 'OK', data: {} },
    };
    const problems = tiktok.check(wrong).problems.join('\n');
    expect(problems).toMatch(/request body\.action should be equal to one of the allowed values/);
    expect(problems).toMatch(/request body\.id_schema should NOT have duplicate items/);
    expect(problems).toMatch(/request body\.batch_data should NOT have fewer than 1 items/);
    expect(problems).toMatch(/answer 200 should have required property 'request_id'/);
    const list: Exchange = {
      ...wrong,
      method: 'GET',
      path: '/open_api/v1.3/dmp/custom_audience/list/',
      query: { advertiser_id: '7001', page_size: '1000' },
      body: undefined,
      contentType: undefined,
      response: {
        code: 0,
        message: 'OK',
        request_id: 'r',
        data: { list: [{ audience_id: '1', advertiser_id: '7001' }] },
      },
    };
    expect(tiktok.check(list).problems).toEqual([
      'query parameter page_size should be <= 100',
      'header parameter Access-Token is required',
      'answer 200.data.list[0] should NOT have additional properties',
      'answer 200.data.list[0].advertiser_id is not in the description',
    ]);
  });
});
