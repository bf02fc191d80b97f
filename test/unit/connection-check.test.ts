import { describe, expect, it } from 'vitest';
import { connectionChecks, type CheckFacts, type Probe } from '../../src/api/connection-check.js';

const linkedin: CheckFacts = {
  label: 'LinkedIn',
  requiredScopes: [['rw_dmp_segments'], ['r_ads', 'rw_ads']],
  version: { version: '202608', sunsetAt: '2027-08-15', estimated: true, overridden: false },
  overrideKey: 'LINKEDIN_API_VERSION',
  pinned: '202608',
  selected: ['501', '502'],
};
const good: Probe = {
  tokenInfo: { ok: true, value: { valid: true, scopes: ['rw_dmp_segments', 'rw_ads'] } },
  versionAccepted: { ok: true, value: true },
  adAccounts: {
    ok: true,
    value: [
      { id: '501', name: 'a' },
      { id: '502', name: 'b' },
    ],
  },
  problems: { '501': { ok: true, value: [] }, '502': { ok: true, value: [] } },
};
const byCode = (checks: { code: string; ok: boolean; message: string }[]) =>
  Object.fromEntries(checks.map((c) => [c.code, c]));

describe('connectionChecks', () => {
  it('lists token, scopes, version and each selected ad account, all ok; either scope of a pair will do', () => {
    const checks = connectionChecks(linkedin, good);
    expect(checks.map((c) => [c.code, c.ok])).toEqual([
      ['token_valid', true],
      ['scopes_granted', true],
      ['api_version_accepted', true],
      ['ad_account_usable:501', true],
      ['ad_account_usable:502', true],
    ]);
    expect(byCode(checks).api_version_accepted!.message).toContain('2027-08-15 (estimated)');
  });

  it('names only the missing scopes', () => {
    const c = byCode(
      connectionChecks(linkedin, { ...good, tokenInfo: { ok: true, value: { valid: true, scopes: ['r_ads'] } } }),
    );
    expect(c.scopes_granted).toMatchObject({ ok: false });
    expect(c.scopes_granted!.message).toMatch(/^The token lacks rw_dmp_segments: reconnect LinkedIn/);
  });

  it('says scopes could not be verified where the partner cannot tell, instead of guessing', () => {
    const pinterest: CheckFacts = {
      label: 'Pinterest',
      requiredScopes: [['ads:read'], ['ads:write']],
      version: { version: null, sunsetAt: null, estimated: false, overridden: false },
      pinned: null,
      selected: ['9'],
    };
    const c = byCode(
      connectionChecks(pinterest, {
        tokenInfo: null,
        versionAccepted: null,
        adAccounts: { ok: true, value: [{ id: '9', name: 'x' }] },
        problems: { '9': { ok: true, value: [] } },
      }),
    );
    expect(c.token_valid).toMatchObject({ ok: true });
    expect(c.scopes_granted).toMatchObject({ ok: true });
    expect(c.scopes_granted!.message).toContain('could not be verified');
    expect(c.scopes_granted!.message).toContain('ads:read, ads:write');
    expect(c.api_version_accepted).toMatchObject({ ok: true });
  });

  it('reads a token refused on listing as not valid, and checks nothing after it', () => {
    const c = byCode(
      connectionChecks(
        { ...linkedin, requiredScopes: undefined },
        {
          tokenInfo: null,
          versionAccepted: null,
          adAccounts: { ok: false, type: 'token_invalid', message: 'HTTP 401' },
          problems: {},
        },
      ),
    );
    expect(c.token_valid!.message).toBe(
      'LinkedIn no longer accepts the token (revoked or expired): reconnect LinkedIn.',
    );
    expect(Object.values(c).filter((x) => x.ok)).toEqual([]);
    expect(c['ad_account_usable:501']!.message).toMatch(/^Not checked/);
  });

  it('names a refused override, its sunset and what to set instead', () => {
    const c = byCode(
      connectionChecks(
        { ...linkedin, version: { version: '202505', sunsetAt: '2026-05-15', estimated: false, overridden: true } },
        { tokenInfo: good.tokenInfo, versionAccepted: { ok: true, value: false }, problems: {} },
      ),
    );
    expect(c.api_version_accepted!.message).toBe(
      'LinkedIn refuses API version 202505 (set by LINKEDIN_API_VERSION): it was sunset on 2026-05-15. Unset LINKEDIN_API_VERSION to use the pinned 202608, or set a version LinkedIn still serves.',
    );
    expect(c['ad_account_usable:502']!.message).toBe('Not checked: LinkedIn refuses the API version.');
  });

  it("reports an ad account no longer listed, and the partner's problems on another", () => {
    const c = byCode(
      connectionChecks(linkedin, {
        ...good,
        adAccounts: { ok: true, value: [{ id: '502', name: 'b' }] },
        problems: {
          '502': { ok: true, value: [{ code: 'audience_limit_reached', message: 'The cap is reached.' }] },
        },
      }),
    );
    expect(c['ad_account_usable:501']!.message).toMatch(/^Ad account 501 is no longer listed for this token/);
    expect(c['ad_account_usable:502']).toEqual({
      code: 'ad_account_usable:502',
      ok: false,
      message: 'The cap is reached.',
    });
  });
});
