/**
 * The sliding-window slots a partner rate-limit key handed out before lanes (rate-lanes.ts);
 * kept because the histories of limiters from then replay through it (pure; see rate-limiter.ts).
 *
 * It was exact for sends, not for what a partner counts (arrivals, which a starved machine
 * spreads past any margin): a caller sends within its allowed lateness of its slot (`allowedLateness`)
 * or not at all (then it asks again, allowing itself more). A slot comes `windowMs` after the
 * latest moment any slot `limit` grants back (or earlier) may still send. So among any
 * `limit + 1` sends, the last granted goes at least `windowMs` after the first granted: no
 * `windowMs` holds more than `limit` sends, however many workers ask and however late each is
 * allowed to be.
 *
 * Slots are also spread at least `windowMs / limit` apart rather than handed out in bursts: a
 * partner counts a request when it gets to it, and a burst reaches it as a queue, its last
 * request counted late while the next burst's first is not — a second that looks fuller to
 * the partner than it was. Backlogged, the rate is the same.
 */
export interface RateWindow {
  /** Latest send time (slot + lateness) of the most recent slots, oldest first; at most `limit`. */
  ends: number[];
  /** The latest send time of every slot older than those (0: none). */
  horizon: number;
  /** The most recent slot (0: none). */
  last: number;
}

export interface SlotRequest {
  /** The caller's clock (ms since epoch) when it asked. */
  now: number;
  limit: number;
  windowMs: number;
  /** How late after its slot this caller may still send (on top of a round trip's, below). */
  lateMs: number;
  /**
   * How long the caller expects the answer to take (activities/round-trips.ts). A slot for a
   * moment sooner than the answer can arrive is sent that much late: that lateness is allowed
   * and counted (absent in requests from before: 0).
   */
  roundTripMs?: number;
}

/** What a caller tells the limiter when it asks for a slot (its key's limit and window aside). */
export type SlotAsk = Pick<SlotRequest, 'now' | 'lateMs' | 'roundTripMs'>;

/**
 * How late after slot `at` the caller of `r` may send, as the limiter counts it: its own
 * allowance, plus however much of its round trip the slot does not cover (see takeSlot).
 */
export function allowedLateness(r: SlotAsk, at: number): number {
  return r.lateMs + Math.max(0, (r.roundTripMs ?? 0) - (at - r.now));
}

/** Requests a second from which a key's limit is taken not to bind (see takeSlot). */
const UNBINDING_LIMIT = 100;

export const emptyWindow = (): RateWindow => ({ ends: [], horizon: 0, last: 0 });

/**
 * The next slot at or after `now`, recorded in `w`. A caller's answer takes its round trip to
 * come back, so a slot is never sooner than that: only `lateMs` is counted, a backlog uses the
 * limit in full and sends keep their spacing. Except on a key whose limit cannot bind (a
 * hundred a second or more — no partner's real limit; limits lifted — and less than a tenth
 * of it used in the last window): it hands out the moment of asking and counts the round trip
 * as lateness, so a caller goes as its answer comes rather than waiting out the longest recent
 * round trip. (Done on every key, late sends among on-time ones reached a partner bunched:
 * one run in ~3 saw an 11th request in a second.)
 */
export function takeSlot(w: RateWindow, r: SlotRequest): number {
  const limit = Math.max(1, Math.floor(r.limit));
  // Keep exactly the last `limit` slots apart; anything older only matters through the horizon.
  while (w.ends.length > limit) w.horizon = Math.max(w.horizon, w.ends.shift()!);
  const limitBack = w.ends.length === limit ? Math.max(w.horizon, w.ends[0]!) : w.horizon;
  const busy = limit < UNBINDING_LIMIT || 10 * w.ends.filter((end) => end > r.now - r.windowMs).length >= limit;
  const earliest = r.now + (busy ? (r.roundTripMs ?? 0) : 0);
  const at = Math.max(earliest, limitBack + r.windowMs, (w.last ?? 0) + r.windowMs / limit);
  w.last = at;
  w.ends.push(at + allowedLateness(r, at));
  if (w.ends.length > limit) w.horizon = Math.max(w.horizon, w.ends.shift()!);
  return at;
}
