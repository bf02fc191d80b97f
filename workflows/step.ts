/**
 * One Canvas Audience Sync step: takes in users, sends them to the partner every 5 seconds
 * through Batch children, follows its connection's status, and can always say where every user
 * is. Long-running: it continues-as-new before its history grows large, carrying its state.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { PartnerActivities } from '../domain/activities.js';
import type { RateLimitScope } from '../domain/partner.js';
import { batchWorkflow, type BatchInput } from './batch.js';
import { NON_RETRYABLE } from '../domain/failures.js';
import { batchWorkflowId, connectionWorkflowId, partnerTaskQueue, rateLimitKey } from '../domain/ids.js';
import {
  batchSettledSignal,
  connectionChangedSignal,
  launchUpdate,
  registerStepSignal,
  type LaunchContext,
  stepQuery,
  stopSignal,
  timelineQuery,
  usersEnteredSignal,
  type LaunchResult,
} from '../domain/messages.js';
import { launchProblems, relaunchProblem } from '../domain/launch-rules.js';
import { describeFailure, lastErrorAt } from './failure-info.js';
import { stepAttributes, upsertChanged } from './search-attributes.js';
import { MAX_CARRIED_BUFFER_BYTES, RETRY_BUDGET_MS, StepState, type StepData } from './state.js';
import type { StepConfig, StepIds, StepView } from '../domain/types.js';

export interface StepInput {
  ids: StepIds;
  /** State carried over from the previous run (continue-as-new). */
  carried?: StepData;
  /** A connection change the previous run had not yet passed on to its batches. */
  relayOnStart?: boolean;
  /** Batches a run starts before it continues as new (tests lower it to record a short chain). */
  maxChildrenPerRun?: number;
}

/** Continue-as-new well before Temporal's limits (51,200 events / 50 MB, 2,000 pending children). */
const MAX_EVENTS_PER_RUN = 4_000;
const MAX_HISTORY_BYTES_PER_RUN = 10 * 1024 * 1024;
const MAX_CHILDREN_PER_RUN = 1_000;
/** Hard stops well below Temporal's limits, for a run that must still send its buffer before it can carry it. */
const HARD_MAX_CHILDREN_PER_RUN = 1_900;
const HARD_MAX_EVENTS_PER_RUN = 40_000;
/**
 * Partner requests one Batch child may carry, each sent by its own activity, side by side: a
 * step starts one child per workflow task, so small requests (Pinterest's 1,900) travel several
 * to a child.
 */
const MAX_REQUESTS_PER_BATCH = 4;
/** How long a started step waits for its first launch before giving up (it is started by update-with-start). */
const LAUNCH_WAIT = '10 minutes';

