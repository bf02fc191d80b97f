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
