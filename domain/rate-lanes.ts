/**
 * The lanes of a partner rate-limit key (pure; the rate-limiter workflow keeps the book, see
 * workflows/rate-limiter.ts; activities/rate-gate.ts holds and uses lanes).
 *
 * Why it is exact: a key allowing `limit` requests in any sliding window has `limit` lanes. A
 * lane carries one request at a time, and its next request is not sent until `windowMs` after
 * the previous one's answer came back (or it failed). The partner counts a request after it is
 * sent and before it answers it, so the two are counted more than a window apart: no window
 * holds more than one request per lane, `limit` in all — however late the sender is, however
 * long the request takes to arrive, and however late the partner's own clock reads it.
 *
 * Lanes are held by processes ("holders"), which send on them as long as they have requests
 * for the key and give them back otherwise, each with the time it is free again; the book only
 * counts. A holder's lease is renewed by each of its updates; a lease that lapses (the holder
 * died or hung) frees its lanes a window after it ended, and a holder never sends on a lane
 * within LEASE_GUARD_MS of its lease's end. Lanes are fungible: the book knows how many each
 * holder has and when each free one is free.
 */

/** How long a holder's lanes stay its own after its latest update. */
export const LEASE_MS = 6_000;
/** A holder sends nothing in the last this-long of its lease (see rateGate's pool). */
export const LEASE_GUARD_MS = 2_000;
/**
 * Added to the time a lane is free when it passes to another holder: their clocks may differ
 * by this much (a lane that stays with its holder is timed by one clock).
 */
export const HANDOVER_MS = 10;

export interface LaneHolder {
  /** Lanes it holds, in use or waiting for their next request. */
  lanes: number;
  /** Lease end, on the holder's clock (ms since epoch). */
  until: number;
  /** Lanes it asked for and did not get (counts towards fair shares). */
  wants: number;
}

export interface LaneBook {
  /** Lanes in all: the key's limit. */
  total: number;
  /** When each free lane that is not free yet will be (ms since epoch), ascending. */
  cooling: number[];
  holders: Record<string, LaneHolder>;
}

export interface LaneRequest {
  /** The asking process's id for this key (one per process and key). */
  holder: string;
  /** The holder's clock when it asked. */
  now: number;
  limit: number;
  windowMs: number;
  /** Lanes it would use now on top of those it keeps. */
  want: number;
  /** Lanes it keeps (renewed). */
  held: number;
  /** Lanes it gives back: when each is free again (its last answer plus a window). */
  returned: number[];
}

export interface LaneGrant {
  /** When each new lane is free to send on (0: now). */
  granted: number[];
  /** Lanes the book counts as the holder's now (fewer than it thinks after its lease lapsed). */
  holding: number;
  /** Lease end, on the holder's clock. */
  until: number;
  /** Lanes to give back as soon as each is not in use: others wait for their share. */
  yield: number;
  /** It got fewer lanes than it wanted and than its share: more may come soon. */
  short: boolean;
}

export const emptyBook = (): LaneBook => ({ total: 0, cooling: [], holders: {} });

const heldIn = (book: LaneBook) => Object.values(book.holders).reduce((n, h) => n + h.lanes, 0);
const freeIn = (book: LaneBook) => book.total - heldIn(book);

function cool(book: LaneBook, freeAt: number): void {
  const i = book.cooling.findIndex((t) => t > freeAt);
  if (i < 0) book.cooling.push(freeAt);
  else book.cooling.splice(i, 0, freeAt);
}

/**
 * The key's limit as lanes. A new key's lanes are free now; lanes added to a key in use only
 * after a window (a limit lowered, then raised again, must not hand back a lane just used).
 * Lanes removed are free ones; held lanes above the limit go as they come back.
 */
function resize(book: LaneBook, limit: number, now: number, windowMs: number): void {
  const lanes = Math.max(1, Math.floor(limit));
  if (book.total === 0) book.total = lanes;
  for (; book.total < lanes; book.total++) cool(book, now + windowMs);
  for (; book.total > lanes && freeIn(book) > 0; book.total--) {
    if (freeIn(book) === book.cooling.length) book.cooling.pop();
  }
}

/** One holder's update: its lanes given back, its lease renewed, new lanes if there are any. */
export function leaseLanes(book: LaneBook, r: LaneRequest): LaneGrant {
  // Holders whose lease lapsed lose their lanes, free a window after its end.
  for (const [id, x] of Object.entries(book.holders)) {
    if (x.until >= r.now) continue;
    for (let i = 0; i < x.lanes; i++) cool(book, x.until + r.windowMs + HANDOVER_MS);
    delete book.holders[id];
  }
  const h = (book.holders[r.holder] ??= { lanes: 0, until: r.now, wants: 0 });
  // Lanes granted in an answer the holder never got (its side of the update failed): never
  // used, but when the lane before them is free is no longer known; a window from now is safe.
  for (let reported = r.held + r.returned.length; h.lanes > reported; h.lanes--) cool(book, r.now + r.windowMs);
  // Its returns (if its lease lapsed meanwhile, those lanes were freed already: `holding` says so).
  for (const freeAt of r.returned.slice(0, h.lanes)) {
    h.lanes--;
    cool(book, freeAt + HANDOVER_MS);
  }
  h.until = r.now + LEASE_MS;
  resize(book, r.limit, r.now, r.windowMs);
  // Lanes free by now are just free (kept a moment longer for clocks behind this one).
  while (book.cooling.length && book.cooling[0]! + HANDOVER_MS < r.now) book.cooling.shift();

  // When some holder has fewer lanes than it wants and than its share, each keeps to a share.
  const demanding = Object.entries(book.holders).filter(([id, x]) =>
    id === r.holder ? x.lanes > 0 || r.want > 0 : x.lanes > 0 || x.wants > 0,
  );
  const share = Math.floor(book.total / Math.max(1, demanding.length));
  const othersShort = demanding.some(([id, x]) => id !== r.holder && x.wants > 0 && x.lanes < Math.max(1, share));
  // (A limit below the number of holders: a lane at a time each, passed on at every renewal.)
  const cap = othersShort ? Math.max(share, h.lanes === 0 ? 1 : 0) : Infinity;
  const n = Math.max(0, Math.min(r.want, freeIn(book), cap - h.lanes));
  const granted: number[] = [];
  for (let i = 0; i < n; i++) {
    granted.push(freeIn(book) > book.cooling.length ? 0 : book.cooling.shift()!);
    h.lanes++;
  }
  h.wants = Math.max(0, r.want - n);
  const answer = {
    granted,
    holding: h.lanes,
    until: h.until,
    yield: othersShort ? Math.max(0, h.lanes - share) : 0,
    short: h.wants > 0 && h.lanes < Math.max(1, share),
  };
  if (h.lanes === 0 && h.wants === 0) delete book.holders[r.holder];
  return answer;
}
