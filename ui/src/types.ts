/**
 * The shapes the page reads from the HTTP API (../shared/API.md). Plain data, no DOM, so the
 * pure modules that use them can be unit-tested under Node.
 */

export type PartnerId = 'linkedin' | 'facebook' | 'pinterest' | 'tiktok';
export type ConnectionStatus = 'connected' | 'invalid_token' | 'disconnected';
export type StepState = 'creating_audience' | 'active' | 'paused_invalid_token' | 'stopping' | 'stopped';

export interface LastError {
  code: string;
  message: string;
  /** ISO-8601. */
  at: string;
}

export interface Connection {
  partner: PartnerId;
  status: ConnectionStatus;
  adAccounts: { id: string; name: string; selected: boolean }[];
  connectedAt: string;
  lastError?: LastError;
}

/** Identifies a step within the workspace. */
export interface StepRef {
  canvasId: string;
  stepId: string;
}

export interface StepSummary extends StepRef {
  partner: PartnerId;
  state: StepState;
}

export interface Metrics {
  entered: number;
  proceeded: number;
  exited: number;
  synced: number;
  notSynced: number;
  pending: number;
  errored: number;
}

export type NotSyncedReason = 'missing_fields' | 'no_consent';
export type ErroredReason =
  'token_invalid' | 'audience_deleted' | 'rejected' | 'invalid_identifier' | 'retries_exhausted';

export interface StepDetail extends StepSummary {
  adAccountId: string;
  audience: { id: string | null; name: string | null };
  action: 'add' | 'remove';
  fields: string[];
  lastStep: boolean;
  metrics: Metrics;
  reasons: {
    notSynced: Partial<Record<NotSyncedReason, number>>;
    errored: Partial<Record<ErroredReason, number>>;
  };
  warnings?: { code: string; message: string }[];
  lastError?: LastError;
}

export interface TimelineBucket {
  /** ISO-8601 start of the bucket. */
  at: string;
  entered: number;
  synced: number;
  notSynced: number;
  errored: number;
}

/** Sparse: only buckets where something happened, oldest first, within the last 48 hours. */
export interface TimelineView {
  bucketMinutes: number;
  /** The first bucket with data, or `to` when there is none. */
  from: string;
  /** The current bucket's start. */
  to: string;
  buckets: TimelineBucket[];
}
