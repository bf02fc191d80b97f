import { ApplicationFailure } from '@temporalio/activity';
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
