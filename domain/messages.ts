/** Every signal, query and update, typed once and shared by workflows, activities, API and tests. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConnectionStatus, ErroredReason, LastError, NotSyncedReason, StepConfig, StepView } from './types.js';
import type { LaneGrant, LaneRequest } from './rate-lanes.js';
import type { RateLimitScope } from './partner.js';
import type { PackedRows } from './rows.js';
import type { TimelineView } from './timeline.js';

// ── Step ────────────────────────────────────────────────────────────────────────────────────

export interface LaunchResult {
  created: boolean;
  audienceId: string | null;
  audienceName: string | null;
}
/** Launch or relaunch with a config: finds or creates the audience first; fails with the partner's reason. */
/** What the step needs of its partner before the launch activity answers (the API reads it from the registry). */
export interface LaunchContext {
  rateLimitScope: RateLimitScope;
}
export const launchUpdate = defineUpdate<LaunchResult, [StepConfig, LaunchContext]>('launch');

/** Users who entered the step, already classified and hashed by the API. */
export interface UsersEntry {
  /** Per step; a repeat counts nothing. */
  idempotencyKey: string;
  /** When the API received them (ms since epoch; informational: the 13-hour budget runs on Temporal's clock). */
  enteredAt: number;
  /** Users never to be sent, by reason. */
  notSynced: Partial<Record<NotSyncedReason, number>>;
  /** Users to send, values in the step's field order, packed (rows.ts). */
  rows: PackedRows;
}
export const usersEnteredSignal = defineSignal<[UsersEntry]>('usersEntered');

/** A Batch reports its outcome to its step: once per batch. */
export interface BatchSettlement {
  batchId: string;
  synced: number;
  errored: Partial<Record<ErroredReason, number>>;
  audienceId?: string;
  lastError?: LastError;
}
export const batchSettledSignal = defineSignal<[BatchSettlement]>('batchSettled');

export const stopSignal = defineSignal('stop');
export const stepQuery = defineQuery<StepView>('step');
/** Entered / synced / not synced / errored per 5-minute bucket, last 48 hours (timeline.ts). */
export const timelineQuery = defineQuery<TimelineView>('timeline');

// ── Connection (and its fan-out to steps and batches) ───────────────────────────────────────

export interface ConnectionState {
  status: ConnectionStatus;
  /** Bumped by every new token: a failure seen with an older token says nothing about the new one. */
  generation: number;
}
/** Connection → steps → their batches: the connection's status changed. */
export const connectionChangedSignal = defineSignal<[ConnectionState]>('connectionChanged');

export const registerStepSignal = defineSignal<[{ stepWorkflowId: string }]>('registerStep');

/** A partner rejected the token of `generation`. */
export const tokenInvalidSignal = defineSignal<[{ generation: number; message: string }]>('tokenInvalid');

export interface Credentials {
  accessToken: string;
  refreshToken?: string;
  /** ISO-8601. */
  expiresAt?: string;
}
export interface AdAccount {
  id: string;
  name: string;
}
/**
 * A new token (connect or reconnect): the connection becomes `connected` and paused steps
 * resume. With `adAccounts` (what the token sees), the list is replaced; the selection keeps
 * the ids still in it.
 */
export const setCredentialsSignal = defineSignal<[Credentials & { adAccounts?: AdAccount[] }]>('setCredentials');
export const disconnectSignal = defineSignal('disconnect');

export interface ConnectionView extends ConnectionState {
  steps: number;
  adAccounts: (AdAccount & { selected: boolean })[];
  /** ISO-8601: when the account was last connected (a token set by the user; renewals keep it). */
  connectedAt?: string;
  lastError?: LastError;
}
export const connectionQuery = defineQuery<ConnectionView>('connection');

/** Replaces the ad accounts steps may use; ids the connection does not see are refused (`unknown_ad_account`). */
export const selectAdAccountsUpdate = defineUpdate<ConnectionView, [{ adAccountIds: string[] }]>('selectAdAccounts');

/**
 * For activities only (a query result is never written to history): the token to call the partner
 * with, and the refresh token to renew it with.
 */
export type ConnectionCredentials = ConnectionState & { accessToken: string | null; refreshToken: string | null };
export const credentialsQuery = defineQuery<ConnectionCredentials>('credentials');

// ── Rate limiter ────────────────────────────────────────────────────────────────────────────

/** A holder's lanes on a partner rate-limit key: given back, renewed, and more if it wants them (rate-lanes.ts). */
export const leaseLanesUpdate = defineUpdate<LaneGrant, [LaneRequest]>('leaseLanes');
