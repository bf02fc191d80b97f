/**
 * One workspace (tenant): its name and the hash of its API key — Temporal is the only store, so
 * keys survive restarts and every API replica sees the same — and the OAuth `state` values
 * already used, so a consent link works once across replicas.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export interface WorkspaceView {
  id: string;
  name: string;
  /** SHA-256 hex of the workspace key (the key itself is never stored). */
  keyHash: string;
  /** ISO-8601. */
  createdAt: string;
}

export interface WorkspaceInput extends WorkspaceView {
  /** OAuth state nonce → when it expires (ms since epoch); carried across continue-as-new. */
  usedStates?: Record<string, number>;
}

export const workspaceQuery = defineQuery<WorkspaceView>('workspace');

/** Marks an OAuth state used; refused (`invalid_state`) if it was used before or has expired. */
export const consumeOAuthStateUpdate = defineUpdate<void, [{ nonce: string; expiresAt: number }]>('consumeOAuthState');

const MAX_EVENTS_PER_RUN = 2_000;

export async function workspaceWorkflow(input: WorkspaceInput): Promise<void> {
  const { usedStates: carried, ...view } = input;
  const used: Record<string, number> = { ...carried };

  setHandler(workspaceQuery, () => view);
  setHandler(
    consumeOAuthStateUpdate,
    ({ nonce, expiresAt }) => {
      const now = Date.now();
      // Expired states cannot be used anyway: forget them, so the set stays small.
      for (const [n, until] of Object.entries(used)) if (until < now) delete used[n];
      used[nonce] = expiresAt;
    },
    {
      validator: ({ nonce, expiresAt }: { nonce: string; expiresAt: number }) => {
        if (expiresAt < Date.now() || used[nonce] !== undefined) {
          throw ApplicationFailure.nonRetryable(
            'This authorization link was already used or has expired.',
            'invalid_state',
          );
        }
      },
    },
  );

  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_EVENTS_PER_RUN);
  await condition(allHandlersFinished);
  await continueAsNew<typeof workspaceWorkflow>({ ...view, usedStates: used });
}

// ── Worker Versioning (docs/operations.md, "Changing workflow code") ──────────────────────────────────────────
// Kept apart from the workflow's code, its imports included.
import { setWorkflowOptions } from '@temporalio/workflow';
import { versioned, type VersioningBehavior } from './versioning.js';

/** Auto-upgrade, like the Connection: an entity that lives as long as its workspace. */
export const workspaceWorkflowVersioning: VersioningBehavior = 'AUTO_UPGRADE';
setWorkflowOptions(versioned(workspaceWorkflowVersioning), workspaceWorkflow);
