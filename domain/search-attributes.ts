/**
 * The search attributes operators filter steps and connections by (Web UI, `temporal workflow
 * list`, `client.workflow.list`), defined once for the workflows, the client code that starts
 * them, the servers that must register them and the tests. All Keyword: exact matches only.
 *
 *   WorkspaceId = "ws-1" AND Partner = "tiktok" AND SyncState = "paused_invalid_token"
 *
 * A server refuses a workflow carrying an attribute it has not registered, so every server the
 * project starts registers `SEARCH_ATTRIBUTE_KEYS` (src/temporal/devserver.ts for `npm start`
 * and the tests' dev server, test/helpers/temporal.ts for the time-skipping server).
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { PartnerId, StepIds, StepStatus } from './types.js';

/** The workspace (tenant) a step or connection belongs to. Steps and connections. */
export const WorkspaceIdKey = defineSearchAttributeKey('WorkspaceId', SearchAttributeType.KEYWORD);
/** The Canvas (journey) of a step. Steps. */
export const CanvasIdKey = defineSearchAttributeKey('CanvasId', SearchAttributeType.KEYWORD);
/** The step's id within its Canvas. Steps. */
export const StepIdKey = defineSearchAttributeKey('StepId', SearchAttributeType.KEYWORD);
/** `linkedin` | `facebook` | `pinterest` | `tiktok`. Connections from their start; steps once launched. */
export const PartnerKey = defineSearchAttributeKey('Partner', SearchAttributeType.KEYWORD);
/** The step's state as its query answers it (a StepStatus). Steps. */
export const SyncStateKey = defineSearchAttributeKey('SyncState', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [WorkspaceIdKey, CanvasIdKey, StepIdKey, PartnerKey, SyncStateKey] as const;

/** What a step is started with (launchStep's update-with-start): who it is. */
export function stepStartAttributes(ids: StepIds): SearchAttributePair[] {
  return [
    { key: WorkspaceIdKey, value: ids.workspaceId },
    { key: CanvasIdKey, value: ids.canvasId },
    { key: StepIdKey, value: ids.stepId },
  ];
}

/** Everything a step carries: who it is, its partner once launched, and its state. */
export function stepAttributes(ids: StepIds, partner: PartnerId | null, state: StepStatus): SearchAttributePair[] {
  return [
    ...stepStartAttributes(ids),
    ...(partner ? [{ key: PartnerKey, value: partner }] : []),
    { key: SyncStateKey, value: state },
  ];
}

export function connectionAttributes(workspaceId: string, partner: PartnerId): SearchAttributePair[] {
  return [
    { key: WorkspaceIdKey, value: workspaceId },
    { key: PartnerKey, value: partner },
  ];
}
