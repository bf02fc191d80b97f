/**
 * The sliding-window slots a partner rate-limit key hands out (pure; see rate-limiter.ts).
 *
 * Why it is exact: a caller sends within `lateMs` of its slot or not at all (then it asks
 * again, allowing itself more lateness). A slot comes `windowMs` after the latest moment any
 * slot `limit` grants back (or earlier) may still send. So among any `limit + 1` sends, the
 * last granted goes at least `windowMs` after the first granted: no `windowMs` holds more
 * than `limit` sends, however many workers ask and however late each is allowed to be.
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
  /**
   * The earliest the caller can send, on its clock (ms since epoch): when it asked, plus the
   * round trip it expects for the answer (activities/round-trips.ts).
   */
  now: number;
  limit: number;
  windowMs: number;
  /** How late after its slot this caller may still send. */
  lateMs: number;
}

export const emptyWindow = (): RateWindow => ({ ends: [], horizon: 0, last: 0 });

/** The next slot at or after `now`, recorded in `w`. */
export function takeSlot(w: RateWindow, r: SlotRequest): number {
  const limit = Math.max(1, Math.floor(r.limit));
  // Keep exactly the last `limit` slots apart; anything older only matters through the horizon.
  while (w.ends.length > limit) w.horizon = Math.max(w.horizon, w.ends.shift()!);
  const limitBack = w.ends.length === limit ? Math.max(w.horizon, w.ends[0]!) : w.horizon;
  const at = Math.max(r.now, limitBack + r.windowMs, (w.last ?? 0) + r.windowMs / limit);
  w.last = at;
  w.ends.push(at + r.lateMs);
  if (w.ends.length > limit) w.horizon = Math.max(w.horizon, w.ends.shift()!);
  return at;
}
