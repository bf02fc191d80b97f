import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findOrCreateAudience } from '../../../partners/audiences.js';
import { toRow } from '../../../partners/identifiers.js';
import { linkedin } from '../../../partners/linkedin/adapter.js';
import { LINKEDIN_SANDBOX_SOURCE_PLATFORM } from '../../../partners/linkedin/sandbox.js';
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
let token: string;

beforeAll(async () => {
  sandbox = await startSandbox('127.0.0.1', 0);
  adapter = gated(
    linkedin({
      rest: `${sandbox.url}/linkedin/rest`,
      oauth: `${sandbox.url}/linkedin/oauth/v2`,
      authorize: `${sandbox.url}/linkedin/oauth/v2/authorization`,
      clientId: 'app',
      clientSecret: 'secret',
      version: partner('linkedin').api.version!,
      sourcePlatform: LINKEDIN_SANDBOX_SOURCE_PLATFORM,
    }),
  );
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
});

const control = sandboxControl(() => sandbox.url, 'linkedin');

async function connected(): Promise<string> {
  token = `token-${Math.random()}`;
  await control('/tokens', { accessToken: token });
  return token;
}

const emails = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `user${from + i}@example.com`);
const rowsOf = (list: string[]): Row[] => list.map((email) => toRow(partner('linkedin'), ['email'], { email })!);
const target = (audienceId: string, action: 'add' | 'remove' = 'add') => ({
  adAccountId: '501',
  audienceId,
  audienceName: 'leads',
  action,
  fields: ['email' as const],
});

describe('LinkedIn adapter against the sandbox', () => {
  it('exchanges an OAuth code for a working token', async () => {
    const authorize = await fetch(adapter.authorizeUrl('s1', 'http://127.0.0.1:3000/cb'), { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('s1');
    const credentials = await adapter.exchangeCode(location.searchParams.get('code')!, 'http://127.0.0.1:3000/cb');
    expect(credentials.refreshToken).toBeTruthy();
    expect(await adapter.listAdAccounts(credentials.accessToken)).toHaveLength(2);
    // A code is single use.
    const again = await failureOf(adapter.exchangeCode(location.searchParams.get('code')!, 'http://127.0.0.1:3000/cb'));
    expect(again.type).toBe(Fail.Rejected);
    const refreshed = await adapter.refresh(credentials.refreshToken!);
    expect(refreshed.accessToken).not.toBe(credentials.accessToken);
  });

  it('lists the ad accounts the token sees', async () => {
    expect((await adapter.listAdAccounts(await connected())).map((a) => a.id)).toEqual(['501', '502']);
  });

  it('finds or creates an audience by name, never twice', async () => {
    const t = await connected();
    const first = await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true });
    const second = await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true });
    expect(second).toEqual(first);
    const { audiences } = (await (await control('/audiences')).json()) as { audiences: unknown[] };
    expect(audiences).toHaveLength(1);
    expect(await findOrCreateAudience(adapter, t, '501', { name: 'other', create: false })).toBeNull();
    expect(await findOrCreateAudience(adapter, t, '501', { id: first!.id })).toEqual(first);
  });

  it('adds 25,000 users in requests of 5,000 and removes some: the members are exactly the rows sent', async () => {
    const t = await connected();
    const audience = (await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true }))!;
    const all = rowsOf(emails(25_000));
    for (let i = 0; i < all.length; i += 5_000) {
      expect(await adapter.sendUsers(t, target(audience.id), all.slice(i, i + 5_000))).toEqual({
        synced: 5_000,
        invalid: 0,
      });
    }
    await adapter.sendUsers(t, target(audience.id, 'remove'), all.slice(0, 5_000));
    const { members } = (await (await control(`/audiences/${audience.id}/members`)).json()) as {
      members: { email: string }[];
    };
    expect(members.map((m) => m.email)).toEqual(
      all
        .slice(5_000)
        .map((r) => r[0])
        .sort(),
    );
    const stats = (await (await control('/stats')).json()) as { maxUsersInARequest: number; rejected: object };
    expect(stats.maxUsersInARequest).toBe(5_000);
    expect(stats.rejected).toEqual({});
  });

  it('counts one malformed identifier among 1,000 as invalid, syncing the 999 others', async () => {
    const t = await connected();
    const audience = (await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true }))!;
    const rows = rowsOf(emails(1_000));
    rows[500] = ['not-a-sha256'];
    expect(await adapter.sendUsers(t, target(audience.id), rows)).toEqual({ synced: 999, invalid: 1 });
  });

  it('reads a revoked token as InvalidToken', async () => {
    const t = await connected();
    const audience = (await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true }))!;
    await control('/tokens/revoke', { accessToken: t });
    const f = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(emails(3))));
    expect([f.type, f.nonRetryable]).toEqual([Fail.TokenInvalid, true]);
    expect(f.message).not.toContain(t);
  });

  it('reads a throttle as RateLimited, with the delay when LinkedIn gives one', async () => {
    const t = await connected();
    const audience = (await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true }))!;
    await control('/faults', { status: 429, count: 1 });
    const plain = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(emails(3))));
    expect([plain.type, plain.nextRetryDelay]).toEqual([Fail.RateLimited, undefined]);
    await control('/faults', { status: 429, count: 1, retryAfterSeconds: 7 });
    const hinted = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(emails(3))));
    expect([hinted.type, hinted.nextRetryDelay]).toEqual([Fail.RateLimited, 7_000]);
    await control('/faults', { status: 503, count: 1 });
    expect((await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(emails(3))))).type).toBe(
      Fail.PartnerUnavailable,
    );
  });

  it('reads a deleted segment as AudienceGone', async () => {
    const t = await connected();
    const audience = (await findOrCreateAudience(adapter, t, '501', { name: 'leads', create: true }))!;
    await fetch(`${sandbox.url}/_sandbox/linkedin/audiences/${audience.id}`, { method: 'DELETE' });
    const f = await failureOf(adapter.sendUsers(t, target(audience.id), rowsOf(emails(3))));
    expect([f.type, f.nonRetryable]).toEqual([Fail.AudienceDeleted, true]);
  });
});

