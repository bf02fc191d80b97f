import { describe, expect, it } from 'vitest';
import { minimumSizeWarning } from '../../domain/audience-size.js';
import { capabilitiesOf, partner } from '../helpers/partners.js';

const facts = (id: string, synced: number, partnerSize?: number | null) => ({
  partner: partner(id).label,
  minimum: capabilitiesOf(id).minimumAudienceSize,
  action: 'add' as const,
  synced,
  ...(partnerSize !== undefined ? { partnerSize } : {}),
});

describe('audience_below_minimum_size', () => {
  it("declares each partner's published minimum: LinkedIn 300, Pinterest 100, TikTok 1,000, none for Meta", () => {
    expect(['linkedin', 'pinterest', 'tiktok', 'facebook'].map((p) => capabilitiesOf(p).minimumAudienceSize)).toEqual([
      300,
      100,
      1_000,
      undefined,
    ]);
  });

  it('is judged on the users synced while the partner has no size figure, naming its number', () => {
    expect(minimumSizeWarning(facts('tiktok', 999))).toEqual({
      code: 'audience_below_minimum_size',
      message: 'TikTok needs at least 1,000 matched members to use an audience; this step has synced 999 users so far.',
    });
    expect(minimumSizeWarning(facts('tiktok', 1_000))).toBeNull();
    expect(minimumSizeWarning(facts('linkedin', 299))?.message).toContain('at least 300');
    expect(minimumSizeWarning(facts('pinterest', 99))?.message).toContain('at least 100');
    expect(minimumSizeWarning(facts('pinterest', 100))).toBeNull();
    // null: the partner has not answered yet.
    expect(minimumSizeWarning(facts('linkedin', 10, null))?.message).toContain('synced 10 users');
  });

  it("is judged on the partner's own figure once there is one, either way", () => {
    // 5,000 synced but LinkedIn matched 120: below.
    expect(minimumSizeWarning(facts('linkedin', 5_000, 120))).toEqual({
      code: 'audience_below_minimum_size',
      message: 'LinkedIn needs at least 300 matched members to use an audience; LinkedIn counts 120 in this audience.',
    });
    // 50 synced but the list already holds 400 matched (users synced by other steps): not below.
    expect(minimumSizeWarning(facts('pinterest', 50, 400))).toBeNull();
    expect(minimumSizeWarning(facts('tiktok', 0, 1_000))).toBeNull();
  });

  it('never warns a remove step, nor a partner without a published minimum', () => {
    expect(minimumSizeWarning({ ...facts('linkedin', 1), action: 'remove' })).toBeNull();
    expect(minimumSizeWarning(facts('facebook', 1))).toBeNull();
  });
});
