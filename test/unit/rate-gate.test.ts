import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { maxInAnyWindow } from '../../bench/stats.js';
import {
  LanePool,
  beforePartnerRequest,
  localRateGate,
  withRateGate,
  withoutRateGate,
} from '../../activities/rate-gate.js';
import { RoundTrips } from '../../activities/round-trips.js';
import { emptyBook, leaseLanes, type LaneGrant, type LaneRequest } from '../../domain/rate-lanes.js';

describe('RoundTrips', () => {
  it('expects no round trip until it has seen one, then the longest of the recent ones', () => {
    const trips = new RoundTrips(10);
    expect(trips.expected()).toBe(0);
    for (const ms of [100, 90, 80, 70, 60, 50, 40, 30, 20, 10]) trips.add(ms);
    expect(trips.expected()).toBe(100);
    // Only the latest ten count: a loaded spell that has passed is forgotten.
    for (let i = 0; i < 10; i++) trips.add(5);
    expect(trips.expected()).toBe(5);
  });

  it('never expects more than its cap', () => {
    const trips = new RoundTrips(5, 1_000);
    trips.add(30_000);
    expect(trips.expected()).toBe(1_000);
  });
});

describe('the one entry for partner requests', () => {
  it('refuses a request outside any gate, and lets an OAuth call go uncounted only when said so', async () => {
    await expect(beforePartnerRequest()).rejects.toThrow(/outside any rate gate/);
    await expect(withoutRateGate(() => beforePartnerRequest())).resolves.toBeDefined();
    const lane = await withRateGate(localRateGate(1), () => beforePartnerRequest());
    lane.done();
  });
});

describe('lane pools on one book', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  let seed = 11;
  const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Three processes sending on one key at several times its limit, with slow and uneven answers and updates. */
  async function simulate(opts: { dies?: boolean }) {
    const LIMIT = 10;
    const book = emptyBook();
    let updates = 0;
    let dead = false;
    const limiter =
      (holder: number) =>
      async (r: LaneRequest): Promise<LaneGrant> => {
        updates++;
        await wait(5 + random() * 150); // on its way to the workflow
        if (holder === 0 && dead) return new Promise<never>(() => {}); // a process that hangs
        const g = leaseLanes(book, r);
        await wait(5 + random() * 150); // on its way back
        return g;
      };
    const pools = [0, 1, 2].map((i) => {
      const pool = new LanePool(limiter(i));
      pool.limit = LIMIT;
      return pool;
    });
    const counted: number[] = [];
    let sent = 0;
    let offeredToLiving = 0;
    let sentByLiving = 0;
    const request = async (p: number) => {
      if (p !== 0) offeredToLiving++;
      const lane = await pools[p]!.take();
      if (p === 0 && dead) return; // taken, never sent, never done
      sent++;
      if (p !== 0) sentByLiving++;
      const trip = 2 + random() * (random() < 0.1 ? 900 : 60);
      // The partner counts it anywhere between sending and answering (a busy partner, late).
      const countAt = Date.now() + random() * trip;
      counted.push(countAt);
      await wait(trip);
      lane.done();
    };
    const started = Date.now();
    for (let t = 0; t < 30_000; t += 25) {
      // 40 requests a second offered, in bursts, across the three.
      void request(Math.floor(random() * 3));
      if (opts.dies && t === 10_000) dead = true;
      await vi.advanceTimersByTimeAsync(25);
    }
    await vi.advanceTimersByTimeAsync(120_000);
    return { counted, sent, offeredToLiving, sentByLiving, seconds: (Date.now() - started) / 1_000, updates };
  }

  it('never lets any second hold more than the limit, and uses nearly all of it', async () => {
    const { counted, sent, updates } = await simulate({});
    expect(sent).toBe(1_200);
    expect(maxInAnyWindow(counted, 1_000)).toBeLessThanOrEqual(10);
    // While backlogged: ~10 a second (each lane waits a window plus its answer).
    const first = Math.min(...counted);
    const last = Math.max(...counted);
    expect((sent - 1) / ((last - first) / 1_000)).toBeGreaterThan(8.5);
    expect(updates).toBeLessThan(sent); // lanes are reused without asking
  });

  it('holds the limit when a process holding lanes hangs: its lanes come back after its lease', async () => {
    const { counted, offeredToLiving, sentByLiving } = await simulate({ dies: true });
    expect(maxInAnyWindow(counted, 1_000)).toBeLessThanOrEqual(10);
    expect(sentByLiving).toBe(offeredToLiving); // the others went on (after LEASE_MS)
  });
});
