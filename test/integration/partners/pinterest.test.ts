import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findOrCreateAudience } from '../../../partners/audiences.js';
import { toRow } from '../../../partners/identifiers.js';
import { pinterest } from '../../../partners/pinterest/adapter.js';
import type { AdapterCalls } from '../../../partners/definition.js';
import { tokenId } from '../../../src/sandbox/guard.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { Fail } from '../../../domain/failures.js';
import type { Field, Row } from '../../../domain/types.js';
import { failureOf } from '../../helpers/failures.js';
import { sandboxControl } from '../../helpers/sandbox.js';
import { gated } from '../../helpers/gated.js';
import { partner } from '../../helpers/partners.js';

let sandbox: RunningSandbox;
let adapter: AdapterCalls;
let createWithUsers: NonNullable<AdapterCalls['createAudienceWithUsers']>;

beforeAll(async () => {
  sandbox = await startSandbox('127.0.0.1', 0);
  adapter = gated(
    pinterest({
      api: `${sandbox.url}/pinterest/v5`,
      authorize: `${sandbox.url}/pinterest/oauth/`,
      clientId: 'app',
      clientSecret: 'secret',
    }),
  );
  createWithUsers = adapter.createAudienceWithUsers!.bind(adapter);
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(() => {
  sandbox.state.reset();
});

const AID = '5490001';
const CALLBACK = 'http://127.0.0.1:3000/cb';
const control = sandboxControl(() => sandbox.url, 'pinterest');

const rowsOf = (n: number, from = 0): Row[] =>
  Array.from({ length: n }, (_, i) =>
    toRow(partner('pinterest'), ['email'], { email: `User${from + i}@Example.com ` })!,
  );
const target = (audienceId: string, action: 'add' | 'remove' = 'add', fields: Field[] = ['email']) => ({
  adAccountId: AID,
  audienceId,
  audienceName: 'leads',
  action,
  fields,
});
const creating = (fields: Field[] = ['email'], audienceName = 'leads') => ({
  adAccountId: AID,
  audienceId: null,
  audienceName,
  action: 'add' as const,
  fields,
});
const chunks = <T>(all: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(all.length / size) }, (_, i) => all.slice(i * size, (i + 1) * size));

async function members(audienceId: string): Promise<Record<string, string>[]> {
  const res = await control(`/audiences/${audienceId}/members`);
  return ((await res.json()) as { members: Record<string, string>[] }).members;
}
async function audienceCount(): Promise<number> {
  return ((await (await control('/audiences')).json()) as { audiences: unknown[] }).audiences.length;
}

/**
 * One call at a time, at least `gapMs` apart: what the per-connection rate limit on the task
 * queue does in production (no call here makes more than two requests).
 */
function paced(gapMs: number) {
  let last = 0;
  return async <T>(f: () => Promise<T>): Promise<T> => {
    const wait = last + gapMs - Date.now();
    if (wait > 0) await sleep(wait);
    last = Date.now();
    return f();
  };
}

describe('Pinterest adapter against the sandbox', () => {
  it('exchanges an OAuth code (HTTP Basic app credentials) and refreshes, rotating the refresh token', async () => {
    const authorize = await fetch(adapter.authorizeUrl('s1', CALLBACK), { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code')!;
    const first = await adapter.exchangeCode(code, CALLBACK);
    expect(first.refreshToken).toBeTruthy();
    expect(Date.parse(first.expiresAt!)).toBeGreaterThan(Date.now());
    expect((await adapter.listAdAccounts(first.accessToken)).map((a) => a.id)).toEqual(['5490001', '5490002']);
    // A code is single use.
    expect((await failureOf(adapter.exchangeCode(code, CALLBACK))).type).toBe(Fail.Rejected);

    const renewed = await adapter.refresh(first.refreshToken!);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(renewed.refreshToken).toBeTruthy();
    expect(renewed.refreshToken).not.toBe(first.refreshToken);
    expect(await adapter.listAdAccounts(renewed.accessToken)).toHaveLength(2);
    expect((await failureOf(adapter.refresh(first.refreshToken!))).type).toBe(Fail.Rejected);

    // Without the app's Basic credentials the token endpoint refuses.
    const anonymous = await fetch(`${sandbox.url}/pinterest/v5/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: renewed.refreshToken! }).toString(),
    });
    expect([anonymous.status, ((await anonymous.json()) as { code: number }).code]).toEqual([401, 2]);
  });

  it('lists the two ad accounts every token sees, with their names', async () => {
    expect(await adapter.listAdAccounts(sandbox.state.newToken())).toEqual([
      { id: '5490001', name: 'Sandbox ad account 5490001' },
      { id: '5490002', name: 'Sandbox ad account 5490002' },
    ]);
  });

  it('creates a list only with its first records, then finds it by name and id, never making a second', async () => {
    const t = sandbox.state.newToken();
    const call = paced(350);
    expect(await call(() => adapter.findAudience(t, AID, { name: 'leads', create: true }))).toBeNull();
    expect((await failureOf(adapter.createAudience(t, AID, 'leads'))).type).toBe(Fail.Rejected);

    const created = await call(() => createWithUsers(t, creating(), rowsOf(150)));
    expect(created).toMatchObject({ synced: 150, invalid: 0, audience: { name: 'leads' } });
    expect(await call(() => findOrCreateAudience(adapter, t, AID, { name: 'leads', create: true }))).toEqual(
      created.audience,
    );
    expect(await call(() => adapter.findAudience(t, AID, { id: created.audience.id }))).toEqual(created.audience);
    // A retried create (its first answer lost) adds to the list it already made.
    const again = await call(() => createWithUsers(t, creating(), rowsOf(10, 150)));
    expect(again).toEqual({ audience: created.audience, synced: 10, invalid: 0 });
    expect(await audienceCount()).toBe(1);
    expect(await members(created.audience.id)).toHaveLength(160);
    // The list belongs to its ad account: under the other one it is not found.
    expect(await call(() => adapter.findAudience(t, '5490002', { id: created.audience.id }))).toBeNull();
  });

  it('pages through the customer lists (bookmarks) to find one by name', async () => {
    for (let i = 0; i < 130; i++) await control('/audiences', { adAccountId: AID, name: `list ${i}` });
    const t = sandbox.state.newToken();
    const found = await adapter.findAudience(t, AID, { name: 'list 129', create: false });
    expect(found?.name).toBe('list 129');
    expect(await adapter.findAudience(t, AID, { name: 'list 130', create: false })).toBeNull();
    // A list made outside the service has no type yet: it takes emails.
    await adapter.sendUsers(t, target(found!.id), rowsOf(2));
    expect(Object.keys((await members(found!.id))[0]!)).toEqual(['email']);
  });

  it('holds one kind of identifier per list: a MAID list keeps hashed gaids, two fields are refused', async () => {
    const t = sandbox.state.newToken();
    const rows = ['38400000-8cf0-11bd-b23e-10b96e40000d', 'CDDA802E-FB9C-47AD-9866-0794D394C912'].map((gaid) =>
      toRow(partner('pinterest'), ['gaid'], { gaid })!,
    );
    const { audience } = await createWithUsers(t, creating(['gaid'], 'devices'), rows);
    expect((await members(audience.id)).map((m) => m.gaid)).toEqual(rows.map((r) => r[0]).sort());
    const two = await failureOf(adapter.sendUsers(t, target(audience.id, 'add', ['email', 'gaid']), rows));
    expect([two.type, two.nonRetryable]).toEqual([Fail.Rejected, true]);
    expect((await failureOf(createWithUsers(t, { ...creating(), fields: ['phone'] }, rows))).type).toBe(Fail.Rejected);
  });

  it('adds 25,000 users in requests of 1,900, then removes 5,000: members are exactly the rows', async () => {
    const t = sandbox.state.newToken();
    const call = paced(250);
    const rows = rowsOf(25_000);
    const [first, ...rest] = chunks(rows, 1_900);
    const { audience, synced } = await call(() => createWithUsers(t, creating(), first!));
    expect(synced).toBe(1_900);
    for (const batch of rest)
      expect(await call(() => adapter.sendUsers(t, target(audience.id), batch))).toEqual({
        synced: batch.length,
        invalid: 0,
      });
    expect((await members(audience.id)).map((m) => m.email)).toEqual(rows.map((r) => r[0]).sort());

    for (const batch of chunks(rows.slice(0, 5_000), 1_900))
      await call(() => adapter.sendUsers(t, target(audience.id, 'remove'), batch));
    expect((await members(audience.id)).map((m) => m.email)).toEqual(
      rows
        .slice(5_000)
        .map((r) => r[0])
        .sort(),
    );

    const stats = sandbox.state.statsOf('pinterest');
    expect(stats.maxUsersInARequest).toBe(1_900);
    expect(stats.rejected).toEqual({});
    expect(stats.byKey[tokenId(t)]!.maxRequestsInAnySecond).toBeLessThanOrEqual(6);
  });

  it('counts one malformed identifier among 1,000 as invalid (from the list exceptions) and syncs the rest', async () => {
    const t = sandbox.state.newToken();
    const call = paced(350);
    const rows = rowsOf(1_000);
    rows[10] = ['not-a-hash'];
    const created = await call(() => createWithUsers(t, creating(), rows));
    expect(created).toMatchObject({ synced: 999, invalid: 1 });
    const more = rowsOf(1_000, 1_000);
    more[500] = ['not-a-hash'];
    expect(await call(() => adapter.sendUsers(t, target(created.audience.id), more))).toEqual({
      synced: 999,
      invalid: 1,
    });
    expect(await members(created.audience.id)).toHaveLength(1_998);
    // Every record malformed: Pinterest refuses the request (400, 2741); those users are invalid, nothing is thrown.
    expect(await call(() => adapter.sendUsers(t, target(created.audience.id), [['bad'], ['worse']]))).toEqual({
      synced: 0,
      invalid: 2,
    });
    // ...but a list cannot be created without one valid record.
    const none = await call(() => failureOf(createWithUsers(t, creating(['email'], 'empty'), [['bad']])));
    expect(none.type).toBe(Fail.Rejected);
    // More than 1,900 records in one request: the request itself is refused.
    const tooMany = await call(() => failureOf(adapter.sendUsers(t, target(created.audience.id), rowsOf(1_901))));
    expect([tooMany.type, tooMany.nonRetryable]).toEqual([Fail.Rejected, true]);
    expect(sandbox.state.statsOf('pinterest').rejected).toEqual({ 400: 1, 2741: 2 });
  });

  it('reads a revoked token, a 429 (with and without Retry-After), a 503 and a deleted list', async () => {
    const t = sandbox.state.newToken();
    const { audience } = await createWithUsers(t, creating(), rowsOf(3));

    await control('/faults', { status: 429, count: 1, retryAfterSeconds: 3 });
    const advised = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(3)));
    expect([advised.type, advised.nextRetryDelay]).toEqual([Fail.RateLimited, 3_000]);
    await control('/faults', { status: 429, count: 1 });
    const reset = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(3)));
    expect([reset.type, reset.nextRetryDelay]).toEqual([Fail.RateLimited, 1_000]); // x-ratelimit-reset: 1
    await control('/faults', { status: 503, count: 1 });
    expect((await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(3)))).type).toBe(Fail.PartnerUnavailable);

    await sleep(1_000); // past the second the calls above used
    await fetch(`${sandbox.url}/_sandbox/pinterest/audiences/${audience.id}`, { method: 'DELETE' });
    const gone = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(3)));
    expect([gone.type, gone.nonRetryable]).toEqual([Fail.AudienceDeleted, true]);

    await control('/tokens/revoke', { accessToken: t });
    const revoked = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(3)));
    expect([revoked.type, revoked.nonRetryable]).toEqual([Fail.TokenInvalid, true]);
  });

  it("throttles past Pinterest's published 7 requests a second per token, with x-ratelimit headers; another token is not affected", async () => {
    const [t1, t2] = [sandbox.state.newToken(), sandbox.state.newToken()];
    const first = await Promise.allSettled(Array.from({ length: 10 }, () => adapter.listAdAccounts(t1)));
    const limited = first.filter(
      (r) => r.status === 'rejected' && (r.reason as ApplicationFailure).type === Fail.RateLimited,
    );
    expect(limited.length).toBeGreaterThanOrEqual(3); // 10 at once: 7 in the second get through
    expect(((limited[0] as PromiseRejectedResult).reason as ApplicationFailure).nextRetryDelay).toBe(1_000);
    const other = await Promise.allSettled(Array.from({ length: 7 }, () => adapter.listAdAccounts(t2)));
    expect(other.every((r) => r.status === 'fulfilled')).toBe(true);

    const raw = await fetch(`${sandbox.url}/pinterest/v5/ad_accounts`, { headers: { authorization: `Bearer ${t1}` } });
    expect(raw.status).toBe(429);
    expect(await raw.json()).toMatchObject({ code: 8 });
    expect([raw.headers.get('x-ratelimit-remaining'), raw.headers.get('x-ratelimit-reset')]).toEqual(['0', '1']);
    expect(raw.headers.get('retry-after')).toBeNull();
    const stats = sandbox.state.statsOf('pinterest');
    expect(stats.byKey[tokenId(t2)]!.maxRequestsInAnySecond).toBe(7);
    expect(stats.rejected[429]).toBe(limited.length + 1);
  });

  it("validates bodies as Pinterest's OpenAPI says: list_type optional (EMAIL) of six, records plain or hashed, fields named", async () => {
    const t = sandbox.state.newToken();
    const send = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${sandbox.url}/pinterest/v5/ad_accounts/${AID}/customer_lists${path}`, {
        method,
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return [res.status, (await res.json()) as { id?: string; code?: number; message?: string }] as const;
    };
    // No list_type: an EMAIL list; a plain lowercase email, an MD5 and a SHA1 are records too.
    const [ok, list] = await send('POST', '', {
      name: 'plain',
      records: `a@example.com,${'a'.repeat(32)},${'b'.repeat(40)}`,
    });
    expect([ok, list]).toMatchObject([200, { name: 'plain', exceptions: {} }]);
    expect((await members(list.id!)).map((m) => Object.keys(m))).toEqual([['email'], ['email'], ['email']]);
    expect(list).not.toHaveProperty('list_type'); // not a field of the spec's CustomerList
    expect(
      (await send('POST', '', { name: 'pinners', list_type: 'HASHED_PINNER_ID', records: 'c'.repeat(64) }))[0],
    ).toBe(200);
    // An upper-case email is not a record of an EMAIL list; a device list takes hashes only.
    expect((await send('POST', '', { name: 'maids', list_type: 'MAID', records: 'a@example.com' }))[1].code).toBe(2741);
    for (const [body, field] of [
      [{ name: 'x', list_type: 'PHONE', records: 'a@example.com' }, 'list_type'],
      [{ list_type: 'EMAIL', records: 'a@example.com' }, 'name'],
      [{ name: 'x', records: ['a@example.com'] }, 'records'],
    ] as const) {
      const [status, answer] = await send('POST', '', body);
      expect([status, answer.code, answer.message]).toEqual([400, 1, expect.stringContaining(field)]);
    }
    const [status, answer] = await send('PATCH', `/${list.id}`, { records: 'a@example.com' });
    expect([status, answer.message]).toEqual([400, expect.stringContaining('operation_type')]);
    const pages = await fetch(`${sandbox.url}/pinterest/v5/ad_accounts?page_size=251`, {
      headers: { authorization: `Bearer ${sandbox.state.newToken()}` }, // the first token spent its 7 a second
    });
    expect(pages.status).toBe(400);
  });
});
