import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findOrCreateAudience } from '../../../partners/audiences.js';
import { facebook } from '../../../partners/facebook/adapter.js';
import { paceDelayMs } from '../../../partners/facebook/pacing.js';
import { toRow } from '../../../partners/identifiers.js';
import type { AdapterCalls } from '../../../partners/definition.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { Fail } from '../../../domain/failures.js';
import type { Field, Row } from '../../../domain/types.js';
import { failureOf } from '../../helpers/failures.js';
import { sandboxControl } from '../../helpers/sandbox.js';
import { gated } from '../../helpers/gated.js';
import { partner } from '../../helpers/partners.js';

let sandbox: RunningSandbox;
let adapter: AdapterCalls;

beforeAll(async () => {
  sandbox = await startSandbox('127.0.0.1', 0);
  adapter = gated(
    facebook({
      graph: `${sandbox.url}/facebook`,
      authorize: `${sandbox.url}/facebook/dialog/oauth`,
      appId: 'app',
      appSecret: 'secret',
      version: partner('facebook').api.version!,
    }),
  );
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(() => {
  sandbox.state.reset();
});

const FIELDS: Field[] = ['email', 'phone', 'gaid'];
const rowsOf = (n: number, from = 0): Row[] =>
  Array.from({ length: n }, (_, i) =>
    toRow(partner('facebook'), FIELDS, {
      email: `user${from + i}@example.com`,
      ...(i % 2 ? { phone: `+1 555 000 ${from + i}` } : {}),
    })!,
  );
const target = (audienceId: string, action: 'add' | 'remove' = 'add') => ({
  adAccountId: '601',
  audienceId,
  audienceName: 'leads',
  action,
  fields: FIELDS,
});
const control = sandboxControl(() => sandbox.url, 'facebook');

describe('Facebook adapter against the sandbox', () => {
  it('exchanges an OAuth code, then re-exchanges the token, and lists the ad accounts', async () => {
    const dialog = await fetch(adapter.authorizeUrl('s', 'http://127.0.0.1:3000/cb'), { redirect: 'manual' });
    const code = new URL(dialog.headers.get('location')!).searchParams.get('code')!;
    const first = await adapter.exchangeCode(code, 'http://127.0.0.1:3000/cb');
    expect(first.expiresAt).toBeTruthy();
    const renewed = await adapter.refresh(first.accessToken);
    expect((await adapter.listAdAccounts(renewed.accessToken)).map((a) => a.id)).toEqual(['601', '602']);
    expect((await failureOf(adapter.exchangeCode(code, 'http://127.0.0.1:3000/cb'))).type).toBe(Fail.Rejected);
  });

  it('finds or creates once, adds 25,000 users and removes 5,000: members are exactly the rows', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '601', { name: 'leads', create: true }))!;
    expect(await findOrCreateAudience(adapter, t, '601', { name: 'leads', create: true })).toEqual(a);
    expect(await findOrCreateAudience(adapter, t, '601', { id: a.id })).toEqual(a);
    const rows = rowsOf(25_000);
    for (let i = 0; i < rows.length; i += 10_000) {
      const batch = rows.slice(i, i + 10_000);
      expect(await adapter.sendUsers(t, target(a.id), batch)).toEqual({ synced: batch.length, invalid: 0 });
    }
    await adapter.sendUsers(t, target(a.id, 'remove'), rows.slice(0, 5_000));
    const { members } = (await (await fetch(`${sandbox.url}/_sandbox/facebook/audiences/${a.id}/members`)).json()) as {
      members: Record<string, string>[];
    };
    const expected = rows
      .slice(5_000)
      .map((r) => JSON.stringify(Object.fromEntries([['email', r[0]], ...(r[1] ? [['phone', r[1]]] : [])].sort())))
      .sort();
    expect(members.map((m) => JSON.stringify(m))).toEqual(expected);
    expect(sandbox.state.statsOf('facebook').maxUsersInARequest).toBe(10_000);
  });

  it('counts rows Meta could not use (num_invalid_entries) one by one', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '601', { name: 'leads', create: true }))!;
    const rows = rowsOf(1_000);
    rows[7] = ['not-a-hash', null, null];
    expect(await adapter.sendUsers(t, target(a.id), rows)).toEqual({ synced: 999, invalid: 1 });
  });

  it('reads code 190 as InvalidToken, code 17 as RateLimited with the usage header delay, a deleted audience as gone', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '601', { name: 'leads', create: true }))!;
    await control('/faults', { status: 429, count: 1, retryAfterSeconds: 120 });
    const limited = await failureOf(adapter.sendUsers(t, target(a.id), rowsOf(3)));
    expect([limited.type, limited.nextRetryDelay]).toEqual([Fail.RateLimited, 120_000]);
    // No regain estimate: the activity's own backoff applies.
    await control('/faults', { status: 429, count: 1 });
    const unhinted = await failureOf(adapter.sendUsers(t, target(a.id), rowsOf(3)));
    expect([unhinted.type, unhinted.nextRetryDelay]).toEqual([Fail.RateLimited, undefined]);
    await fetch(`${sandbox.url}/_sandbox/facebook/audiences/${a.id}`, { method: 'DELETE' });
    expect((await failureOf(adapter.sendUsers(t, target(a.id), rowsOf(3)))).type).toBe(Fail.AudienceDeleted);
    await control('/tokens/revoke', { accessToken: t });
    const f = await failureOf(adapter.listAdAccounts(t));
    expect([f.type, f.nonRetryable]).toEqual([Fail.TokenInvalid, true]);
  });

  it('counts the rate per ad account', async () => {
    const t = sandbox.state.newToken();
    await control('/ad-accounts/602', { termsAccepted: true }); // the second account's terms are not accepted by default
    const [a1, a2] = [
      (await findOrCreateAudience(adapter, t, '601', { name: 'one', create: true }))!,
      (await findOrCreateAudience(adapter, t, '602', { name: 'two', create: true }))!,
    ];
    await adapter.sendUsers(t, target(a1.id), rowsOf(2));
    await adapter.sendUsers(t, { ...target(a2.id), adAccountId: '602' }, rowsOf(2));
    const byKey = sandbox.state.statsOf('facebook').byKey;
    expect(Object.keys(byKey).sort()).toEqual(['act_601', 'act_602']);
  });

  it('spaces its calls on an ad account once the usage header passes 75 % of the hourly quota', async () => {
    // A quota of 8 calls an hour, so a few calls fill it (Meta's is 5,000 + 40 per audience).
    const small = await startSandbox('127.0.0.1', 0, { facebookHourlyQuota: { base: 8, perAudience: 0 } });
    try {
      const paced = gated(
        facebook({
          graph: `${small.url}/facebook`,
          authorize: '',
          appId: 'app',
          appSecret: 'secret',
          version: partner('facebook').api.version!,
        }),
      );
      const t = small.state.newToken();
      const a = (await findOrCreateAudience(paced, t, '601', { name: 'leads', create: true }))!;
      const gaps: number[] = [];
      let last = Date.now();
      for (let i = 0; i < 7; i++) {
        await paced.sendUsers(t, target(a.id), rowsOf(2, i * 2));
        gaps.push(Date.now() - last);
        last = Date.now();
      }
      // Back to back while the header stays at or below 75 %; then held, longer the fuller the quota.
      const usage = (n: number) => Math.min(100, Math.round((n / 8) * 100));
      const setupCalls = small.state.statsOf('facebook').byKey.act_601!.requests - gaps.length;
      gaps.forEach((gap, i) => {
        const expected = paceDelayMs(usage(setupCalls + i)); // set by the answer before this call
        expect(gap).toBeGreaterThanOrEqual(expected - 5);
        if (expected === 0) expect(gap).toBeLessThan(250);
      });
      expect(gaps.at(-1)).toBeGreaterThanOrEqual(995); // the quota is full: a second apart
      expect(small.state.statsOf('facebook').rejected).toEqual({});
    } finally {
      await small.close();
    }
  });
});

