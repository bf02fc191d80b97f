/**
 * One partner account connected to one workspace: its token, its ad accounts, its status and the
 * steps that use it. When the partner rejects the token every registered step hears
 * `invalid_token` and pauses; a new token (reconnect) bumps the generation and resumes them all.
 * A token with a refresh token and an expiry is renewed ahead of the expiry; a renewal that
 * fails is treated as a rejected token.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  connectionChangedSignal,
  connectionQuery,
  credentialsQuery,
  disconnectSignal,
  registerStepSignal,
  selectAdAccountsUpdate,
  setCredentialsSignal,
  tokenInvalidSignal,
  type AdAccount,
  type ConnectionState,
  type ConnectionView,
  type Credentials,
} from '../domain/messages.js';
import type { PartnerActivities } from '../domain/activities.js';
import { describeFailure, lastErrorAt } from './failure-info.js';
import { NON_RETRYABLE } from '../domain/failures.js';
import { partnerTaskQueue } from '../domain/ids.js';
import { connectionAttributes, upsertChanged } from './search-attributes.js';
import type { ConnectionStatus, LastError, PartnerId } from '../domain/types.js';

export interface ConnectionData {
  status: ConnectionStatus;
  /** Starts at 1 and is bumped by every new token (set or renewed) or disconnect. */
  generation: number;
  credentials: Credentials | null;
  /** Workflow ids of the steps using this connection. */
  steps: string[];
  /** Steps that must still hear the current state (sent by the main loop; carried if a run ends first). */
  toNotify: string[];
  lastError?: LastError;
  /** What the token sees (absent in runs recorded before ad accounts were kept). */
  adAccounts?: AdAccount[];
  /** Ids of `adAccounts` steps may use. */
  selected?: string[];
  /** ISO-8601: when the account was last connected (a token set by the user; renewals keep it). */
  connectedAt?: string;
  /** When to renew the token (ms since epoch): set for a token with an expiry and a refresh token. */
  refreshAt?: number;
}

export interface ConnectionInput {
  workspaceId: string;
  partner: PartnerId;
  credentials?: Credentials;
  carried?: ConnectionData;
}

const MAX_EVENTS_PER_RUN = 4_000;
/** Renew at 80 % of a token's remaining life, and at least this long before it expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** When to renew `c` (set at `now`), or undefined when it cannot or need not be renewed. */
export function refreshTime(c: Credentials | null, now: number): number | undefined {
  if (!c?.refreshToken || !c.expiresAt) return undefined;
  const expires = Date.parse(c.expiresAt);
  if (Number.isNaN(expires)) return undefined;
  return Math.ceil(Math.max(now, Math.min(now + 0.8 * (expires - now), expires - REFRESH_MARGIN_MS)));
}

