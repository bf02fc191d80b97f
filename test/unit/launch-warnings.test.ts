import { describe, expect, it } from 'vitest';
import type { StepConfig } from '../../domain/types.js';
import { audienceSizeWarnings, dryRunWarnings } from '../../src/api/launch-warnings.js';
import { partner } from '../helpers/partners.js';

const linkedin = partner('linkedin').capabilities;
const config = (over: Partial<StepConfig> = {}): StepConfig => ({
  partner: 'linkedin',
  adAccountId: '501',
  audience: { name: 'leads', create: true },
  action: 'add',
  fields: ['email'],
  lastStep: false,
  ...over,
});
const codes = (w: { code: string }[]) => w.map((x) => x.code);

describe('launch warnings', () => {
  it('warns of an audience under the partner minimum only while adding, and only below it', () => {
    expect(codes(audienceSizeWarnings(linkedin, 'add', 299))).toEqual(['audience_below_minimum_size']);
    expect(audienceSizeWarnings(linkedin, 'add', 300)).toEqual([]);
    expect(audienceSizeWarnings(linkedin, 'remove', 0)).toEqual([]);
    expect(audienceSizeWarnings(partner('facebook').capabilities, 'add', 0)).toEqual([]); // no published minimum
  });

  it('does not guess the size of an existing audience the step has not filled', () => {
    const existing = { id: '9', name: 'leads', exists: true };
    expect(dryRunWarnings(linkedin, config(), existing, null)).toEqual([]);
    expect(codes(dryRunWarnings(linkedin, config(), { id: null, name: 'leads', exists: false }, null))).toEqual([
      'audience_below_minimum_size',
    ]);
  });

  it('names each setting a relaunch changes, and says so when none changes', () => {
    const launched = { config: config(), audience: { id: '9', name: 'leads' }, synced: 400 };
    const same = { id: '9', name: 'leads', exists: true };
    expect(dryRunWarnings(linkedin, config(), same, launched)).toEqual([
      { code: 'relaunch_unchanged', message: 'Nothing the step does would change.' },
    ]);
    // Referring to the same audience by id instead of by name changes nothing it does.
    expect(codes(dryRunWarnings(linkedin, config({ audience: { id: '9' } }), same, launched))).toEqual([
      'relaunch_unchanged',
    ]);
    const next = config({ adAccountId: '502', fields: ['email', 'phone'], consent: { excludeDoNotSell: true } });
    const moved = dryRunWarnings(linkedin, next, { id: null, name: 'leads', exists: false }, launched);
    expect(codes(moved)).toEqual([
      'audience_below_minimum_size', // a new audience starts from nothing
      'relaunch_changes_ad_account',
      'relaunch_changes_audience',
      'relaunch_changes_fields',
      'relaunch_changes_consent',
    ]);
    expect(moved[3]!.message).toBe(
      'Users are matched on email, phone instead of email: users waiting to be sent leave first, matched on email; users already synced are not sent again.',
    );
  });

  it("on Pinterest, knows the step's list by name before its first batch gave it an id", () => {
    const pinterest = partner('pinterest').capabilities;
    const c = config({ partner: 'pinterest', adAccountId: '5490001' });
    const launched = { config: c, audience: { id: null, name: 'leads' }, synced: 0 };
    expect(codes(dryRunWarnings(pinterest, c, { id: null, name: 'leads', exists: false }, launched))).toEqual([
      'audience_below_minimum_size',
      'audience_created_with_first_users',
      'relaunch_unchanged',
    ]);
  });
});
