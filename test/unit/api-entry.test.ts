import { describe, expect, it } from 'vitest';
import { normalize, sha256Once } from '../../partners/identifiers.js';
import { partner } from '../helpers/partners.js';
import { planEntry } from '../../src/api/entry.js';
import { unpackRows } from '../../domain/rows.js';
import { hashKey, newWorkspaceId, newWorkspaceKey, sameSecret, workspaceOfKey } from '../../src/api/keys.js';
import { signState, STATE_TTL_MS, verifyState } from '../../src/api/oauth-state.js';
import { PostUsers } from '../../src/api/schemas.js';
import { issueDetails } from '../../src/api/validate.js';

const ALICE_EMAIL_SHA256 = 'ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976'; // alice@example.com

describe('users at entry', () => {
  it('checks consent first, then fields, and hashes what is sent', () => {
    const plan = planEntry(
      [
        { id: '1', email: ' Alice@Example.com ', adTrackingEnabled: true, attributes: { optin: 'true' } },
        { id: '2', email: 'b@example.com', adTrackingEnabled: false, attributes: { optin: true } },
        { id: '3', adTrackingEnabled: true, attributes: { optin: true } },
        { id: '4', email: 'd@example.com', adTrackingEnabled: true, attributes: { optin: 'yes' } },
        {
          id: '5',
          email: 'e@example.com',
          adTrackingEnabled: true,
          attributes: { optin: true },
          doNotSellOrShare: true,
        },
        { id: '6', phone: '+1 (555) 010-0000', adTrackingEnabled: true, attributes: { optin: true } },
      ],
      {
        partner: 'facebook',
        fields: ['email', 'phone'],
        consent: { requireAdTracking: true, optInAttribute: 'optin', excludeDoNotSell: true },
      },
      partner('facebook'),
    );
    expect(plan.accepted).toBe(6);
    expect(plan.notSynced).toEqual({ no_consent: 3, missing_fields: 1 });
    expect(plan.parts).toHaveLength(1);
    const rows = unpackRows(plan.parts[0]!);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([ALICE_EMAIL_SHA256, null]);
    expect(rows[1]![0]).toBeNull();
    expect(rows[1]![1]).toMatch(/^[a-f0-9]{64}$/);
    expect(JSON.stringify(plan)).not.toMatch(/example\.com|555/);
  });

  it('cuts rows into parts under the signal size, keeping every row once and in order', () => {
    const users = Array.from({ length: 10_000 }, (_, i) => ({ id: `${i}`, email: `u${i}@example.com` }));
    const plan = planEntry(users, { partner: 'linkedin', fields: ['email'] }, partner('linkedin'), 100_000);
    expect(plan.parts.length).toBeGreaterThan(4); // ~45 bytes a user
    for (const part of plan.parts) expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThanOrEqual(100_000);
    const sent = plan.parts.flatMap((part) => unpackRows(part).map((row) => row[0]));
    expect(sent).toEqual(users.map((u) => sha256Once(u.email, normalize.email)));
  });

  it('keeps parts under the signal size whatever the characters of plain values', () => {
    const odd = ['Zoë\\t', 'a\tb', 'l\nm', '"q"', '\u0001x', '李小龙', 'x'.repeat(300)];
    const users = Array.from({ length: 3_000 }, (_, i) => ({
      id: `${i}`,
      firstName: odd[i % odd.length]! + i,
      lastName: odd[(i + 3) % odd.length]!,
    }));
    const plan = planEntry(
      users,
      { partner: 'linkedin', fields: ['firstName', 'lastName'] },
      partner('linkedin'),
      50_000,
    );
    for (const part of plan.parts) expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThanOrEqual(50_000);
    const sent = plan.parts.flatMap((part) => unpackRows(part));
    expect(sent).toEqual(users.map((u) => [u.firstName.trim(), u.lastName.trim()]));
  });
});

describe('keys and OAuth state', () => {
  it('names the workspace in its key and stores only a hash', () => {
    const id = newWorkspaceId();
    const key = newWorkspaceKey(id);
    expect(workspaceOfKey(key)).toBe(id);
    expect(workspaceOfKey(`${key}x`)).toBeNull();
    expect(hashKey(key)).not.toContain(key.slice(-20));
    expect(sameSecret(key, key)).toBe(true);
    expect(sameSecret(key, `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
  });

  it('accepts its own unexpired state only', () => {
    const state = signState('secret', { w: 'ws1', p: 'linkedin', r: 'https://app.example/done' }, 1_000);
    expect(verifyState('secret', state, 2_000)).toMatchObject({
      w: 'ws1',
      p: 'linkedin',
      r: 'https://app.example/done',
    });
    expect(verifyState('other', state, 2_000)).toBeNull();
    expect(verifyState('secret', state, 1_000 + STATE_TTL_MS + 1)).toBeNull();
    const [payload, mac] = state.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), w: 'ws2' }),
    );
    expect(verifyState('secret', `${forged.toString('base64url')}.${mac}`, 2_000)).toBeNull();
  });
});

describe('validation details', () => {
  it('names each bad user by index and field', () => {
    const r = PostUsers.safeParse({
      users: [
        { id: 'a', email: 1 },
        { id: 'b', extra: 1 },
      ],
    });
    expect(r.success).toBe(false);
    expect(issueDetails(r.error!.issues)).toEqual([
      { index: 0, field: 'email', message: expect.any(String) },
      { index: 1, field: 'extra', message: expect.any(String) },
    ]);
  });
});
