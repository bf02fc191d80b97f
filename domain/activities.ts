/**
 * The activity interface the workflows call (types only: workflow code imports nothing else
 * from here). Partner adapters implement it; tests register doubles of it.
 */
import type { Credentials } from './messages.js';
import type { PackedRows } from './rows.js';
import type { PartnerLimits } from './partner.js';
import type { Action, AudienceRef, Field, PartnerId, SyncTarget } from './types.js';

export interface PartnerCallContext {
  workspaceId: string;
  partner: PartnerId;
  /** The Connection workflow holding the token; the activity reads the token from it, so no token enters this history. */
  connectionId: string;
  /** The token generation the caller believes current (a reconnect bumps it). */
  generation: number;
}

export interface EnsureAudienceInput extends PartnerCallContext {
  adAccountId: string;
  audience: AudienceRef;
  /** What the step will do and send: checked against what the partner allows before anything is created. */
  action?: Action;
  fields?: Field[];
}

export interface EnsureAudienceResult {
  /** `null` on partners that create the audience with its first records (Pinterest). */
  audienceId: string | null;
  audienceName: string | null;
  limits: PartnerLimits;
}

export interface SyncUsersInput extends PartnerCallContext, SyncTarget {
  batchId: string;
  /** Packed (domain/rows.ts). */
  rows: PackedRows;
}

export interface SyncUsersResult {
  /** Users the partner accepted. */
  synced: number;
  /** Users the partner refused one by one inside an accepted request (`invalid_identifier`). */
  invalid: number;
  /** Set when this call created the audience (Pinterest's first batch). */
  audienceId?: string;
}

export interface PartnerActivities {
  ensureAudience(input: EnsureAudienceInput): Promise<EnsureAudienceResult>;
  syncUsers(input: SyncUsersInput): Promise<SyncUsersResult>;
  /** New credentials from the partner for the connection's refresh token (the old one kept if none comes back). */
  refreshCredentials(input: PartnerCallContext): Promise<Credentials>;
}