export async function stepWorkflow(input: StepInput): Promise<StepView> {
  const s = StepState.restore(input.ids, input.carried);
  const self = workflowInfo().workflowId;
  let childrenThisRun = 0;
  const maxChildren = input.maxChildrenPerRun ?? MAX_CHILDREN_PER_RUN;
  /** A connection change not yet passed on to the outstanding batches. */
  let relayDue = input.relayOnStart ?? false;

  setHandler(launchUpdate, (config, context) => launch(s, config, context));
  setHandler(usersEnteredSignal, (entry) => {
    if (s.launched) s.enter(entry, Date.now());
  });
  setHandler(batchSettledSignal, (r) => {
    s.settle(r, Date.now());
  });
  setHandler(connectionChangedSignal, (c) => {
    if (s.setConnection(c) && s.outstandingCount() > 0) relayDue = true;
    publishState(s);
  });
  setHandler(stopSignal, () => {
    s.stop();
    publishState(s);
  });
  setHandler(stepQuery, () => s.view());
  setHandler(timelineQuery, () => s.timelineView(Date.now()));
  publishState(s); // a new step says it is creating its audience; a new run, whatever it was not carried

  if (!s.launched) {
    await condition(() => s.launched || s.refused, LAUNCH_WAIT);
    if (!s.launched) {
      await condition(allHandlersFinished);
      return s.view(); // refused (or never launched): no step is left running
    }
  }

  const historyFull = () => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength >= MAX_EVENTS_PER_RUN ||
      info.historySize >= MAX_HISTORY_BYTES_PER_RUN ||
      childrenThisRun >= maxChildren
    );
  };
  const atHardLimit = () =>
    childrenThisRun >= HARD_MAX_CHILDREN_PER_RUN || workflowInfo().historyLength >= HARD_MAX_EVENTS_PER_RUN;
  /** The buffer must fit in the next run's input; until it does, keep sending. */
  const carryable = () => s.bufferedBytes() <= MAX_CARRIED_BUFFER_BYTES;
  const mustContinueAsNew = () => (historyFull() && carryable()) || atHardLimit();

  while (!s.finishStopIfDone() && !mustContinueAsNew()) {
    // Idle: no timer, so an idle step adds nothing to its history.
    await condition(() => relayDue || s.canFlush() || s.drained() || mustContinueAsNew());
    if (relayDue) {
      relayDue = false;
      await relayConnection(s);
      continue;
    }
    if (!s.canFlush()) continue;
    // A window is open: wait for it to close, unless a full request (or a stop) is already waiting.
    if (!s.bufferFull() && !s.stopping && !historyFull()) {
      await condition(() => relayDue || s.bufferFull() || s.stopping, s.windowRemaining(Date.now()));
      if (relayDue) continue;
    }
    // Full requests leave at once; what is left of the window's users leaves when it closes.
    const windowClosed = s.windowRemaining(Date.now()) === 0;
    const due = () => windowClosed || s.stopping || s.bufferFull() || (historyFull() && !carryable());
    while (s.canFlush() && due() && !mustContinueAsNew()) {
      // One start per workflow task. Several in one task would go out together, but the
      // time-skipping test server then stops skipping time (its lock leaks), which the
      // 13-hour tests need; per step that caps starts at about one per task round trip, so a
      // backlog leaves several requests to a batch. While the window is open only whole
      // requests go; the window's last users leave when it closes.
      await sendBatch(s, self, !windowClosed && !s.stopping)?.done;
      childrenThisRun++;
    }
  }

  publishState(s); // stopped
  await condition(allHandlersFinished);
  if (s.stopped) return s.view();
  return continueAsNew<typeof stepWorkflow>({ ...input, carried: s.data, relayOnStart: relayDue });
}

/** Finds or creates the audience with the partner, then (re)configures the step. */
async function launch(s: StepState, config: StepConfig, context: LaunchContext): Promise<LaunchResult> {
  if (s.stopping || s.stopped) {
    throw ApplicationFailure.create({ type: 'step_stopped', message: 'The step is stopped.', nonRetryable: true });
  }
  const previous = s.data.config;
  const partnerChange = relaunchProblem(previous, config);
  if (partnerChange) {
    throw ApplicationFailure.create({ type: partnerChange.code, message: partnerChange.message, nonRetryable: true });
  }
  s.beginLaunch();
  const { workspaceId } = s.data.ids;
  const connectionId = connectionWorkflowId(workspaceId, config.partner);
  if (!previous) {
    try {
      await getExternalWorkflowHandle(connectionId).signal(registerStepSignal, {
        stepWorkflowId: workflowInfo().workflowId,
      });
    } catch {
      return refuse(s, 'not_connected', `There is no ${config.partner} connection for this workspace.`);
    }
    // The connection answers with its status; until then the step cannot know if its token works.
    if (!(await condition(() => s.data.connection.generation > 0, '30 seconds'))) {
      return refuse(s, 'not_connected', `The ${config.partner} connection did not answer.`);
    }
  }
  const [connectionProblem] = launchProblems(config, {
    partner: config.partner,
    connection: { status: s.data.connection.status },
  });
  if (connectionProblem) return refuse(s, connectionProblem.code, connectionProblem.message);
  const { ensureAudience } = proxyActivities<PartnerActivities>({
    taskQueue: partnerTaskQueue(workflowInfo().taskQueue, config.partner),
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '2 minutes', // the caller is waiting on this answer
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
    priority: { fairnessKey: fairnessKey(context.rateLimitScope, s, config) },
  });
  try {
    const found = await ensureAudience({
      workspaceId,
      partner: config.partner,
      connectionId,
      generation: s.data.connection.generation,
      adAccountId: config.adAccountId,
      audience: config.audience,
      action: config.action,
      fields: config.fields,
    });
    // Users who entered under the old config were hashed for its fields: they leave with it.
    while (previous && s.canFlush()) await sendBatch(s, workflowInfo().workflowId)?.done;
    s.completeLaunch(config, found.audienceId, found.audienceName, found.limits);
    publishState(s); // Partner, and active (or paused, if the connection has failed meanwhile)
    return { created: !previous, audienceId: found.audienceId, audienceName: found.audienceName };
  } catch (err) {
    const { code, message, details } = describeFailure(err);
    return refuse(s, code, message, details); // every reason the partner check found, as `{code, message}`
  }
}

