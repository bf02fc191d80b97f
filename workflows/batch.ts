/**
 * The users of one to four partner requests. Sends each request with retries until 13 hours
 * after the oldest of them entered, waits (without calling the partner) while the connection's
 * token is invalid, and reports the sum `{synced, errored}` to its step exactly once.
 */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PartnerActivities, SyncUsersResult } from '../domain/activities.js';
import { describeFailure, lastErrorAt } from './failure-info.js';
import { Fail, NON_RETRYABLE } from '../domain/failures.js';
import { partnerTaskQueue } from '../domain/ids.js';
import {
  batchSettledSignal,
  connectionChangedSignal,
  tokenInvalidSignal,
  type BatchSettlement,
  type ConnectionState,
} from '../domain/messages.js';
import { countRows, splitRows, type PackedRows } from '../domain/rows.js';
import type { ErroredReason, LastError, PartnerId, SyncTarget } from '../domain/types.js';

/** Less budget than this left after a give-up is not worth another round of attempts. */
const MIN_RETRY_MS = 1_000;

export interface BatchInput extends SyncTarget {
  batchId: string;
  stepWorkflowId: string;
  workspaceId: string;
  connectionId: string;
  /** The connection as the step last knew it. */
  connection: ConnectionState;
  partner: PartnerId;
  rows: PackedRows;
  /** Workflow time after which the users are Errored: 13 h after the oldest entered. */
  deadline: number;
  /** Rows per partner request. */
  usersPerRequest: number;
  /** What the partner counts these calls by (the server holds its rate per key). */
  fairnessKey: string;
}

export async function batchWorkflow(input: BatchInput): Promise<BatchSettlement> {
  let connection = input.connection;
  setHandler(connectionChangedSignal, (c) => {
    if (c.generation >= connection.generation) connection = c;
  });
  const outcome = await deliverAll(input, () => connection);
  try {
    await getExternalWorkflowHandle(input.stepWorkflowId).signal(batchSettledSignal, outcome);
  } catch {
    // The step is gone (terminated by an operator): nobody is left to count these users.
  }
  return outcome;
}

/**
 * Each request of the batch is delivered on its own (its own retries, pause and outcome), side
 * by side; the batch reports their sum. A list the partner creates with its first records
 * (Pinterest) is created by the first request alone, and the others add to it.
 */
async function deliverAll(input: BatchInput, connection: () => ConnectionState): Promise<BatchSettlement> {
  const users = countRows(input.rows);
  const size = input.usersPerRequest;
  if (users <= size) return deliver(input, connection);
  const outcomes: BatchSettlement[] = [];
  let audienceId = input.audienceId;
  let rest = input.rows;
  const parts: Promise<BatchSettlement>[] = [];
  // Each request has an id of its own (the batch's, numbered), as its partner call and logs see it.
  for (let n = 1; rest !== ''; n++) {
    const [rows, after] = splitRows(rest, size);
    rest = after;
    const part = deliver({ ...input, batchId: `${input.batchId}.${n}`, rows, audienceId }, connection);
    if (audienceId !== null) {
      parts.push(part);
      continue;
    }
    const outcome = await part;
    outcomes.push(outcome);
    audienceId ??= outcome.audienceId ?? null; // the list the first records made
  }
  outcomes.push(...(await Promise.all(parts)));
  return sumOf(input.batchId, outcomes);
}

function sumOf(batchId: string, outcomes: BatchSettlement[]): BatchSettlement {
  const total: BatchSettlement = { batchId, synced: 0, errored: {} };
  for (const o of outcomes) {
    total.synced += o.synced;
    for (const [reason, n] of Object.entries(o.errored) as [ErroredReason, number][]) {
      total.errored[reason] = (total.errored[reason] ?? 0) + n;
    }
    if (o.lastError) total.lastError = o.lastError;
    if (o.audienceId) total.audienceId ??= o.audienceId;
  }
  return total;
}

