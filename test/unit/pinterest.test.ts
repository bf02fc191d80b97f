import { MockAgent, type Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { pinterest } from '../../partners/pinterest/adapter.js';
import { Fail } from '../../domain/failures.js';
import { failureOf } from '../helpers/failures.js';
import { gated } from '../helpers/gated.js';

// Answers the sandbox never gives (a 404 for a list that a lookup then finds), scripted.
const ORIGIN = 'http://pinterest.test';
const LIST = '/v5/ad_accounts/5490001/customer_lists/77';
const json = { headers: { 'content-type': 'application/json' } };
let mock: MockAgent;

function adapterWith(script: (pool: ReturnType<MockAgent['get']>) => void) {
  mock = new MockAgent();
  mock.disableNetConnect();
  script(mock.get(ORIGIN));
  // MockAgent is a dispatcher like Agent; the adapter only dispatches through it.
  return gated(
    pinterest(
      { api: `${ORIGIN}/v5`, authorize: `${ORIGIN}/oauth/`, clientId: 'app', clientSecret: 'secret' },
      mock as unknown as Agent,
    ),
  );
}
const target = {
  adAccountId: '5490001',
  audienceId: '77',
  audienceName: 'leads',
  action: 'add' as const,
  fields: ['email' as const],
};
const rows = [['a'.repeat(64)]];

afterEach(async () => {
  mock.assertNoPendingInterceptors(); // every scripted answer was asked for
  await mock.close();
});

describe('Pinterest: a 404 on a list is believed only when a lookup confirms it', () => {
  it('retries (Transient) when the lookup still finds the list', async () => {
    const adapter = adapterWith((pool) => {
      pool
        .intercept({ path: LIST, method: 'PATCH' })
        .reply(404, { code: 1018, message: 'Customer list not found.' }, json);
      pool.intercept({ path: LIST, method: 'GET' }).reply(200, { id: '77', name: 'leads', exceptions: {} }, json);
    });
    const f = await failureOf(adapter.sendUsers('t', target, rows));
    expect([f.type, f.nonRetryable]).toEqual([Fail.PartnerUnavailable, false]);
  });
  it('passes the lookup’s own failure on (a throttle is not a deleted list)', async () => {
    const adapter = adapterWith((pool) => {
      pool
        .intercept({ path: LIST, method: 'PATCH' })
        .reply(404, { code: 1018, message: 'Customer list not found.' }, json);
      pool
        .intercept({ path: LIST, method: 'GET' })
        .reply(
          429,
          { code: 8, message: 'Rate limit exceeded.' },
          { headers: { ...json.headers, 'x-ratelimit-reset': '5' } },
        );
    });
    const f = await failureOf(adapter.sendUsers('t', target, rows));
    expect([f.type, f.nextRetryDelay]).toEqual([Fail.RateLimited, 5_000]);
  });
  it('is AudienceGone when the lookup answers 404 too', async () => {
    const adapter = adapterWith((pool) => {
      pool
        .intercept({ path: LIST, method: 'PATCH' })
        .reply(404, { code: 1018, message: 'Customer list not found.' }, json);
      pool
        .intercept({ path: LIST, method: 'GET' })
        .reply(404, { code: 1018, message: 'Customer list not found.' }, json);
    });
    expect((await failureOf(adapter.sendUsers('t', target, rows))).type).toBe(Fail.AudienceDeleted);
  });
});

describe('Pinterest: refused records', () => {
  it('reads only numeric error codes in exceptions, bounded by what was sent', async () => {
    const adapter = adapterWith((pool) => {
      pool
        .intercept({ path: LIST, method: 'PATCH' })
        .reply(200, { id: '77', name: 'leads', exceptions: { '2741': 5, code: 2, message: 'x' } }, json);
    });
    expect(await adapter.sendUsers('t', target, [...rows, ...rows])).toEqual({ synced: 0, invalid: 2 });
  });
  it('never sends a value with a comma (it would split the records text): that user is invalid here', async () => {
    const adapter = adapterWith((pool) => {
      pool.intercept({ path: LIST, method: 'PATCH' }).reply(200, { id: '77', name: 'leads', exceptions: {} }, json);
    });
    expect(await adapter.sendUsers('t', target, [...rows, ['a,b'], [null]])).toEqual({ synced: 1, invalid: 2 });
  });
});