describe('LinkedIn: a segment younger than its ready delay', () => {
  it('is retried (Transient), not believed gone', async () => {
    const slow = await startSandbox('127.0.0.1', 0, { linkedinSegmentReadyMs: 60_000 });
    try {
      const a = gated(
        linkedin({
          rest: `${slow.url}/linkedin/rest`,
          oauth: `${slow.url}/linkedin/oauth/v2`,
          authorize: `${slow.url}/linkedin/oauth/v2/authorization`,
          clientId: 'app',
          clientSecret: 's',
          version: partner('linkedin').api.version!,
          sourcePlatform: LINKEDIN_SANDBOX_SOURCE_PLATFORM,
        }),
      );
      const t = slow.state.newToken();
      const audience = (await findOrCreateAudience(a, t, '501', { name: 'new', create: true }))!;
      const f = await failureOf(a.sendUsers(t, target(audience.id), rowsOf(emails(3))));
      expect([f.type, f.nonRetryable]).toEqual([Fail.PartnerUnavailable, false]);
    } finally {
      await slow.close();
    }
  });
});

describe('LinkedIn: at most 1,000 DMP segments per ad account (from August 2026)', () => {
  const segmentsCall = (t: string, init: { method?: string; body?: unknown; query?: string } = {}) =>
    fetch(`${sandbox.url}/linkedin/rest/dmpSegments${init.query ?? ''}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${t}`,
        'linkedin-version': partner('linkedin').api.version!,
        'x-restli-protocol-version': '2.0.0',
        'content-type': 'application/json',
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  it('answers the 1,001st create with 429 SEGMENT_LIMIT_EXCEEDED and no Retry-After, and counts segments in paging.total', async () => {
    const t = await connected();
    await control('/ad-accounts/501', { audienceCount: 999 });
    const body = {
      name: 'n',
      account: 'urn:li:sponsoredAccount:501',
      type: 'USER',
      sourcePlatform: LINKEDIN_SANDBOX_SOURCE_PLATFORM,
    };
    expect((await segmentsCall(t, { method: 'POST', body })).status).toBe(201); // the 1,000th
    const refused = await segmentsCall(t, { method: 'POST', body: { ...body, name: 'n2' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(await refused.json()).toMatchObject({ status: 429, code: 'SEGMENT_LIMIT_EXCEEDED' });
    const listed = (await (
      await segmentsCall(t, { query: '?q=account&account=urn%3Ali%3AsponsoredAccount%3A501&start=0&count=1' })
    ).json()) as { paging: { total: number }; elements: unknown[] };
    expect([listed.paging.total, listed.elements.length]).toEqual([1_000, 1]);
    // The other account is not capped.
    expect(
      (await segmentsCall(t, { method: 'POST', body: { ...body, account: 'urn:li:sponsoredAccount:502' } })).status,
    ).toBe(201);
  });

  it('refuses at launch when creating would pass the cap, but not when syncing into an existing segment', async () => {
    const t = await connected();
    await findOrCreateAudience(adapter, t, '501', { name: 'one', create: true });
    expect(await adapter.adAccountProblems!(t, '501', true)).toEqual([]); // 1 segment, counted by LinkedIn's total
    await control('/ad-accounts/501', { audienceCount: 1_000 });
    expect(await adapter.adAccountProblems!(t, '501', true)).toEqual([
      { code: 'audience_limit_reached', message: expect.stringContaining('1,000 DMP segments') },
    ]);
    expect(await adapter.adAccountProblems!(t, '501', false)).toEqual([]);
    expect(await adapter.adAccountProblems!(t, '502', true)).toEqual([]);
  });

  it('reads the 429 on create as audience_limit_reached, never retried as a throttle, after one call', async () => {
    const t = await connected();
    await control('/ad-accounts/501', { audienceCount: 1_000 });
    const f = await failureOf(adapter.createAudience(t, '501', 'over'));
    expect([f.type, f.nonRetryable, f.nextRetryDelay]).toEqual([Fail.AudienceLimitReached, true, undefined]);
    expect(sandbox.state.statsOf('linkedin').rejected).toEqual({ SEGMENT_LIMIT_EXCEEDED: 1 });
    expect(audiencesIn()).toEqual([]);
  });
});

const audiencesIn = () => [...sandbox.state.audiencesOf('linkedin').values()];
