import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findOrCreateAudience } from '../../../partners/audiences.js';
import { toRow } from '../../../partners/identifiers.js';
import { tiktok } from '../../../partners/tiktok/adapter.js';
import type { AdapterCalls } from '../../../partners/definition.js';
import { failureOf } from '../../helpers/failures.js';
import { sandboxControl } from '../../helpers/sandbox.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { Fail } from '../../../domain/failures.js';
import type { Row } from '../../../domain/types.js';
import { gated } from '../../helpers/gated.js';
import { partner } from '../../helpers/partners.js';

let sandbox: RunningSandbox;
let adapter: AdapterCalls;

beforeAll(async () => {
  sandbox = await startSandbox('127.0.0.1', 0);
  adapter = gated(
    tiktok({
      api: `${sandbox.url}/tiktok/open_api/v1.3`,
      authorize: `${sandbox.url}/tiktok/portal/auth`,
      appId: 'app',
      secret: 'secret',
    }),
  );
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(() => {
  sandbox.state.reset();
});

const control = sandboxControl(() => sandbox.url, 'tiktok');
const rowsOf = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) =>
    toRow(partner('tiktok'), ['email', 'phone'], { email: `u.ser${i}+x@example.com` })!,
  );
const target = (audienceId: string) => ({
  adAccountId: '7001',
  audienceId,
  audienceName: 'leads',
  action: 'add' as const,
  fields: ['email' as const, 'phone' as const],
});