/**
 * Keeps the step's search attributes current: WorkspaceId, CanvasId and StepId (set at start by
 * launchStep; written here only for a step started before they existed), Partner once launched,
 * and SyncState = the state its query answers. Called after every change of state; writes only
 * what changed (see upsertChanged, and its patch).
 */
function publishState(s: StepState): void {
  upsertChanged(stepAttributes(s.data.ids, s.data.config?.partner ?? null, s.status()));
}

function refuse(s: StepState, code: string, message: string, details?: unknown[]): never {
  s.failLaunch(lastErrorAt(code, message));
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, ...(details ? { details } : {}) });
}

/** The key the partner counts this step's calls by: the server holds its rate per key. */
function fairnessKey(scope: RateLimitScope, s: StepState, config: StepConfig): string {
  return rateLimitKey(scope, config.partner, s.data.ids.workspaceId, config.adAccountId);
}

/** Cuts a batch off the buffer (≤ MAX_REQUESTS_PER_BATCH requests, ≤ 512 KB) and starts its Batch child; `done` settles once the start has. */
function sendBatch(s: StepState, self: string, wholeOnly = false): { done: Promise<void> } | null {
  // The batch that makes a Pinterest list with its first records carries that one request: every
  // other batch waits for the list's id, which a batch reports once all its requests are done.
  const requests = s.awaitingList() ? 1 : MAX_REQUESTS_PER_BATCH;
  const cut = s.cutBatch(requests, wholeOnly);
  const config = s.data.config;
  const limits = s.data.limits;
  if (!cut || !config || !limits) return null;
  // Counted as outstanding before the start resolves, so Pending stays exact meanwhile.
  const batchId = s.sendBatch(cut.count, (seq) => batchWorkflowId(self, seq));
  const input: BatchInput = {
    batchId,
    stepWorkflowId: self,
    workspaceId: s.data.ids.workspaceId,
    connectionId: connectionWorkflowId(s.data.ids.workspaceId, config.partner),
    connection: s.data.connection,
    partner: config.partner,
    adAccountId: config.adAccountId,
    audienceId: s.data.audienceId,
    audienceName: s.data.audienceName,
    action: config.action,
    fields: config.fields,
    rows: cut.rows,
    deadline: cut.oldestReceivedAt + RETRY_BUDGET_MS,
    usersPerRequest: limits.maxUsersPerRequest,
    fairnessKey: fairnessKey(limits.rateLimitScope, s, config),
  };
  const done = startChild(batchWorkflow, {
    workflowId: batchId,
    args: [input],
    // Batches outlive the step's runs: the default (TERMINATE) would kill them at continue-as-new.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  }).then(
    () => undefined,
    (err: unknown) => {
      s.settle({ batchId, synced: 0, errored: { rejected: cut.count }, lastError: lastErrorOf(err) }, Date.now());
    },
  );
  return { done };
}

/** Passes the connection's new status to every outstanding batch, which pause or resume on it. */
async function relayConnection(s: StepState): Promise<void> {
  const state = s.data.connection;
  await Promise.all(
    s.outstandingIds().map(
      (id) =>
        getExternalWorkflowHandle(id)
          .signal(connectionChangedSignal, state)
          .catch(() => undefined), // a batch that has just finished needs no news
    ),
  );
}

function lastErrorOf(err: unknown) {
  const { code, message } = describeFailure(err);
  return lastErrorAt(code, message);
}

// ── Worker Versioning (docs/operations.md, "Changing workflow code") ──────────────────────────────────────────
// Kept apart from the workflow's code, its imports included.
import { setWorkflowOptions } from '@temporalio/workflow';
import { versioned, type VersioningBehavior } from './versioning.js';

/**
 * Auto-upgrade: a step lives as long as its journey. Its next workflow task, wherever the run is
 * (not only at continue-as-new), goes to the current build, so each build must replay the
 * histories of the builds before it: a change inside a run still goes behind patched(), and the
 * replay suite (test/workflows/replay.test.ts) checks it.
 */
export const stepWorkflowVersioning: VersioningBehavior = 'AUTO_UPGRADE';
setWorkflowOptions(versioned(stepWorkflowVersioning), stepWorkflow);
