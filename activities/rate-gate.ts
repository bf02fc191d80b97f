/**
 * Every partner request goes out on a lane of the rate-limit key it counts against (see
 * domain/rate-lanes.ts): the one entry is `beforePartnerRequest`, which the HTTP layer calls
 * before each request and which refuses a request made outside a gate. The server's per-key
 * limit smooths the flow of activities; lanes make the partner's limit exact in every sliding
 * second, across all workers.
 *
 * A process keeps one pool of lanes per key (LanePool), shared by every gate that sends on that
 * key: its requests reuse the pool's lanes without asking anyone, and the pool updates the
 * rate-limiter workflow only to get lanes, give them back or renew its lease — one update in
 * flight at a time, so the server's 10 updates in flight per workflow are never reached.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { rateLimiterWorkflowId } from '../domain/ids.js';
import { leaseLanesUpdate } from '../domain/messages.js';
import type { rateLimiterWorkflow } from '../workflows/rate-limiter.js';
import { LEASE_GUARD_MS, emptyBook, leaseLanes, type LaneGrant, type LaneRequest } from '../domain/rate-lanes.js';
import { RoundTrips } from './round-trips.js';

/** The partner's limit counts requests in any sliding window of this length. */
export const WINDOW_MS = 1_000;
/** A pool holding lanes renews its lease this often (and asks again for lanes it was refused). */
export const RENEW_MS = 1_000;
/** A pool short of its share asks again this soon for lanes it was refused. */
export const RETRY_MS = 250;
/**
 * A lane no request here waits for goes back when it is about to be free (no one could send on
 * it sooner), and at least this long after (with the next update, if one goes sooner): so a
 * process whose requests come every second or so keeps its lanes, and a request that follows its
 * predecessor's answer — a launch's next call — asks once, carrying the return.
 */
export const LINGER_MS = 50;

/** A lane taken for one request: `done()` once its answer came (or it failed). */
export interface Lane {
  done(): void;
}

/** Resolves with a lane to send one request on (`signal` aborts the wait). */
export type RateGate = (signal?: AbortSignal) => Promise<Lane>;

const current = new AsyncLocalStorage<{ gate: RateGate | null; signal?: AbortSignal }>();

/**
 * Runs `fn` with every partner request made inside it passing `gate` first; `signal` (the
 * activity's cancellation) aborts a wait for a lane and a request in flight, so a cancelled
 * activity — at worker shutdown, say — ends at once.
 */
export function withRateGate<T>(gate: RateGate, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return current.run({ gate, signal }, fn);
}

/**
 * Runs `fn`, whose partner requests are not counted against the partner's API limit: OAuth
 * token endpoints (code exchange, refresh), which the partners limit apart, if at all.
 */
export function withoutRateGate<T>(fn: () => Promise<T>): Promise<T> {
  return current.run({ gate: null }, fn);
}

const NO_LANE: Lane = { done() {} };

/**
 * Called by the HTTP layer right before each partner request: the lane to send it on. A
 * request outside withRateGate / withoutRateGate is a bug (it would go uncounted): refused.
 */
export async function beforePartnerRequest(): Promise<Lane> {
  const store = current.getStore();
  if (!store) throw new Error('A partner request outside any rate gate (withRateGate, or withoutRateGate for OAuth).');
  store.signal?.throwIfAborted();
  return store.gate ? store.gate(store.signal) : NO_LANE;
}

/** The cancellation signal partner requests made now should honour. */
export const partnerRequestSignal = (): AbortSignal | undefined => current.getStore()?.signal;

/** Each client's pools, by limiter (the latest MAX_POOLS). */
const pools = new WeakMap<Client, Map<string, LanePool>>();
const MAX_POOLS = 1_000;

