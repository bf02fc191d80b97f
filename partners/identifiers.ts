/**
 * Identifiers as each partner wants them: normalised, then SHA-256-hashed where the partner
 * requires it. The API calls this at entry, so raw emails, phones and names never reach
 * Temporal. One normaliser per field, one hashing helper, used by every partner.
 */
import { createHash } from 'node:crypto';
import type { Field, Row } from '../domain/types.js';

const SHA256_HEX = /^[a-f0-9]{64}$/i;

/** SHA-256 hex of the normalised value; a value that is already a SHA-256 hex passes through; '' is never hashed. */
export function sha256Once(value: string, normalize: (v: string) => string): string | null {
  const v = value.trim();
  if (!v) return null;
  if (SHA256_HEX.test(v)) return v.toLowerCase();
  const normalized = normalize(v);
  if (!normalized) return null;
  return createHash('sha256').update(normalized).digest('hex');
}

export const normalize = {
  email: (v: string): string => v.trim().toLowerCase(),
  /** TikTok also matches `first.last+tag@x` as `firstlast@x`. */
  emailWithoutTagsAndDots: (v: string): string => {
    const email = normalize.email(v);
    const at = email.lastIndexOf('@');
    if (at < 1) return email;
    const local = email.slice(0, at).split('+')[0]!.replaceAll('.', '');
    return `${local}${email.slice(at)}`;
  },
  /** Digits only, with the country code, no leading zeros (`+44 (0)20 7946 0958` is the caller's to get right). */
  phone: (v: string): string => v.replace(/\D/g, '').replace(/^0+/, ''),
  /** Lowercase, no punctuation or symbols, single spaces. */
  name: (v: string): string =>
    v
      .trim()
      .toLowerCase()
      .replace(/[\p{P}\p{S}]/gu, '')
      .replace(/\s+/g, ' ')
      .trim(),
  /** Names some partners take in plain text (LinkedIn): only trimmed. */
  plainName: (v: string): string => v.trim(),
  adId: (v: string): string => v.trim().toLowerCase(),
};

export interface FieldRule {
  normalize: (v: string) => string;
  hash: boolean;
}

export const hashed = (n: (v: string) => string): FieldRule => ({ normalize: n, hash: true });
export const plain = (n: (v: string) => string): FieldRule => ({ normalize: n, hash: false });

/** How a partner takes identifiers: its rule per field, and the fields that only count together. */
export interface IdentifierRules {
  identifiers: Partial<Record<Field, FieldRule>>;
  capabilities: { fieldPairs: [Field, Field][] };
}

/** One field of one user as the partner receives it, or `null` when the user has no usable value. */
export function identifier(partner: IdentifierRules, field: Field, raw: unknown): string | null {
  const rule = partner.identifiers[field];
  if (!rule || typeof raw !== 'string') return null;
  if (rule.hash) return sha256Once(raw, rule.normalize);
  const v = rule.normalize(raw);
  return v || null;
}

export type UserIdentifiers = Partial<Record<Field, unknown>>;

/**
 * A user as a compact row in the step's field order, or `null` when the user has none of the
 * selected fields (Not Synced: `missing_fields`). Paired fields (LinkedIn's names) count only
 * together: one without the other is dropped.
 */
export function toRow(partner: IdentifierRules, fields: readonly Field[], user: UserIdentifiers): Row | null {
  const row: Row = fields.map((f) => identifier(partner, f, user[f]));
  for (const [a, b] of partner.capabilities.fieldPairs) {
    const ia = fields.indexOf(a);
    const ib = fields.indexOf(b);
    if (ia < 0 || ib < 0) continue;
    if (row[ia] === null || row[ib] === null) row[ia] = row[ib] = null;
  }
  return row.some((v) => v !== null) ? row : null;
}
