/**
 * One partner rate-limit key (a connection, an ad account, or a partner's whole app): keeps the
 * book of the key's lanes (domain/rate-lanes.ts), which the processes sending its requests
 * lease, so that no sliding second holds more requests than the partner allows, across every
 * worker (the server's own per-key limiter allows a one-second burst above it). Started on first
 * use by the process that needs lanes; ends after an idle spell.
 */
import { allHandlersFinished, condition, makeContinueAsNewFunc, setHandler, workflowInfo } from '@temporalio/workflow';
import { leaseLanesUpdate } from '../domain/messages.js';
import { emptyBook, leaseLanes, type LaneBook } from '../domain/rate-lanes.js';

export interface RateLimiterInput {
  key: string;
  lanes?: LaneBook;
  /** Updates per run before continue-as-new (tests lower it). */
  maxSlotsPerRun?: number;
}

/** No update for this long: every lease has long lapsed, the workflow ends. */
const IDLE = '10 minutes';
const MAX_SLOTS_PER_RUN = 2_000; // ~5 history events each

export async function rateLimiterWorkflow(input: RateLimiterInput): Promise<void> {
  const book: LaneBook = input.lanes ?? emptyBook();
  const maxSlots = input.maxSlotsPerRun ?? MAX_SLOTS_PER_RUN;
  let given = 0;
  setHandler(leaseLanesUpdate, (r) => {
    given++;
    return leaseLanes(book, r);
  });
  for (;;) {
    const before = given;
    const busy = await condition(() => given !== before || given >= maxSlots, IDLE);
    if (!busy || given >= maxSlots || workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  if (given >= maxSlots || workflowInfo().continueAsNewSuggested) {
    await makeContinueAsNewFunc<typeof rateLimiterWorkflow>(rateLimiterContinueAsNew)({ ...input, lanes: book });
  }
}

// ── Worker Versioning (docs/operations.md, "Changing workflow code") ──────────────────────────────────────────
// Kept apart from the workflow's code, its imports included.
import { setWorkflowOptions } from '@temporalio/workflow';
import { versioned, type VersioningBehavior } from './versioning.js';

/**
 * Pinned: each run keeps its book with one build's code. A pinned run's continue-as-new would
 * keep the build for the next run too — a busy limiter would never leave it — so the next run
 * starts on the current build instead (`initialVersioningBehavior`, experimental in SDK 1.24): its
 * input (`RateLimiterInput`, the carried book) must stay readable by the next build.
 */
export const rateLimiterWorkflowVersioning: VersioningBehavior = 'PINNED';
setWorkflowOptions(versioned(rateLimiterWorkflowVersioning), rateLimiterWorkflow);
/** The next run starts on the current build (see above). */
export const rateLimiterContinueAsNew = { initialVersioningBehavior: 'AUTO_UPGRADE' } as const;