describe('Facebook: an audience Meta flagged (operation_status 471)', () => {
  const graph = (t: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${sandbox.url}/facebook/${partner('facebook').api.version!}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const restrict = (id: string) =>
    fetch(`${sandbox.url}/_sandbox/facebook/audiences/${id}/restrict`, { method: 'POST' });

  it('reads 471 and refuses every change of its users (100/1713230) and of itself (100/1713231), as Meta documents', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '601', { name: 'flagged', create: true }))!;
    await adapter.sendUsers(t, target(a.id), rowsOf(10));
    expect((await restrict(a.id)).status).toBe(204);
    expect((await restrict('999999')).status).toBe(404);

    const read = (await (await graph(t, `/${a.id}?fields=id,operation_status`)).json()) as {
      operation_status: { code: number; description: string };
    };
    expect(read.operation_status.code).toBe(471);
    const users = { payload: { schema: ['EMAIL'], data: [[rowsOf(1)[0]![0]]] } };
    for (const method of ['POST', 'DELETE']) {
      const res = await graph(t, `/${a.id}/users`, { method, body: users });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: {
          message: 'Invalid parameter',
          type: 'OAuthException',
          code: 100,
          error_subcode: 1713230,
          error_user_title: 'Audience Upload Blocked',
          error_user_msg:
            'Before updating user memberships, you must resolve integrity restrictions on this Data File Custom Audience. Go to Audience Manager to appeal the restrictions or create a new audience with updated data',
          fbtrace_id: expect.any(String),
        },
      });
    }
    const edit = await graph(t, `/${a.id}`, { method: 'POST', body: { name: 'renamed' } });
    expect([edit.status, ((await edit.json()) as { error: { error_subcode: number } }).error.error_subcode]).toEqual([
      400, 1713231,
    ]);
    expect(sandbox.state.audiencesOf('facebook').get(a.id)!.members.size).toBe(10); // nothing changed
    expect(sandbox.state.audiencesOf('facebook').get(a.id)!.name).toBe('flagged');
  });

  it('an audience not flagged reads 200 "Normal" and takes edits', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '601', { name: 'fine', create: true }))!;
    expect(
      ((await (await graph(t, `/${a.id}?fields=operation_status`)).json()) as { operation_status: { code: number } })
        .operation_status.code,
    ).toBe(200);
    const edit = await graph(t, `/${a.id}`, { method: 'POST', body: { name: 'renamed' } });
    expect([edit.status, await edit.json()]).toEqual([200, { success: true }]);
    expect(await adapter.findAudience(t, '601', { id: a.id })).toEqual({ id: a.id, name: 'renamed' });
  });

  it('the adapter finds it restricted by id and by name, and a send fails at once as audience_restricted', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '601', { name: 'flagged', create: true }))!;
    await restrict(a.id);
    expect(await adapter.findAudience(t, '601', { id: a.id })).toEqual({ id: a.id, name: 'flagged', restricted: true });
    expect(await adapter.findAudience(t, '601', { name: 'flagged', create: false })).toEqual({
      id: a.id,
      name: 'flagged',
      restricted: true,
    });
    for (const action of ['add', 'remove'] as const) {
      const f = await failureOf(adapter.sendUsers(t, target(a.id, action), rowsOf(5)));
      expect([f.type, f.nonRetryable]).toEqual([Fail.AudienceRestricted, true]);
    }
    expect(sandbox.state.statsOf('facebook').rejected).toEqual({ 1713230: 2 }); // one call per send, no lookup after
  });
});