async function deliver(input: BatchInput, connection: () => ConnectionState): Promise<BatchSettlement> {
  const users = countRows(input.rows);
  const erroredAll = (reason: ErroredReason, lastError?: LastError): BatchSettlement => ({
    batchId: input.batchId,
    synced: 0,
    errored: { [reason]: users },
    ...(lastError ? { lastError } : {}),
  });
  /** Token generation the partner last rejected: nothing is sent again until a newer one arrives. */
  let rejectedGeneration = 0;
  let lastError: LastError | undefined;
  const usable = () => connection().status === 'connected' && connection().generation > rejectedGeneration;

  for (;;) {
    const budget = input.deadline - Date.now();
    if (!usable()) {
      // Paused: no partner call until the connection has a working token, or the budget ends.
      if (budget <= 0 || !(await condition(usable, budget))) return erroredAll('token_invalid', lastError);
      continue;
    }
    if (budget <= 0) return erroredAll('retries_exhausted', lastError);
    const generation = connection().generation;
    try {
      const result = await callPartner(input, generation, budget, () => connection().status !== 'connected');
      return settled(input.batchId, users, result);
    } catch (err) {
      if (isCancellation(err)) continue; // the connection went invalid mid-call: wait above
      const failure = describeFailure(err);
      lastError = lastErrorAt(failure.code, failure.message);
      switch (failure.code) {
        case Fail.TokenInvalid: {
          // The activity names the generation of the token it used: it may be newer than ours.
          const used = (failure.details?.[0] as { generation?: number } | undefined)?.generation ?? generation;
          rejectedGeneration = Math.max(rejectedGeneration, used);
          await getExternalWorkflowHandle(input.connectionId)
            .signal(tokenInvalidSignal, { generation: used, message: failure.message })
            .catch(() => undefined); // no connection workflow: we stay paused until the budget ends
          continue;
        }
        case Fail.AudienceDeleted:
          return erroredAll('audience_deleted', lastError);
        case Fail.AudienceRestricted:
          return erroredAll('audience_restricted', lastError);
        case Fail.Rejected:
          return erroredAll('rejected', lastError);
        default:
          if (!ranOutOfTime(err)) return erroredAll('rejected', lastError); // failed for good, for a reason we do not know
          // The server stops retrying when the next backoff would pass the deadline; try again until it really has.
          if (input.deadline - Date.now() < MIN_RETRY_MS) return erroredAll('retries_exhausted', lastError);
          continue;
      }
    }
  }
}

/** One activity call with retries bounded by the budget; cancelled at once if the connection goes invalid. */
async function callPartner(
  input: BatchInput,
  generation: number,
  budgetMs: number,
  invalid: () => boolean,
): Promise<SyncUsersResult> {
  const { syncUsers } = proxyActivities<PartnerActivities>({
    taskQueue: partnerTaskQueue(workflowInfo().taskQueue, input.partner),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: Math.max(budgetMs, 1_000), // retries end with the 13-hour budget
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
    // The server holds the partner's rate limit per this key (see src/temporal/rate-limits.ts).
    priority: { fairnessKey: input.fairnessKey },
  });
  const scope = new CancellationScope();
  let done = false;
  void condition(() => done || invalid()).then(() => {
    if (!done) scope.cancel();
  });
  try {
    return await scope.run(() =>
      syncUsers({
        workspaceId: input.workspaceId,
        partner: input.partner,
        connectionId: input.connectionId,
        generation,
        batchId: input.batchId,
        adAccountId: input.adAccountId,
        audienceId: input.audienceId,
        audienceName: input.audienceName,
        action: input.action,
        fields: input.fields,
        rows: input.rows,
      }),
    );
  } finally {
    done = true;
  }
}

/** Retries stopped because the budget (schedule-to-close) ran out, not because the failure is final. */
function ranOutOfTime(err: unknown): boolean {
  return err instanceof ActivityFailure && err.retryState === 'TIMEOUT';
}

function settled(batchId: string, users: number, result: SyncUsersResult): BatchSettlement {
  const invalid = Math.min(Math.max(0, result.invalid), users);
  const outcome: BatchSettlement = { batchId, synced: users - invalid, errored: {} };
  if (invalid > 0) outcome.errored.invalid_identifier = invalid;
  if (result.audienceId) outcome.audienceId = result.audienceId;
  return outcome;
}

// ── Worker Versioning (docs/operations.md, "Changing workflow code") ──────────────────────────────────────────
// Kept apart from the workflow's code, its imports included.
import { setWorkflowOptions } from '@temporalio/workflow';
import { versioned, type VersioningBehavior } from './versioning.js';

/**
 * Pinned: a batch (its retries last up to 13 h) runs to its end on the build it started on,
 * whatever build becomes current meanwhile, so a change to it needs no patched(); the old build's
 * workers stay up until its batches drain. Started by a Step, it starts on the current build.
 */
export const batchWorkflowVersioning: VersioningBehavior = 'PINNED';
setWorkflowOptions(versioned(batchWorkflowVersioning), batchWorkflow);
