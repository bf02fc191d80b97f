import type { Credentials } from '../../workflows/messages.js';
import type { AudienceRef, PartnerId, Row, SyncTarget } from '../../workflows/types.js';
import type { PartnerCapabilities } from './capabilities.js';

export interface AudienceInfo {
  id: string;
  name: string;
}

export interface SendResult {
  synced: number;
  /** Users refused one by one inside an accepted request. */
  invalid: number;
}

/**
 * One partner, behind one interface. Every failure is thrown as the ApplicationFailure its
 * classifier chose (InvalidToken, RateLimited, AudienceGone, Rejected, Transient).
 */
export interface PartnerAdapter {
  id: PartnerId;
  capabilities: PartnerCapabilities;
  listAdAccounts(token: string): Promise<{ id: string; name: string }[]>;
  /** By id or by name; `null` when there is none. */
  findAudience(token: string, adAccountId: string, ref: AudienceRef): Promise<AudienceInfo | null>;
  createAudience(token: string, adAccountId: string, name: string): Promise<AudienceInfo>;
  sendUsers(token: string, target: SyncTarget & { audienceId: string }, rows: Row[]): Promise<SendResult>;
  exchangeCode(code: string, redirectUri: string): Promise<Credentials>;
  refresh(refreshToken: string): Promise<Credentials>;
}