describe('TikTok adapter against the sandbox', () => {
  it('exchanges an auth code and lists the advertisers', async () => {
    const auth = await fetch(adapter.authorizeUrl('s', 'http://127.0.0.1:3000/cb'), { redirect: 'manual' });
    const code = new URL(auth.headers.get('location')!).searchParams.get('auth_code')!;
    const { accessToken } = await adapter.exchangeCode(code, 'http://127.0.0.1:3000/cb');
    expect((await adapter.listAdAccounts(accessToken)).map((a) => a.id)).toEqual(['7001', '7002']);
    expect((await failureOf(adapter.exchangeCode(code, 'http://127.0.0.1:3000/cb'))).type).toBe(Fail.Rejected);
  });

  it('finds or creates by name once, and adds 25,000 users in requests of 10,000: members equal the rows', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '7001', { name: 'leads', create: true }))!;
    expect(await findOrCreateAudience(adapter, t, '7001', { name: 'leads', create: true })).toEqual(a);
    const rows = rowsOf(25_000);
    for (let i = 0; i < rows.length; i += 10_000) await adapter.sendUsers(t, target(a.id), rows.slice(i, i + 10_000));
    const { members } = (await (await fetch(`${sandbox.url}/_sandbox/tiktok/audiences/${a.id}/members`)).json()) as {
      members: { email: string }[];
    };
    expect(members.map((m) => m.email)).toEqual(rows.map((r) => r[0]).sort());
    expect(sandbox.state.statsOf('tiktok').maxUsersInARequest).toBe(10_000);
  });

  it('counts one malformed identifier among 1,000 as invalid and syncs the rest', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '7001', { name: 'leads', create: true }))!;
    const rows = rowsOf(1_000);
    rows[10] = ['not-a-hash', null];
    expect(await adapter.sendUsers(t, target(a.id), rows)).toEqual({ synced: 999, invalid: 1 });
  });

  it('reads a revoked token, a throttle and a deleted audience from inside HTTP 200 answers', async () => {
    const t = sandbox.state.newToken();
    const a = (await findOrCreateAudience(adapter, t, '7001', { name: 'leads', create: true }))!;
    await control('/faults', { status: 429, count: 1 });
    const limited = await failureOf(adapter.sendUsers(t, target(a.id), rowsOf(3)));
    expect([limited.type, limited.nextRetryDelay]).toEqual([Fail.RateLimited, 1_000]);
    await fetch(`${sandbox.url}/_sandbox/tiktok/audiences/${a.id}`, { method: 'DELETE' });
    expect((await failureOf(adapter.sendUsers(t, target(a.id), rowsOf(3)))).type).toBe(Fail.AudienceDeleted);
    await control('/tokens/revoke', { accessToken: t });
    const f = await failureOf(adapter.sendUsers(t, target(a.id), rowsOf(3)));
    expect([f.type, f.nonRetryable]).toEqual([Fail.TokenInvalid, true]);
  });

  it('holds one request rate for the whole app: two tokens together get the throttle answer past 10 a second', async () => {
    const [t1, t2] = [sandbox.state.newToken(), sandbox.state.newToken()];
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) => adapter.listAdAccounts(i % 2 ? t1 : t2)),
    );
    const limited = results.filter(
      (r) => r.status === 'rejected' && (r.reason as ApplicationFailure).type === Fail.RateLimited,
    );
    expect(limited.length).toBeGreaterThan(0); // 24 at once: at most 10 in the first second get through
    expect(sandbox.state.statsOf('tiktok').rejected).toMatchObject({ 429: limited.length });
  });

  it('keeps a name over 70 characters as 67 and "...", and finding it by its full name makes no second audience', async () => {
    const t = sandbox.state.newToken();
    const long = `Journey ${'x'.repeat(60)} — step 12`; // 79 characters
    const a = (await findOrCreateAudience(adapter, t, '7001', { name: long, create: true }))!;
    expect(a.name).toBe(`${long.slice(0, 67)}...`);
    expect(await findOrCreateAudience(adapter, t, '7001', { name: long, create: true })).toEqual(a);
    const { audiences } = (await (await control('/audiences')).json()) as { audiences: { name: string }[] };
    expect(audiences.map((x) => x.name)).toEqual([`${long.slice(0, 67)}...`]);
  });

  it("answers as TikTok's models say: audiences with cover_num and is_valid, delete by delete_audience_id, parameters checked", async () => {
    const t = sandbox.state.newToken();
    const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await fetch(`${sandbox.url}/tiktok/open_api/v1.3${path}`, {
        method,
        headers: { 'access-token': t, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status).toBe(200); // errors too: TikTok puts them in the body
      return (await res.json()) as { code: number; message: string; request_id: string; data: Record<string, unknown> };
    };
    // action defaults to create.
    const made = await call('POST', '/segment/audience/', { advertiser_id: '7001', custom_audience_name: 'leads' });
    const id = made.data.audience_id as string;
    await adapter.sendUsers(t, target(id), rowsOf(3));
    const listed = await call('GET', '/dmp/custom_audience/list/?advertiser_id=7001');
    expect(listed.data.page_info).toEqual({ page: 1, page_size: 10, total_number: 1, total_page: 1 });
    const [item] = listed.data.list as Record<string, unknown>[];
    expect(item).toMatchObject({ audience_id: id, name: 'leads', cover_num: 3, is_valid: true });
    expect(item).not.toHaveProperty('advertiser_id'); // not a field of TikTok's audience
    for (const [path, field] of [
      ['/dmp/custom_audience/list/?advertiser_id=7001&page_size=101', 'page_size'],
      ['/dmp/custom_audience/list/?advertiser_id=7001&page=0', 'page'],
      ['/dmp/custom_audience/list/', 'advertiser_id'],
      [`/dmp/custom_audience/get/?advertiser_id=7001&custom_audience_ids=${id}`, 'custom_audience_ids'],
      ['/dmp/custom_audience/get/?advertiser_id=7001&custom_audience_ids=[]', 'custom_audience_ids'],
    ] as const) {
      const answer = await call('GET', path);
      expect([answer.code, answer.message, answer.data]).toEqual([40002, expect.stringContaining(field), {}]);
      expect(answer.request_id).toBeTruthy();
    }
    await sleep(1_000); // past TikTok's 10 a second for the app
    const mapping = {
      advertiser_ids: ['7001'],
      id_schema: ['EMAIL_SHA256'],
      batch_data: [[{ id: 'a'.repeat(64), audience_ids: [id] }]],
    };
    for (const [body, field] of [
      [{ ...mapping, action: 'append' }, 'action'],
      [{ ...mapping, id_schema: ['EMAIL_SHA256', 'email_sha256'] }, 'id_schema'],
      [{ ...mapping, advertiser_ids: [] }, 'advertiser_ids'],
      [{ ...mapping, batch_data: [{ id: 'a'.repeat(64) }] }, 'batch_data'],
    ] as const)
      expect(await call('POST', '/segment/mapping/', body)).toMatchObject({
        code: 40002,
        message: expect.stringContaining(field),
      });
    // Lower case is accepted, and action defaults to add.
    expect((await call('POST', '/segment/mapping/', { ...mapping, id_schema: ['email_sha256'] })).code).toBe(0);
    expect((await call('POST', '/segment/mapping/', { ...mapping, advertiser_ids: ['7002'] })).code).toBe(40007);

    await sleep(1_000);
    const noId = await call('POST', '/segment/audience/', { advertiser_id: '7001', action: 'delete' });
    expect([noId.code, noId.message]).toEqual([40002, expect.stringContaining('delete_audience_id')]);
    expect(
      (await call('POST', '/segment/audience/', { advertiser_id: '7001', action: 'delete', delete_audience_id: id }))
        .code,
    ).toBe(0);
    const again = await call('POST', '/segment/audience/', {
      advertiser_id: '7001',
      action: 'delete',
      delete_audience_id: id,
    });
    expect([again.code, again.message]).toEqual([40002, 'Parameter error: invalid audience ID']);
    expect(await adapter.findAudience(t, '7001', { id })).toBeNull();
  });
});

