import { describe, expect, it } from 'vitest';
import { DEFAULT_PARTNERS } from '../../partners/registry.js';
import { example } from '../fixtures/partners/example/definition.js';

describe('each partner definition', () => {
  // The stand-in declares what the partner publishes; the product must stay at or under it.
  it.each([...DEFAULT_PARTNERS, example].map((d) => [d.id, d] as const))(
    '%s: the product limits are at or under what the partner publishes',
    (_, d) => {
      const c = d.capabilities;
      const published = d.sandbox.published;
      expect(c.maxUsersPerRequest).toBeLessThanOrEqual(published.usersPerRequest);
      expect(c.requestsPerSecond).toBeLessThanOrEqual(published.requestsPerSecond);
      if (published.requestsPerMinute !== undefined)
        expect(c.requestsPerSecond * 60).toBeLessThanOrEqual(published.requestsPerMinute);
      expect(c.rateLimitScope).toBe(published.scope);
      expect(c.id).toBe(d.id);
      // Every field it accepts has a rule saying how it is normalised and whether it is hashed.
      expect(Object.keys(d.identifiers).sort()).toEqual([...c.fields].sort());
    },
  );
});