export async function connectionWorkflow(input: ConnectionInput): Promise<void> {
  // WorkspaceId and Partner, for the Web UI and list filters. Its starters (the API's
  // signal-with-start, the tests) set none, so it does (a later run, only what it was not carried).
  upsertChanged(connectionAttributes(input.workspaceId, input.partner));
  const s: ConnectionData = input.carried ?? {
    status: input.credentials ? 'connected' : 'disconnected',
    generation: 1,
    credentials: input.credentials ?? null,
    steps: [],
    toNotify: [],
    ...(input.credentials ? { connectedAt: new Date().toISOString() } : {}),
    refreshAt: refreshTime(input.credentials ?? null, Date.now()),
  };
  const notify = (ids: string[]) => {
    s.toNotify = [...new Set([...s.toNotify, ...ids])];
  };
  const state = (): ConnectionState => ({ status: s.status, generation: s.generation });
  const changeTo = (status: ConnectionStatus, lastError?: LastError) => {
    s.status = status;
    if (lastError) s.lastError = lastError;
    notify(s.steps);
  };
  /** The current token does not work: every step pauses until a new one is set. */
  const rejectToken = (message: string) => changeTo('invalid_token', lastErrorAt('token_invalid', message));
  /** The renewal call in flight, if any: a new token or a disconnect makes it pointless. */
  let renewal: CancellationScope | undefined;

  setHandler(registerStepSignal, ({ stepWorkflowId }) => {
    if (!s.steps.includes(stepWorkflowId)) s.steps.push(stepWorkflowId);
    notify([stepWorkflowId]);
  });
  setHandler(tokenInvalidSignal, ({ generation, message }) => {
    if (s.status !== 'connected') return;
    if (generation === s.generation) return rejectToken(message);
    // A rejection of an older token says nothing about the current one. But renewals tell no
    // step, so the batch that sent it may not know the current token exists: tell them all.
    if (generation < s.generation) notify(s.steps);
  });
  setHandler(setCredentialsSignal, ({ adAccounts, ...credentials }) => {
    renewal?.cancel(); // this token supersedes whatever the renewal would bring
    s.credentials = credentials;
    s.generation++;
    s.refreshAt = refreshTime(credentials, Date.now());
    s.connectedAt = new Date().toISOString();
    if (adAccounts) {
      s.adAccounts = adAccounts;
      s.selected = (s.selected ?? []).filter((id) => adAccounts.some((a) => a.id === id));
    }
    changeTo('connected');
  });
  setHandler(
    selectAdAccountsUpdate,
    ({ adAccountIds }) => {
      s.selected = [...new Set(adAccountIds)];
      return view();
    },
    {
      validator: ({ adAccountIds }: { adAccountIds: string[] }) => {
        const unknown = adAccountIds.filter((id) => !(s.adAccounts ?? []).some((a) => a.id === id));
        if (unknown.length) {
          throw ApplicationFailure.create({
            type: 'unknown_ad_account',
            message: `Not an ad account of this connection: ${unknown.join(', ')}.`,
            nonRetryable: true,
            details: [{ unknown }],
          });
        }
      },
    },
  );
  setHandler(disconnectSignal, () => {
    renewal?.cancel();
    s.credentials = null;
    s.refreshAt = undefined;
    s.generation++;
    changeTo('disconnected');
  });
  const view = (): ConnectionView => ({
    ...state(),
    steps: s.steps.length,
    adAccounts: (s.adAccounts ?? []).map((a) => ({ ...a, selected: (s.selected ?? []).includes(a.id) })),
    ...(s.connectedAt ? { connectedAt: s.connectedAt } : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
  });
  setHandler(connectionQuery, view);
  setHandler(credentialsQuery, () => ({
    ...state(),
    accessToken: s.credentials?.accessToken ?? null,
    refreshToken: s.credentials?.refreshToken ?? null,
  }));

  const mustContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_EVENTS_PER_RUN;

  /** Tells the steps every change of status, one batch of signals at a time. */
  async function fanOut(): Promise<void> {
    while (!mustContinueAsNew()) {
      await condition(() => s.toNotify.length > 0 || mustContinueAsNew());
      const batch = s.toNotify;
      s.toNotify = [];
      const current = state();
      const gone = new Set<string>();
      await Promise.all(
        batch.map(
          (id) =>
            getExternalWorkflowHandle(id)
              .signal(connectionChangedSignal, current)
              .catch(() => gone.add(id)), // the step has ended: stop telling it
        ),
      );
      if (gone.size > 0) s.steps = s.steps.filter((id) => !gone.has(id));
    }
  }

  /**
   * Renews the token when due, beside the fan-out (a renewal retrying for minutes must not hold
   * up a disconnect or a registration). Sleeps only while a renewal is scheduled: a connection
   * without one adds no events. Returns with the run, never in the middle of a renewal (the
   * partner may already have replaced the refresh token the next run would use).
   */
  async function renewTokens(): Promise<void> {
    const due = () => s.status === 'connected' && s.refreshAt !== undefined;
    while (!mustContinueAsNew()) {
      await condition(() => due() || mustContinueAsNew());
      if (mustContinueAsNew()) return;
      const generation = s.generation;
      const wait = s.refreshAt! - Date.now();
      // A new token, a disconnect or a rejection ends the wait: the schedule is worked out again.
      const changed = () => s.generation !== generation || !due() || mustContinueAsNew();
      if (wait > 0 && (await condition(changed, wait))) continue;
      await renew(generation);
    }
  }

  async function renew(generation: number): Promise<void> {
    const { refreshCredentials } = proxyActivities<PartnerActivities>({
      taskQueue: partnerTaskQueue(workflowInfo().taskQueue, input.partner),
      startToCloseTimeout: '30 seconds',
      retry: {
        initialInterval: '1 second',
        maximumInterval: '1 minute',
        maximumAttempts: 10,
        nonRetryableErrorTypes: NON_RETRYABLE,
      },
    });
    renewal = new CancellationScope();
    try {
      const fresh = await renewal.run(() =>
        refreshCredentials({
          workspaceId: input.workspaceId,
          partner: input.partner,
          connectionId: workflowInfo().workflowId,
          generation,
        }),
      );
      if (s.generation !== generation) return; // replaced meanwhile: the newer token stands
      s.credentials = fresh;
      s.generation++; // a failure seen with the old token is never blamed on the new one
      s.refreshAt = refreshTime(fresh, Date.now());
      // The steps hear of it only if it changes their status (a rejection came in meanwhile).
      if (s.status !== 'connected') changeTo('connected');
    } catch (err) {
      if (s.generation !== generation) return; // a new token or a disconnect cancelled it
      if (isCancellation(err)) throw err; // the workflow itself is being cancelled
      s.refreshAt = undefined; // until a new token comes
      // The failure's type only: a partner's message is not shown, in case it echoes a token.
      const why = describeFailure(err).code;
      if (s.status === 'connected') rejectToken(`The ${input.partner} token could not be renewed (${why}); reconnect.`);
    } finally {
      renewal = undefined;
    }
  }

  await Promise.all([fanOut(), renewTokens()]);
  await condition(allHandlersFinished);
  return continueAsNew<typeof connectionWorkflow>({ ...input, credentials: undefined, carried: s });
}

// ── Worker Versioning (docs/operations.md, "Changing workflow code") ──────────────────────────────────────────
// Kept apart from the workflow's code, its imports included.
import { setWorkflowOptions } from '@temporalio/workflow';
import { versioned, type VersioningBehavior } from './versioning.js';

/**
 * Auto-upgrade: a connection lives as long as its workspace's partner link; like the Step, it
 * moves to the current build at its next workflow task, so a change inside a run goes behind
 * patched().
 */
export const connectionWorkflowVersioning: VersioningBehavior = 'AUTO_UPGRADE';
setWorkflowOptions(versioned(connectionWorkflowVersioning), connectionWorkflow);
