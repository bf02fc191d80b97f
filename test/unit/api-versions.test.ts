import { describe, expect, it } from 'vitest';
import { daysUntil, served } from '../../partners/calendar.js';
import { facebookCalendar } from '../../partners/facebook/versions.js';
import { linkedinCalendar } from '../../partners/linkedin/versions.js';
import { DEFAULT_PARTNERS, PARTNER_REGISTRY, apiVersionInForce } from '../../partners/registry.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { partner } from '../helpers/partners.js';

describe('partner API versions', () => {
  // The calendar canary: a pinned version the partner is about to stop serving fails the build.
  it.each(DEFAULT_PARTNERS.map((d) => [d.id, d] as const))(
    '%s: the pinned version has at least 30 days left today',
    (id, d) => {
      const v = apiVersionInForce(d, {});
      if (!v.sunsetAt) return; // the partner publishes no date for it
      const left = daysUntil(v.sunsetAt);
      expect(
        left,
        `${id} API version ${v.version} is sunset on ${v.sunsetAt}${v.estimated ? ' (estimated)' : ''}: ${left} days left; move to a newer version`,
      ).toBeGreaterThanOrEqual(30);
    },
  );

  it('follow the partners’ published calendars', () => {
    expect(linkedinCalendar('202505')).toMatchObject({ sunsetAt: '2026-05-15', estimated: false });
    expect(linkedinCalendar('202604')).toMatchObject({ sunsetAt: '2027-04-15', estimated: false });
    // Not in LinkedIn's table yet: a year after release, marked estimated.
    expect(linkedinCalendar('202608')).toMatchObject({ sunsetAt: '2027-08-15', estimated: true });
    expect(linkedinCalendar('209912')).toBeUndefined();
    expect(facebookCalendar('v24.0')).toMatchObject({ sunsetAt: '2026-11-10' });
    expect(facebookCalendar('v25.0')).toMatchObject({ sunsetAt: '2027-02-23' });
    expect(facebookCalendar('v26.0')).toMatchObject({ sunsetAt: null });
    const dec4 = Date.parse('2026-12-04T12:00:00Z');
    expect(served(linkedinCalendar, '202505', dec4)).toBe(false);
    expect(served(linkedinCalendar, '202601', dec4)).toBe(true);
    expect(served(facebookCalendar, 'v24.0', dec4)).toBe(false);
    expect(served(facebookCalendar, 'v25.0', dec4)).toBe(true);
  });

  it('pin LinkedIn 202608 and Graph v26.0; Pinterest and TikTok version by path', () => {
    const v = PARTNER_REGISTRY.apiVersions({});
    expect(v.linkedin).toMatchObject({ version: '202608', sunsetAt: '2027-08-15', estimated: true, overridden: false });
    expect(v.facebook).toMatchObject({ version: 'v26.0', sunsetAt: null, overridden: false });
    expect(v.pinterest).toMatchObject({ version: null, sunsetAt: null });
    expect(v.tiktok).toMatchObject({ version: null, sunsetAt: null });
  });

  it('take an operator override, looked up in the same calendar', () => {
    const v = PARTNER_REGISTRY.apiVersions({ LINKEDIN_API_VERSION: '202603', FACEBOOK_GRAPH_VERSION: 'v25.0' });
    expect(v.linkedin).toMatchObject({ version: '202603', sunsetAt: '2027-03-16', overridden: true });
    expect(v.facebook).toMatchObject({ version: 'v25.0', sunsetAt: '2027-02-23', overridden: true });
    // Accepted, with a warning: the operator may know better.
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(apiVersionInForce(partner('facebook'), { FACEBOOK_GRAPH_VERSION: 'v25.0' }, now).warning).toBeUndefined();
    const jan10 = Date.parse('2027-01-10T12:00:00Z'); // under 60 days left
    expect(apiVersionInForce(partner('facebook'), { FACEBOOK_GRAPH_VERSION: 'v25.0' }, jan10).warning).toBe(
      'Facebook API version v25.0 is sunset in 43 days, on 2027-02-23 (FACEBOOK_GRAPH_VERSION)',
    );
    expect(apiVersionInForce(partner('linkedin'), { LINKEDIN_API_VERSION: '202505' }, now).warning).toMatch(
      /202505 was sunset on 2026-05-15/,
    );
    const unknown = apiVersionInForce(partner('linkedin'), { LINKEDIN_API_VERSION: '209901' }, now);
    expect(unknown).toMatchObject({ version: '209901', sunsetAt: null });
    expect(unknown.warning).toMatch(/LINKEDIN_API_VERSION=209901: LinkedIn lists no such version/);
  });

  it('refuse an override in the wrong form at start-up, naming the variable', () => {
    expect(() => loadConfig({ LINKEDIN_API_VERSION: '2026-08' })).toThrow(ConfigError);
    expect(() => loadConfig({ LINKEDIN_API_VERSION: '2026-08' })).toThrow(
      'invalid configuration: LINKEDIN_API_VERSION must be a LinkedIn API version of the form YYYYMM',
    );
    expect(() => loadConfig({ FACEBOOK_GRAPH_VERSION: '26' })).toThrow(
      'invalid configuration: FACEBOOK_GRAPH_VERSION must be a Facebook API version of the form vNN.0',
    );
    expect(() => loadConfig({ LINKEDIN_API_VERSION: '202505', FACEBOOK_GRAPH_VERSION: 'v24.0' })).not.toThrow();
  });
});
