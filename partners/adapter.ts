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

/** What the partner says of a token, read-only (the connection check). */
export interface TokenInfo {
  valid: boolean;
  /** The scopes it carries; `null` where the partner gives no way to read them. */
  scopes: string[] | null;
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
  /**
   * The scopes a token must carry to sync, as the product asks them at consent: each entry the
   * scopes any one of which will do (LinkedIn's `r_ads` or `rw_ads`).
   */
  requiredScopes?: readonly (readonly string[])[];
  /** Read-only (the connection check): whether the token is valid and which scopes it carries. */
  tokenInfo?(token: string): Promise<TokenInfo>;
  /**
   * Read-only (the connection check): one cheap call at the API version in force; false when
   * the partner refuses that version (sunset or unknown), any other failure thrown as classified.
   */
  apiVersionAccepted?(token: string): Promise<boolean>;
  /** The partner's consent page; it sends the browser back to `redirectUri` with a code and `state`. */
  authorizeUrl(state: string, redirectUri: string): string;
  exchangeCode(code: string, redirectUri: string): Promise<Credentials>;
  refresh(refreshToken: string): Promise<Credentials>;
}
