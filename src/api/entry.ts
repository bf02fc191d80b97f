/**
 * Users entering a step, as the API turns them into what Temporal receives: consent and
 * missing-field classification, identifiers normalised and hashed for the partner (raw values
 * never leave this module), and rows cut into signal-sized parts.
 */
import type { z } from 'zod';
import { toRow, type IdentifierRules } from '../../partners/identifiers.js';
import { packRow, packedLineBytes, type PackedRows } from '../../domain/rows.js';
import type { Field, NotSyncedReason, PartnerId } from '../../domain/types.js';
import type { Consent, User } from './schemas.js';

/** A signal's rows stay under this (the step's input carries them; Temporal warns at 2 MB per payload). */
export const MAX_PART_BYTES = 512 * 1024;

export interface EntryStep {
  partner: PartnerId;
  fields: Field[];
  consent?: z.infer<typeof Consent>;
}

export interface EntryPlan {
  accepted: number;
  notSynced: Partial<Record<NotSyncedReason, number>>;
  /** Rows to send, packed (workflows/rows.ts), in parts of at most MAX_PART_BYTES of JSON. */
  parts: PackedRows[];
}

export function planEntry(
  users: z.infer<typeof User>[],
  step: EntryStep,
  partner: IdentifierRules,
  maxPartBytes = MAX_PART_BYTES,
): EntryPlan {
  const notSynced: EntryPlan['notSynced'] = {};
  const parts: PackedRows[] = [];
  let part: string[] = [];
  let bytes = 2;
  for (const user of users) {
    const reason = notSyncedReason(user, step);
    const row = reason ? null : toRow(partner, step.fields, user);
    if (!row) {
      const r = reason ?? 'missing_fields';
      notSynced[r] = (notSynced[r] ?? 0) + 1;
      continue;
    }
    const line = packRow(row);
    const size = packedLineBytes(line, 0, line.length);
    if (part.length > 0 && bytes + size > maxPartBytes) {
      parts.push(part.join('\n'));
      part = [];
      bytes = 2;
    }
    part.push(line);
    bytes += size;
  }
  if (part.length > 0) parts.push(part.join('\n'));
  return { accepted: users.length, notSynced, parts };
}

/** Consent first (docs/api.md): a user who has not given it is never sent, whatever their fields. */
function notSyncedReason(user: z.infer<typeof User>, step: EntryStep): NotSyncedReason | null {
  const c = step.consent;
  if (c?.requireAdTracking && user.adTrackingEnabled !== true) return 'no_consent';
  if (c?.optInAttribute) {
    const v = user.attributes?.[c.optInAttribute];
    if (v !== true && v !== 'true') return 'no_consent';
  }
  if (c?.excludeDoNotSell && user.doNotSellOrShare === true) return 'no_consent';
  return null;
}
