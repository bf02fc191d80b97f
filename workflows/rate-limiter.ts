/**
 * One partner rate-limit key (a connection, an ad account, or a partner's whole app): keeps the
 * book of the key's lanes (rate-lanes.ts), which the processes sending its requests lease, so
 * that no sliding second holds more requests than the partner allows, across every worker (the
 * server's own per-key limiter allows a one-second burst above it). Started on first use by the
 * process that needs lanes; ends after an idle spell.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { acquireSlotUpdate } from './messages.js';
import { emptyBook, leaseLanes, type LaneBook, type LaneGrant, type LaneRequest } from './rate-lanes.js';
import { emptyWindow, takeSlot, type RateWindow } from './rate-window.js';

/** A holder's lanes: given back, renewed, and more if it wants them (rate-lanes.ts). */
export const leaseLanesUpdate = defineUpdate<LaneGrant, [LaneRequest]>('leaseLanes');

export interface RateLimiterInput {
  key: string;
  /** Slots handed out before lanes (runs continued from then carry them; replay only). */
  carried?: RateWindow;
  lanes?: LaneBook;
  /** Updates per run before continue-as-new (tests lower it). */
  maxSlotsPerRun?: number;
}

/** No update for this long: every lease has long lapsed, the workflow ends. */
const IDLE = '10 minutes';
const MAX_SLOTS_PER_RUN = 2_000; // ~5 history events each

/**
 * A run continued from one that handed out slots: each recent slot's latest send occupies a lane
 * until the window those slots were spaced by (1,015 ms) has passed.
 */
function lanesAfter(w: RateWindow): LaneBook {
  const book = emptyBook();
  book.total = w.ends.length;
  book.cooling = w.ends.map((end) => end + 1_015).sort((a, b) => a - b);
  return book;
}

export async function rateLimiterWorkflow(input: RateLimiterInput): Promise<void> {
  const w: RateWindow = input.carried ?? emptyWindow();
  const book: LaneBook = input.lanes ?? lanesAfter(w);
  const maxSlots = input.maxSlotsPerRun ?? MAX_SLOTS_PER_RUN;
  let given = 0;
  setHandler(
    acquireSlotUpdate,
    (r) => {
      given++;
      return takeSlot(w, r);
    },
    {
      // Histories from before lanes still replay through the handler; a slot asked for now would
      // be counted apart from the lanes, so an old worker is refused (its activity is retried).
      validator: (_r) => {
        throw new Error('This rate limiter hands out lanes (leaseLanes): the asking worker is out of date.');
      },
    },
  );
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
    await continueAsNew<typeof rateLimiterWorkflow>({ ...input, carried: w, lanes: book });
  }
}
