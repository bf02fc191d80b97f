/**
 * Meta conformance: the real adapter drives the sandbox through every Graph call we make, and
 * each recorded request and answer is checked against Meta's official business SDK (params,
 * types, enums, fields) and the answer shapes of Meta's reference (graph-params.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fail } from '../../domain/failures.js';
import type { Field } from '../../domain/types.js';
import { toRow } from '../../partners/identifiers.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { Exchange } from '../../src/sandbox/recording.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { failureOf } from '../helpers/failures.js';
import { gated } from '../helpers/gated.js';
import { partner } from '../helpers/partners.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { recordedSandbox } from './recorded.js';
import { graphChecker } from './graph-params.js';

let exchanges: Exchange[];
let sandbox: RunningSandbox;
beforeAll(async () => {
  ({ sandbox, exchanges } = await recordedSandbox('facebook'));
});
afterAll(async () => {
  await sandbox?.close();
});

const control = sandboxControl(() => sandbox.url, 'facebook');
const adapter = () => gated(PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} }).facebook!);
const FIELDS: Field[] = ['email', 'phone', 'firstName', 'lastName', 'gaid'];
const rows = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    toRow(partner('facebook'), FIELDS, {
      email: `u${i}@example.com`,
      phone: '+14155550100',
      firstName: 'Ada',
      lastName: 'Lovelace',
      gaid: '38400000-8cf0-11bd-b23e-10b96e40000d',
    })!,
  );
const target = (audienceId: string, action: 'add' | 'remove') => ({
  adAccountId: '601',
  audienceId,
  audienceName: 'conformance',
  action,
  fields: FIELDS,
});

describe('Meta: every exchange of the adapter with the sandbox, against the business SDK', () => {
  it('conforms in both directions, on every call we make and on its errors', async () => {
    const fb = adapter();
    const dialog = await fetch(fb.authorizeUrl('s', 'http://127.0.0.1/cb'), { redirect: 'manual' });
    const code = new URL(dialog.headers.get('location')!).searchParams.get('code')!;
    const first = await fb.exchangeCode(code, 'http://127.0.0.1/cb');
    expect((await failureOf(fb.exchangeCode(code, 'http://127.0.0.1/cb'))).type).toBe(Fail.Rejected);
    const { accessToken: token } = await fb.refresh(first.accessToken);

    expect((await fb.listAdAccounts(token)).map((a) => a.id)).toEqual(['601', '602']);
    expect(await fb.tokenInfo!(token)).toMatchObject({ valid: true });
    expect(await fb.apiVersionAccepted!(token)).toBe(true);
    expect(await fb.adAccountProblems!(token, '601', true)).toEqual([]);
    expect((await fb.adAccountProblems!(token, '602', false)).map((p) => p.code)).toEqual(['terms_not_accepted']);

    const created = await fb.createAudience(token, '601', 'conformance');
    expect(await fb.findAudience(token, '601', { id: created.id })).toEqual(created);
    expect(await fb.findAudience(token, '601', { name: 'conformance', create: false })).toEqual(created);
    expect(await fb.sendUsers(token, target(created.id, 'add'), rows(3))).toEqual({ synced: 3, invalid: 0 });
    expect(await fb.sendUsers(token, target(created.id, 'remove'), rows(1))).toEqual({ synced: 1, invalid: 0 });

    // An account full of audiences is counted by paging through them (Graph's edge has no count).
    await control('/ad-accounts/601', { audienceCount: 500 });
    expect((await fb.adAccountProblems!(token, '601', true)).map((p) => p.code)).toEqual(['audience_limit_reached']);
    expect(await fb.findAudience(token, '601', { name: 'not there', create: false })).toBeNull();

    await control('/faults', { status: 429, count: 1 });
    expect((await failureOf(fb.sendUsers(token, target(created.id, 'add'), rows(1)))).type).toBe(Fail.RateLimited);
    await fetch(`${sandbox.url}/_sandbox/facebook/audiences/${created.id}`, { method: 'DELETE' });
    expect((await failureOf(fb.sendUsers(token, target(created.id, 'add'), rows(1)))).type).toBe(Fail.AudienceDeleted);
    await control('/tokens/revoke', { accessToken: token });
    expect((await failureOf(fb.listAdAccounts(token))).type).toBe(Fail.TokenInvalid);

    const graph = exchanges.filter((e) => e.partner === 'facebook');
    expect(new Set(graph.map((e) => e.status))).toEqual(new Set([200, 302, 400]));
    expect(graph.some((e) => e.query.after)).toBe(true);
    const checker = graphChecker();
    expect(graph.flatMap((e) => checker.check(e))).toEqual([]);
  });

  it('reports a param the SDK does not list, a wrong type or enum, an unknown field, and a bad answer', () => {
    const checker = graphChecker();
    const good: Exchange = {
      partner: 'facebook',
      method: 'POST',
      path: '/v26.0/act_601/customaudiences',
      query: {},
      headers: {},
      body: { name: 'n', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY', description: 'd' },
      contentType: 'application/json',
      status: 200,
      response: { id: '1001' },
    };
    expect(checker.check(good)).toEqual([]);
    const bad = (patch: Partial<Exchange>) => checker.check({ ...good, ...patch }).join('\n');
    expect(bad({ body: { ...(good.body as object), colour: 'red' } })).toMatch(/param colour is not one the SDK lists/);
    expect(bad({ body: { ...(good.body as object), subtype: 'AUDIENCE' } })).toMatch(/param subtype="AUDIENCE"/);
    expect(bad({ body: { ...(good.body as object), retention_days: -1 } })).toMatch(/retention_days.*unsigned int/);
    expect(bad({ response: { id: 1001 } })).toMatch(/answer.id should be string/);
    expect(bad({ status: 400, response: { message: 'no' } })).toMatch(/400 answer/);
    const read = { ...good, method: 'GET', path: '/v26.0/act_601/customaudiences', body: undefined };
    expect(checker.check({ ...read, query: { fields: 'id,colour' }, response: { data: [] } }).join()).toMatch(
      /field colour is not a CustomAudience field/,
    );
    expect(checker.check({ ...read, query: { summary: 'total_count' }, response: { data: [] } }).join()).toMatch(
      /param summary/,
    );
    const users = {
      ...good,
      path: '/v26.0/1001/users',
      body: { payload: { schema: ['EMAIL', 'PHONE'], data: [['a', 'b']] } },
      response: {
        audience_id: '1001',
        session_id: 'x-1',
        num_received: 1,
        num_invalid_entries: 0,
        invalid_entry_samples: {},
      },
    };
    expect(checker.check(users).join('\n')).toMatch(/is_raw must be true/);
    expect(checker.check(users).join('\n')).toMatch(/session_id should match pattern/);
  });
});

describe('Meta: the sandbox refuses a param the call does not take, as Graph does', () => {
  it('answers #100 to an unknown param and to an enum value the SDK does not list', async () => {
    const token = sandbox.state.newToken();
    const graph = (path: string, init: RequestInit = {}) =>
      fetch(`${sandbox.url}/facebook/v26.0${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const summary = await graph('/act_601/customaudiences?fields=id&summary=total_count');
    expect(summary.status).toBe(400);
    expect(await summary.json()).toMatchObject({
      error: { code: 100, type: 'OAuthException', message: '(#100) Param summary is not a parameter of this call' },
    });
    const subtype = await graph('/act_601/customaudiences', {
      method: 'POST',
      body: JSON.stringify({ name: 'x', subtype: 'AUDIENCE', customer_file_source: 'USER_PROVIDED_ONLY' }),
    });
    expect(await subtype.json()).toMatchObject({
      error: { code: 100, message: expect.stringMatching(/^\(#100\) Param subtype must be one of \{APP, .*CUSTOM/) },
    });
    expect((await graph('/act_601?fields=id&colour=red')).status).toBe(400);
    expect((await graph('/act_601?fields=id,name')).status).toBe(200);
  });
});
