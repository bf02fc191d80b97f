/**
 * The shapes the page reads from the HTTP API, taken from the zod schemas the API validates and
 * documents with (src/api/schemas.ts): the page cannot drift from the contract. Type-only
 * imports: nothing of zod reaches the bundle. Plain data, no DOM, so the pure modules that use
 * them are unit-tested under Node.
 */
import type { z } from 'zod';
import type { ConnectionBody, Step, StepList, Timeline } from '../../src/api/schemas.js';

export type Connection = z.output<typeof ConnectionBody>;
export type StepDetail = z.output<typeof Step>;
export type StepSummary = z.output<typeof StepList>['steps'][number];
export type TimelineView = z.output<typeof Timeline>;
export type TimelineBucket = TimelineView['buckets'][number];

export type PartnerId = StepDetail['partner'];
export type ConnectionStatus = Connection['status'];
export type StepState = StepDetail['state'];
export type LastError = NonNullable<StepDetail['lastError']>;
export type Metrics = StepDetail['metrics'];
export type NotSyncedReason = keyof StepDetail['reasons']['notSynced'];
export type ErroredReason = keyof StepDetail['reasons']['errored'];

/** Identifies a step within the workspace. */
export interface StepRef {
  canvasId: string;
  stepId: string;
}
