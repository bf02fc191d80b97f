/**
 * Pinterest: every request the adapter sends, and every answer the sandbox gives it, checked
 * against Pinterest's own OpenAPI (partners/pinterest/conformance/, cut from
 * pinterest/api-description v5/openapi.yaml).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { PartnerAdapter } from '../../partners/adapter.js';
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

const spec = JSON.parse(
  readFileSync(new URL('../../partners/pinterest/conformance/openapi-subset.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const pinterest = describedBy(spec);

let sandbox: RunningSandbox;
let exchanges: Exchange[];
let adapter: PartnerAdapter;
const AID = '5490001';
const CALLBACK = 'http://127.0.0.1:3000/cb';
const control = sandboxControl(() => sandbox.url, 'pinterest');
const rowsOf = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) =>
    toRow(partner('pinterest'), ['email'], { email: `user${from + i}@example.com` })!,
  );

beforeAll(async () => {
  ({ sandbox, exchanges } = await recordedSandbox('pinterest'));
  adapter = gated(PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} }).pinterest!);
});
afterAll(async () => {
  await sandbox?.close();
});

/** Drives every call the adapter makes, the failing ones too; returns what was recorded. */
async function everyOperation(): Promise<Exchange[]> {
  const consent = await fetch(adapter.authorizeUrl('s', CALLBACK), { redirect: 'manual' });
  const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
  const first = await adapter.exchangeCode(code, CALLBACK);
  expect((await failureOf(adapter.exchangeCode(code, CALLBACK))).type).toBe(Fail.Rejected);
  const { accessToken: t } = await adapter.refresh(first.refreshToken!);

  expect(await adapter.listAdAccounts(t)).toHaveLength(2);
  const target = {
    adAccountId: AID,
    audienceId: null,
    audienceName: 'leads',
    action: 'add' as const,
    fields: ['email' as const],
  };
  const { audience } = await adapter.createAudienceWithUsers!(t, target, rowsOf(120));
  expect(await adapter.findAudience(t, AID, { id: audience.id })).toEqual(audience);
  expect(await adapter.findAudience(t, AID, { name: 'leads', create: false })).toEqual(audience);
  const onList = { ...target, audienceId: audience.id };
  expect(await adapter.sendUsers(t, onList, [...rowsOf(5, 200), ['not-a-hash']])).toEqual({ synced: 5, invalid: 1 });
  await adapter.sendUsers(t, { ...onList, action: 'remove' }, rowsOf(5));
  // Every record refused (400), an unknown ad account (404), a deleted list (404, twice).
  expect(await adapter.sendUsers(t, onList, [['bad']])).toEqual({ synced: 0, invalid: 1 });
  expect(await adapter.findAudience(t, '5490009', { id: audience.id })).toBeNull();
  await fetch(`${sandbox.url}/_sandbox/pinterest/audiences/${audience.id}`, { method: 'DELETE' });
  expect((await failureOf(adapter.sendUsers(t, onList, rowsOf(1)))).type).toBe(Fail.AudienceDeleted);
  // The throttle, a server error and an invalid token, each answered by Pinterest's gateway.
  await control('/faults', { status: 429, count: 1 });
  expect((await failureOf(adapter.listAdAccounts(t))).type).toBe(Fail.RateLimited);
  await control('/faults', { status: 503, count: 1 });
  expect((await failureOf(adapter.listAdAccounts(t))).type).toBe(Fail.PartnerUnavailable);
  expect((await failureOf(adapter.listAdAccounts('not-a-token'))).type).toBe(Fail.TokenInvalid);
  // The consent page is a web page, not an API operation.
  return exchanges.filter((e) => !e.path.startsWith('/oauth'));
}

describe('Pinterest conformance to its published OpenAPI (api-description v5, spec 5.23.0)', () => {
  it('every request the adapter sends, and every answer the sandbox gives, is what the description declares', async () => {
    const recorded = await everyOperation();
    const checked = recorded.map((e) => ({ e, ...pinterest.check(e) }));
    const problems = checked.flatMap((c) => c.problems.map((p) => `${c.e.method} ${c.e.path} → ${c.e.status}: ${p}`));
    expect(problems).toEqual([]);
    // Every operation the adapter uses was exercised, with success and error answers.
    expect(new Set(checked.map((c) => c.operation))).toEqual(
      new Set([
        'POST /oauth/token',
        'GET /ad_accounts',
        'GET /ad_accounts/{ad_account_id}/customer_lists',
        'POST /ad_accounts/{ad_account_id}/customer_lists',
        'GET /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}',
        'PATCH /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}',
      ]),
    );
    expect([...new Set(recorded.map((e) => e.status))].sort()).toEqual([200, 400, 401, 404, 429, 503]);
    // A body goes unchecked only when the gateway answered before reading it.
    expect(checked.filter((c) => !c.bodyChecked).every((c) => c.e.status !== 200)).toBe(true);
  });

  it("answers errors with the spec's own {code, message}", () => {
    const byStatus = (s: number) => exchanges.find((e) => e.status === s)?.response;
    expect(byStatus(401)).toEqual({ code: 2, message: 'Authentication failed.' });
    expect(byStatus(429)).toMatchObject({
      code: 8,
      message: expect.stringMatching(/^This request exceeded a rate limit\./),
    });
    expect(exchanges.find((e) => e.status === 404 && e.path.includes('5490009'))?.response).toEqual({
      code: 2,
      message: 'AdAccount not found.',
    });
  });

  it('reports a request the description refuses: the check can fail', () => {
    const wrong: Exchange = {
      partner: 'pinterest',
      method: 'PATCH',
      path: `/v5/ad_accounts/${AID}/customer_lists/12`,
      query: { page_size: '500' },
      headers: {},
      body: { operation_type: 'APPEND', records: 'a,b', list_type: 'EMAIL' },
      contentType: 'application/json',
      status: 200,
      response: { id: 12, name: 'leads', size: 3 },
    };
    const problems = pinterest.check(wrong).problems.join('\n');
    expect(problems).toMatch(/query parameter page_size is not in the description/);
    expect(problems).toMatch(/request body\.operation_type should be equal to one of the allowed values/);
    expect(problems).toMatch(/request body\.list_type is not in the description/);
    expect(problems).toMatch(/answer 200\.id should be string/);
    expect(problems).toMatch(/answer 200\.size is not in the description/);
    expect(pinterest.check({ ...wrong, method: 'DELETE' }).problems).toEqual([
      `DELETE /ad_accounts/${AID}/customer_lists/12 is not an operation of the description`,
    ]);
  });
});
