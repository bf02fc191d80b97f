import { describe, expect, it } from 'vitest';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import { capabilitiesOf, scopeOf } from '../helpers/partners.js';

const capabilitiesFrom = (env: NodeJS.ProcessEnv) => PARTNER_REGISTRY.capabilities(env);
import { partnerQueueLimits } from '../../src/temporal/rate-limits.js';
import { rateLimitKey } from '../../domain/ids.js';

describe('rate-limit keys', () => {
  it('count what each partner counts: the connection, the ad account, or the whole app', () => {
    expect(rateLimitKey(scopeOf('linkedin'), 'linkedin', 'ws1', '501')).toBe('linkedin:ws1');
    expect(rateLimitKey(scopeOf('pinterest'), 'pinterest', 'ws1', '5490001')).toBe('pinterest:ws1');
    // Two workspaces on one Facebook ad account share its budget; TikTok's is the app's.
    expect(rateLimitKey(scopeOf('facebook'), 'facebook', 'ws1', '601')).toBe(
      rateLimitKey(scopeOf('facebook'), 'facebook', 'ws2', '601'),
    );
    expect(rateLimitKey(scopeOf('tiktok'), 'tiktok', 'ws1', '7001')).toBe(
      rateLimitKey(scopeOf('tiktok'), 'tiktok', 'ws2', '7002'),
    );
  });
});

describe('server rate limits', () => {
  it('put app-wide limits on the queue and the others on each fairness key', () => {
    const limits = partnerQueueLimits('q', [capabilitiesOf('tiktok'), capabilitiesOf('pinterest')]);
    expect(limits).toEqual([
      { taskQueue: 'q-tiktok', queueRps: 10 },
      { taskQueue: 'q-pinterest', perKeyRps: 6 },
    ]);
  });
});

describe('limit overrides from env', () => {
  it('replace the product rules per deployment', () => {
    const c = capabilitiesFrom({ TIKTOK_REQUESTS_PER_SECOND: '50', LINKEDIN_USERS_PER_REQUEST: '1000' });
    expect(c.tiktok!.requestsPerSecond).toBe(50);
    expect(c.linkedin!.maxUsersPerRequest).toBe(1_000);
    expect(c.facebook).toEqual(capabilitiesOf('facebook'));
  });

  it('refuse a value that is not a positive number, naming the variable', () => {
    expect(() => capabilitiesFrom({ PINTEREST_USERS_PER_REQUEST: '1.5' })).toThrow(
      'PINTEREST_USERS_PER_REQUEST must be a positive whole number (got "1.5")',
    );
    expect(() => capabilitiesFrom({ FACEBOOK_REQUESTS_PER_SECOND: '-1' })).toThrow(/FACEBOOK_REQUESTS_PER_SECOND/);
  });
});
