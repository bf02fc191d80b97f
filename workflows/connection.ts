/**
 * One partner account connected to one workspace: its token, its status and the steps that use
 * it. When the partner rejects the token every registered step hears `invalid_token` and
 * pauses; a new token (reconnect) bumps the generation and resumes them all.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
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
} from './messages.js';
import type { PartnerActivities } from '../activities/types.js';
import { lastErrorAt } from './failure-info.js';
import { NON_RETRYABLE } from './failures.js';
import { partnerTaskQueue } from './ids.js';
import type { ConnectionStatus, LastError, PartnerId } from './types.js';

export interface ConnectionData {
  status: ConnectionStatus;
  /** Starts at 1 and is bumped by every new token or disconnect. */
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
  return Math.max(now, Math.min(now + 0.8 * (expires - now), expires - REFRESH_MARGIN_MS));
}

export async function connectionWorkflow(input: ConnectionInput): Promise<void> {
  const s: ConnectionData = input.carried ?? {
    status: input.credentials ? 'connected' : 'disconnected',
    generation: 1,
    credentials: input.credentials ?? null,
    steps: [],
    toNotify: [],
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

  setHandler(registerStepSignal, ({ stepWorkflowId }) => {
    if (!s.steps.includes(stepWorkflowId)) s.steps.push(stepWorkflowId);
    notify([stepWorkflowId]);
  });
  setHandler(tokenInvalidSignal, ({ generation, message }) => {
    // A rejection of an older token says nothing about the current one.
    if (generation !== s.generation || s.status !== 'connected') return;
    changeTo('invalid_token', lastErrorAt('token_invalid', message));
  });
  setHandler(setCredentialsSignal, ({ adAccounts, ...credentials }) => {
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

  /** Renews the token ahead of its expiry; a partner refusing it makes the connection invalid, pausing its steps. */
  async function refresh(): Promise<void> {
    const generation = s.generation;
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
    try {
      const fresh = await refreshCredentials({
        workspaceId: input.workspaceId,
        partner: input.partner,
        connectionId: workflowInfo().workflowId,
        generation,
      });
      if (s.generation !== generation) return; // replaced meanwhile: the newer token stands
      s.credentials = fresh;
      s.generation++; // a failure seen with the old token is never blamed on the new one
      s.refreshAt = refreshTime(fresh, Date.now());
      changeTo('connected');
    } catch {
      if (s.generation !== generation || s.status !== 'connected') return;
      s.refreshAt = undefined;
      changeTo(
        'invalid_token',
        lastErrorAt('token_invalid', `${input.partner} refused to renew the token; reconnect.`),
      );
    }
  }
  const refreshDue = () => s.status === 'connected' && s.refreshAt !== undefined;

  const mustContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_EVENTS_PER_RUN;

  while (!mustContinueAsNew()) {
    const generation = s.generation;
    const wake = () => s.toNotify.length > 0 || mustContinueAsNew() || s.generation !== generation;
    // A timer only while a renewal is pending: an idle connection without one adds no events.
    if (refreshDue() && !(await condition(wake, Math.max(1, s.refreshAt! - Date.now())))) {
      if (refreshDue()) await refresh();
      continue;
    }
    await condition(wake);
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
  await condition(allHandlersFinished);
  return continueAsNew<typeof connectionWorkflow>({ ...input, credentials: undefined, carried: s });
}
