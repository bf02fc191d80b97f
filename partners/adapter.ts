import type { Credentials } from '../domain/messages.js';
import type { AudienceRef, PartnerId, Row, SyncTarget } from '../domain/types.js';
import type { PartnerCapabilities } from '../domain/partner.js';
import type { LaunchProblem } from '../domain/launch-rules.js';

export interface AudienceInfo {
  id: string;
  name: string;
  /** A value-based audience (Facebook): syncing plain users into it is refused at launch. */
  valueBased?: boolean;
  /** Flagged by the partner and closed to edits (Meta's `operation_status` 471): refused at launch. */
  restricted?: boolean;
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
  /**
   * Partners whose audiences can only be created with their first records (Pinterest): creates
   * the audience named `target.audienceName` holding `rows`, or adds them to the audience of
   * that name if there is one already (a retried create whose answer was lost).
   */
  createAudienceWithUsers?(
    token: string,
    target: SyncTarget & { audienceName: string },
    rows: Row[],
  ): Promise<SendResult & { audience: AudienceInfo }>;
  /**
   * What the partner would refuse on this ad account before anything is created (Facebook:
   * Custom Audience terms not accepted, the audience limit reached when `creating`).
   */
  adAccountProblems?(token: string, adAccountId: string, creating: boolean): Promise<LaunchProblem[]>;
  /** The partner's consent page; it sends the browser back to `redirectUri` with a code and `state`. */
  authorizeUrl(state: string, redirectUri: string): string;
  exchangeCode(code: string, redirectUri: string): Promise<Credentials>;
  refresh(refreshToken: string): Promise<Credentials>;
}
