/**
 * Every partner request waits for a slot of the rate-limit key it counts against (see
 * workflows/rate-limiter.ts): the server's per-key limit smooths the flow of activities, and
 * this gate makes the partner's limit exact in every sliding second, across all workers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { rateLimiterWorkflowId } from '../domain/ids.js';
import { acquireSlotUpdate } from '../domain/messages.js';
import type { rateLimiterWorkflow } from '../workflows/rate-limiter.js';
import { allowedLateness, type SlotAsk } from '../domain/rate-window.js';
import { InFlightCap } from './in-flight-cap.js';
import { RoundTrips } from './round-trips.js';

export type RateGate = () => Promise<void>;

/** The partner's limit counts requests in any sliding window of this length. */
export const WINDOW_MS = 1_000;
/**
 * A request goes within this long of its slot (plus the part of its answer's round trip the
 * slot does not cover: see allowedLateness) or not at all: the slack timers add (on a loaded
 * 2-core machine: p50 1 ms, p99 ~35 ms). A caller that missed its slot asks again allowing
 * itself twice the lateness (up to MAX_LATE_MS), so a loaded machine slows down but never stalls.
 */
export const LATE_MS = 25;
/**
 * The partner counts a request when it arrives, and arrivals spread more than sends do (a busy
 * event loop on either side): slots are spaced as if the window were this much longer. With
 * LATE_MS the limit is used to WINDOW_MS / (WINDOW_MS + LATE_MS + TRANSIT_MARGIN_MS), 96 %.
 * (With lateness alone, one request in ~100 reached a sandbox partner as the 11th in a second.)
 */
export const TRANSIT_MARGIN_MS = 15;
const MAX_LATE_MS = 1_000;
/**
 * Slot asks one process keeps in flight to one limiter (the server admits 10 updates in flight
 * per workflow and refuses more, see InFlightCap): two worker processes stay within it. An ask
 * is answered at once with a time to send at, so 5 in flight serve 50 asks a second at a
 * 100 ms round trip.
 */
export const MAX_ASKS_IN_FLIGHT = 5;

/** What this process knows of each limiter, shared by every gate that asks it (the latest MAX_LIMITERS). */
interface LimiterSide {
  trips: RoundTrips;
  asks: InFlightCap;
}
const limiters = new Map<string, LimiterSide>();
const MAX_LIMITERS = 1_000;

const current = new AsyncLocalStorage<{ gate: RateGate; signal?: AbortSignal }>();

/**
 * Runs `fn` with every partner request made inside it passing `gate` first; `signal` (the
 * activity's cancellation) aborts a wait for a slot and a request in flight, so a cancelled
 * activity — at worker shutdown, say — ends at once.
 */
export function withRateGate<T>(gate: RateGate, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return current.run({ gate, signal }, fn);
}

/** Called by the HTTP layer right before each partner request. */
export async function beforePartnerRequest(): Promise<void> {
  const store = current.getStore();
  store?.signal?.throwIfAborted();
  await store?.gate();
}

/** The cancellation signal partner requests made now should honour. */
export const partnerRequestSignal = (): AbortSignal | undefined => current.getStore()?.signal;

/** A gate whose slots come from the key's rate-limiter workflow (started on first use). */
export function temporalRateGate(
  client: Client,
  workflowTaskQueue: string,
  key: string,
  limit: number,
  signal?: AbortSignal,
): RateGate {
  const ask = <T>(fn: () => Promise<T>) => (signal ? client.withAbortSignal(signal, fn) : fn());
  const limiterId = rateLimiterWorkflowId(workflowTaskQueue, key);
  let side = limiters.get(limiterId);
  if (!side) {
    limiters.set(limiterId, (side = { trips: new RoundTrips(), asks: new InFlightCap(MAX_ASKS_IN_FLIGHT) }));
    if (limiters.size > MAX_LIMITERS) limiters.delete(limiters.keys().next().value!);
  }
  return slotGate(
    (request) =>
      ask(() =>
        client.workflow.executeUpdateWithStart(acquireSlotUpdate, {
          args: [{ ...request, limit, windowMs: WINDOW_MS + TRANSIT_MARGIN_MS }],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof rateLimiterWorkflow>('rateLimiterWorkflow', {
            workflowId: limiterId,
            taskQueue: workflowTaskQueue,
            args: [{ key }],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        }),
      ),
    signal,
    side.trips,
    side.asks,
  );
}

/**
 * Waits for a slot from `takeSlot` (the time to send at) and goes only if within the lateness
 * the limiter counted for it; otherwise asks again, allowing itself more.
 */
export function slotGate(
  takeSlot: (ask: SlotAsk) => Promise<number>,
  signal?: AbortSignal,
  trips = new RoundTrips(),
  asks = new InFlightCap(MAX_ASKS_IN_FLIGHT),
): RateGate {
  return async () => {
    for (let lateMs = LATE_MS; ; lateMs = Math.min(2 * lateMs, MAX_LATE_MS)) {
      // Asked (and timed) once its turn comes: a turn waited for is not the limiter's round trip.
      const { ask, at } = await asks.run(async () => {
        const ask: SlotAsk = { now: Date.now(), lateMs, roundTripMs: trips.expected() };
        const at = await takeSlot(ask);
        trips.add(Date.now() - ask.now);
        return { ask, at };
      }, signal);
      const wait = at - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal });
      if (Date.now() - at <= allowedLateness(ask, at)) return;
      // Too late (a busy event loop or a slow round trip): that slot is spent; sending now could crowd the next.
    }
  };
}