describe('TikTok: the code inside HTTP 200 is read on every call, create and lookups included', () => {
  /** Run once after the next exchange on this path is answered (to change the sandbox between two calls). */
  let after: { path: string; run: () => void } | undefined;
  let seen: { path: string; status: number; code: unknown }[] = [];
  let hooked: RunningSandbox;
  let a: AdapterCalls;
  beforeAll(async () => {
    hooked = await startSandbox('127.0.0.1', 0, {
      onExchange: (e) => {
        seen.push({ path: e.path, status: e.status, code: (e.response as { code?: unknown } | undefined)?.code });
        if (after && e.path.endsWith(after.path)) {
          const { run } = after;
          after = undefined;
          run();
        }
      },
    });
    a = gated(
      tiktok({
        api: `${hooked.url}/tiktok/open_api/v1.3`,
        authorize: `${hooked.url}/tiktok/portal/auth`,
        appId: 'app',
        secret: 'secret',
      }),
    );
  });
  afterAll(async () => {
    await hooked?.close();
  });
  afterEach(() => {
    hooked.state.reset();
    seen = [];
    after = undefined;
  });
  const fault = () => hooked.state.faults.set('tiktok', [{ status: 429, count: 1 }]);

  it('a create answered 200 with a throttle or token code fails as such, creating nothing', async () => {
    const t = hooked.state.newToken();
    fault();
    const limited = await failureOf(a.createAudience(t, '7001', 'leads'));
    expect([limited.type, limited.nonRetryable]).toEqual([Fail.RateLimited, false]);
    hooked.state.revokedTokens.add(t);
    expect((await failureOf(a.createAudience(t, '7001', 'leads'))).type).toBe(Fail.TokenInvalid);
    expect(seen.map((s) => [s.path, s.status, s.code])).toEqual([
      ['/open_api/v1.3/segment/audience/', 200, 40100],
      ['/open_api/v1.3/segment/audience/', 200, 40105],
    ]);
    expect([...hooked.state.audiencesOf('tiktok').values()]).toEqual([]);
  });

  it('a lookup by id answered 200 with a throttle or token code fails as such, never "not found"', async () => {
    const t = hooked.state.newToken();
    const { id } = await a.createAudience(t, '7001', 'leads');
    fault();
    expect((await failureOf(a.findAudience(t, '7001', { id }))).type).toBe(Fail.RateLimited);
    expect(await a.findAudience(t, '7001', { id })).toEqual({ id, name: 'leads' });
    expect(await a.findAudience(t, '7001', { id: '424242' })).toBeNull();
    hooked.state.revokedTokens.add(t);
    expect((await failureOf(a.findAudience(t, '7001', { id }))).type).toBe(Fail.TokenInvalid);
  });

  it('the lookup confirming a "gone" answer is read too: its token code is an invalid token, its throttle a throttle', async () => {
    const t = hooked.state.newToken();
    const { id } = await a.createAudience(t, '7001', 'leads');
    hooked.state.audiencesOf('tiktok').delete(id);
    after = { path: '/segment/mapping/', run: () => hooked.state.revokedTokens.add(t) };
    const revoked = await failureOf(a.sendUsers(t, target(id), rowsOf(3)));
    expect([revoked.type, revoked.nonRetryable]).toEqual([Fail.TokenInvalid, true]);

    const t2 = hooked.state.newToken();
    after = { path: '/segment/mapping/', run: fault };
    expect((await failureOf(a.sendUsers(t2, target(id), rowsOf(3)))).type).toBe(Fail.RateLimited);
    // With nothing in the way, the lookup confirms it gone.
    expect((await failureOf(a.sendUsers(t2, target(id), rowsOf(3)))).type).toBe(Fail.AudienceDeleted);
    expect(seen.filter((s) => s.path.endsWith('/custom_audience/get/')).map((s) => s.code)).toEqual([
      40105, 40100, 40007,
    ]);
  });
});