/** A gate on the lanes of the key's rate-limiter workflow (started on first use). */
export function temporalRateGate(
  client: Client,
  workflowTaskQueue: string,
  key: string,
  limit: number,
  signal?: AbortSignal,
): RateGate {
  const limiterId = rateLimiterWorkflowId(workflowTaskQueue, key);
  let byLimiter = pools.get(client);
  if (!byLimiter) pools.set(client, (byLimiter = new Map<string, LanePool>()));
  let pool = byLimiter.get(limiterId);
  if (!pool) {
    pool = new LanePool((r) =>
      client.workflow.executeUpdateWithStart(leaseLanesUpdate, {
        args: [r],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof rateLimiterWorkflow>('rateLimiterWorkflow', {
          workflowId: limiterId,
          taskQueue: workflowTaskQueue,
          args: [{ key }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    );
    byLimiter.set(limiterId, pool);
    // A pool let go of while it holds lanes only leaves them to lapse.
    for (const [id, p] of byLimiter) if (byLimiter.size > MAX_POOLS && p.idle()) byLimiter.delete(id);
  }
  pool.limit = limit;
  const lanes = pool;
  return (s) => lanes.take(signal ?? s);
}

/** A gate on lanes kept in this process alone (benchmarks and tests of one process). */
export function localRateGate(limit: number): RateGate {
  const book = emptyBook();
  const pool = new LanePool((r) => Promise.resolve(leaseLanes(book, r)));
  pool.limit = limit;
  return (signal) => pool.take(signal);
}

interface Waiter {
  resolve(lane: Lane): void;
  reject(err: Error): void;
  detach(): void;
}

/**
 * One process's lanes of one key. A request takes a held lane once the lane is free (a window
 * after its previous answer), in turn, and asks the book for more only when no held lane would
 * serve it sooner. Lanes the book asks back for others go back at once; lanes no request here
 * waits for, when they are about to be free (LINGER_MS); each with the time it is free.
 */
export class LanePool {
  limit = 1;
  private readonly holder = randomUUID();
  /** When each held lane not in use is free to send on, ascending. */
  private readonly free: number[] = [];
  private inUse = 0;
  /** Lanes in use that the book took back (a lapsed lease): dropped when done. */
  private dropping = 0;
  /** Lanes to give back (when each is free), ascending; since when the first waits, and whether others wait for them. */
  private readonly returns: number[] = [];
  private returnsSince = 0;
  private urgent = false;
  /** Lanes the book asked back. */
  private owed = 0;
  private until = 0;
  private readonly waiters: Waiter[] = [];
  private updating = false;
  private lastUpdate = -Infinity;
  /** The latest update got fewer lanes than it asked for; `short`: fewer than its share, too. */
  private unmet = false;
  private short = false;
  private failures = 0;
  private notBefore = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly trips = new RoundTrips();

  constructor(
    private readonly update: (r: LaneRequest) => Promise<LaneGrant>,
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** No lane, no request waiting, nothing to tell the book. */
  idle(): boolean {
    return !this.held() && !this.waiters.length && !this.returns.length && !this.updating && !this.unmet;
  }

  take(signal?: AbortSignal): Promise<Lane> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const abort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(abortError(signal!));
        this.pump();
      };
      const waiter: Waiter = { resolve, reject, detach: () => signal?.removeEventListener('abort', abort) };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  private held(): number {
    return this.free.length + this.inUse - this.dropping;
  }

  private lane(): Lane {
    let done = false;
    return {
      done: () => {
        if (done) return;
        done = true;
        this.inUse--;
        // Free a window after its answer (+1: clocks read whole milliseconds, rounded down).
        if (this.dropping > 0) this.dropping--;
        else insert(this.free, Date.now() + this.windowMs + 1);
        this.pump();
      },
    };
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    // Lanes waiting to go back serve requests here first (the book still counts them ours).
    while (this.waiters.length > this.free.length && this.returns.length) insert(this.free, this.returns.shift()!);
    const giveBack = (urgent: boolean) => {
      if (!this.returns.length) this.returnsSince = now;
      this.urgent ||= urgent;
      insert(this.returns, this.free.pop()!);
    };
    for (; this.owed > 0 && this.free.length; this.owed--) giveBack(true);
    while (this.free.length > this.waiters.length) giveBack(false);
    // Never a send in the lease's last LEASE_GUARD_MS: a lapsed lease's lanes go to others.
    const usable = now < this.until - LEASE_GUARD_MS;
    while (usable && this.waiters.length && this.free.length && this.free[0]! <= now) {
      this.free.shift();
      this.inUse++;
      const w = this.waiters.shift()!;
      w.detach();
      w.resolve(this.lane());
    }
    const want = this.wanted(now);
    let next = Infinity;
    if (!this.updating) {
      const rtt = this.trips.expected();
      const holding = this.held() + this.returns.length > 0;
      const due = Math.min(
        this.returns.length
          ? this.urgent
            ? now
            : Math.max(this.returnsSince + LINGER_MS, this.returns[0]! - rtt)
          : Infinity,
        want > 0 ? (this.unmet ? this.lastUpdate + (this.short ? RETRY_MS : RENEW_MS) : now) : Infinity,
        this.unmet && !want ? now : Infinity, // the book counts a want no longer here against others' shares
        holding ? (usable ? this.lastUpdate + RENEW_MS : now) : Infinity,
      );
      const at = Math.max(due, this.notBefore);
      if (at <= now) {
        // After this turn of the event loop: requests made side by side ask together.
        this.updating = true;
        setImmediate(() => void this.send());
        return;
      }
      next = at;
    }
    if (usable && this.waiters.length && this.free.length) next = Math.min(next, this.free[0]!);
    if (next < Infinity) this.timer = setTimeout(() => this.pump(), Math.max(0, next - now)).unref();
  }

  /** Lanes wanted on top of those held: for the requests no held lane serves sooner than an update's answer would. */
  private wanted(now: number): number {
    const soon = this.free.filter((t) => t <= now + this.trips.expected()).length;
    return Math.max(0, this.waiters.length - soon);
  }

  private async send(): Promise<void> {
    const want = this.wanted(Date.now());
    const r: LaneRequest = {
      holder: this.holder,
      now: Date.now(),
      limit: this.limit,
      windowMs: this.windowMs,
      want,
      held: this.held(),
      returned: this.returns.splice(0),
    };
    this.urgent = false;
    this.lastUpdate = r.now;
    try {
      const g = await this.update(r);
      this.trips.add(Date.now() - r.now);
      this.failures = 0;
      this.notBefore = 0;
      this.until = g.until;
      // Lanes the book took back (the lease lapsed): dropped, those waiting to go back first.
      let lost = r.held + g.granted.length - g.holding;
      for (; lost > 0 && this.returns.length; lost--) this.returns.pop();
      for (; lost > 0 && this.free.length; lost--) this.free.pop();
      for (; lost > 0 && this.inUse > this.dropping; lost--) this.dropping++;
      for (const freeAt of g.granted) insert(this.free, freeAt);
      this.owed = Math.max(0, g.yield - this.returns.length); // lanes set aside for return meanwhile count
      this.unmet = g.granted.length < want;
      this.short = g.short;
    } catch (err) {
      // Whatever the book applied, it squares with the next update's count (rate-lanes.ts).
      this.failures++;
      this.notBefore = Date.now() + Math.min(2_000, 100 * 2 ** this.failures);
      // Requests no held lane serves fail with it (an activity is retried).
      for (const w of this.waiters.splice(this.free.length)) {
        w.detach();
        w.reject(err instanceof Error ? err : new Error(String(err)));
      }
    } finally {
      this.updating = false;
      this.pump();
    }
  }
}

function insert(sorted: number[], t: number): void {
  const i = sorted.findIndex((u) => u > t);
  if (i < 0) sorted.push(t);
  else sorted.splice(i, 0, t);
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}
