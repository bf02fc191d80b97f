import { describe, expect, it } from 'vitest';
import { identifier, normalize, sha256Once, toRow } from '../../partners/identifiers.js';
import { partner } from '../helpers/partners.js';

// Literal SHA-256 values, computed outside this code (Python's hashlib).
const JANE_DOT = '86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d'; // jane.doe@example.com
const JANE = 'c4d25e9c90ff23e9145397bc6fbd5385ca5fbe78211222ccbecd0b369ebb19a6'; // janedoe@example.com
const PHONE = 'd6736136ea896c1bfdc553e0e86e702c70d060d805696ca3e4e9e0961353860a'; // 15551234567
const OBRIEN = 'b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba'; // obrien
const JOSE = 'd994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866'; // josé
const MARY_ANN = '343b97011010c3549fe7fcd6c226ed9431ea37b0b77ed78f6300a0098925faf1'; // mary ann
const IDFA = '38400000-8cf0-11bd-b23e-10b96e40000d';
const IDFA_SHA = 'd4181bb455a74b3bc8b37c75ac9b2c702eb6b9930bd040b861403b31ca85634d';

describe('sha256Once', () => {
  it('hashes the normalised value', () => {
    expect(sha256Once('  Jane.Doe@Example.COM ', normalize.email)).toBe(JANE_DOT);
  });
  it('passes a value that is already SHA-256 hex through, lowercased, never hashing it twice', () => {
    expect(sha256Once(JANE.toUpperCase(), normalize.email)).toBe(JANE);
  });
  it("never hashes '' (or what normalises to it)", () => {
    expect(sha256Once('   ', normalize.email)).toBeNull();
    expect(sha256Once('()-', normalize.phone)).toBeNull();
  });
});

describe('identifier: each partner as PARTNER_IDS.md says', () => {
  it('emails: trimmed and lowercased; TikTok also drops the +tag and dots of the local part', () => {
    expect(identifier(partner('linkedin'), 'email', 'Jane.Doe@example.com')).toBe(JANE_DOT);
    expect(identifier(partner('facebook'), 'email', 'jane.doe@EXAMPLE.com')).toBe(JANE_DOT);
    expect(identifier(partner('pinterest'), 'email', ' jane.doe@example.com')).toBe(JANE_DOT);
    expect(identifier(partner('tiktok'), 'email', 'Jane.Doe+ads@example.com')).toBe(JANE);
  });

  it('phones: digits with the country code, no leading zeros', () => {
    expect(normalize.phone('+1 (555) 123-4567')).toBe('15551234567');
    expect(normalize.phone('00 1 555 123 4567')).toBe('15551234567');
    expect(identifier(partner('facebook'), 'phone', '+1 (555) 123-4567')).toBe(PHONE);
    expect(identifier(partner('tiktok'), 'phone', '1-555-123-4567')).toBe(PHONE);
  });

  it('names: hashed lowercase without punctuation for Facebook, plain for LinkedIn', () => {
    expect(identifier(partner('facebook'), 'lastName', " O'Brien ")).toBe(OBRIEN);
    expect(identifier(partner('facebook'), 'firstName', 'José')).toBe(JOSE);
    expect(identifier(partner('facebook'), 'firstName', 'Mary  Ann!')).toBe(MARY_ANN);
    expect(identifier(partner('linkedin'), 'firstName', '  Mary Ann ')).toBe('Mary Ann');
  });

  it('mobile ad ids: raw for Facebook and LinkedIn, hashed for Pinterest and TikTok', () => {
    expect(identifier(partner('facebook'), 'idfa', IDFA.toUpperCase())).toBe(IDFA);
    expect(identifier(partner('linkedin'), 'gaid', ` ${IDFA} `)).toBe(IDFA);
    expect(identifier(partner('pinterest'), 'idfa', IDFA)).toBe(IDFA_SHA);
    expect(identifier(partner('tiktok'), 'gaid', IDFA.toUpperCase())).toBe(IDFA_SHA);
  });

  it('takes no field a partner does not accept, and no value that is not text', () => {
    expect(identifier(partner('pinterest'), 'phone', '+15551234567')).toBeNull();
    expect(identifier(partner('linkedin'), 'phone', '+15551234567')).toBeNull();
    expect(identifier(partner('facebook'), 'email', 42)).toBeNull();
  });
});

describe('toRow', () => {
  it("keeps the step's field order, null where a user has no value", () => {
    expect(toRow(partner('facebook'), ['phone', 'email'], { email: 'jane.doe@example.com' })).toEqual([null, JANE_DOT]);
  });

  it('returns null for a user with none of the selected fields (missing_fields)', () => {
    expect(toRow(partner('facebook'), ['email', 'phone'], { firstName: 'Jane', email: '  ' })).toBeNull();
  });

  it("counts LinkedIn's names only as a pair", () => {
    const fields = ['email', 'firstName', 'lastName'] as const;
    expect(toRow(partner('linkedin'), fields, { firstName: 'Jane' })).toBeNull();
    expect(toRow(partner('linkedin'), fields, { firstName: 'Jane', email: 'jane.doe@example.com' })).toEqual([
      JANE_DOT,
      null,
      null,
    ]);
    expect(toRow(partner('linkedin'), fields, { firstName: 'Jane', lastName: 'Doe' })).toEqual([null, 'Jane', 'Doe']);
  });

  it('accepts exactly the fields each partner lists', () => {
    expect(partner('pinterest').capabilities.fields).toEqual(['email', 'gaid', 'idfa']);
    expect(partner('tiktok').capabilities.canRemove).toBe(false);
  });
});
