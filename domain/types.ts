/** Domain types shared by the workflows, the activities and the API. Plain data only. */

/** A registered partner's id (partners/registry.ts says which exist: `linkedin`, `facebook`, …). */
export type PartnerId = string;

export const FIELDS = ['email', 'phone', 'firstName', 'lastName', 'gaid', 'idfa'] as const;
export type Field = (typeof FIELDS)[number];

export type Action = 'add' | 'remove';

/**
 * One user as it travels through Temporal: the step's field values, already normalised and
 * hashed by the API, in the step's field order (no per-user keys); `null` where the user has
 * no value for that field.
 */
export type Row = (string | null)[];

export type NotSyncedReason = 'missing_fields' | 'no_consent';
export type ErroredReason =
  | 'token_invalid'
  | 'audience_deleted'
  | 'audience_restricted'
  | 'rejected'
  | 'invalid_identifier'
  | 'retries_exhausted';

export type StepStatus = 'creating_audience' | 'active' | 'paused_invalid_token' | 'stopping' | 'stopped';
export type ConnectionStatus = 'connected' | 'invalid_token' | 'disconnected';

/** The audience a step syncs into: an existing one by id, or one found (or created) by name. */
export type AudienceRef = { id: string } | { name: string; create: boolean };

/** Who may be sent (docs/api.md): users failing it are Not Synced `no_consent`. Checked by the API at entry. */
export interface Consent {
  requireAdTracking?: boolean;
  optInAttribute?: string;
  excludeDoNotSell?: boolean;
}

export interface StepConfig {
  partner: PartnerId;
  adAccountId: string;
  audience: AudienceRef;
  action: Action;
  /** The identifier fields sent, in this order in every Row. */
  fields: Field[];
  lastStep: boolean;
  consent?: Consent;
}

/** Where a batch's rows go and how: the part of a step's config that a partner call needs. */
export interface SyncTarget {
  adAccountId: string;
  /** `null` until a partner that creates the audience with its first records (Pinterest) has done so. */
  audienceId: string | null;
  audienceName: string | null;
  action: Action;
  /** The order of the values in every Row. */
  fields: Field[];
}

export interface StepIds {
  workspaceId: string;
  canvasId: string;
  stepId: string;
}

export interface LastError {
  code: string;
  message: string;
  /** ISO-8601. */
  at: string;
}

export interface StepMetrics {
  entered: number;
  proceeded: number;
  exited: number;
  synced: number;
  notSynced: number;
  pending: number;
  errored: number;
}

/** What the metrics query answers: everything docs/api.md's Step shows except the config echo. */
export interface StepView {
  state: StepStatus;
  config: StepConfig | null;
  audience: { id: string | null; name: string | null };
  metrics: StepMetrics;
  reasons: {
    notSynced: Partial<Record<NotSyncedReason, number>>;
    errored: Partial<Record<ErroredReason, number>>;
  };
  lastError?: LastError;
  /** Batches sent and not yet settled. */
  outstandingBatches: number;
}
