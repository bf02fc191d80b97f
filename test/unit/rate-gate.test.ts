import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LATE_MS, slotGate } from '../../activities/rate-gate.js';
import { RoundTrips } from '../../activities/round-trips.js';
import { emptyWindow, takeSlot } from '../../workflows/rate-window.js';

describe('RoundTrips', () => {
  it('leads by nothing until it has seen a round trip, then by the 90th percentile of the recent ones', () => {
    const trips = new RoundTrips(10);
    expect(trips.lead()).toBe(0);
    for (const ms of [100, 90, 80, 70, 60, 50, 40, 30, 20, 10]) trips.add(ms);
    expect(trips.lead()).toBe(90);
    // Only the latest ten count: a loaded spell that has passed is forgotten.
    for (let i = 0; i < 10; i++) trips.add(5);
    expect(trips.lead()).toBe(5);
    // A machine that just got busy is followed at once.
    trips.add(300);
    expect(trips.lead()).toBe(300);
  });

  it('never leads by more than its cap', () => {
    const trips = new RoundTrips(5, 0.9, 1_000);
    trips.add(30_000);
    expect(trips.lead()).toBe(1_000);
  });
});

describe('slotGate', () => {
  it('asks once per request once it knows the round trip, where a slot for the moment of asking was always spent', async () => {
    const ROUND_TRIP_MS = 80; // far beyond LATE_MS, as on a loaded machine
    expect(ROUND_TRIP_MS).toBeGreaterThan(3 * LATE_MS);
    const window = emptyWindow();
    let asks = 0;
    const gate = slotGate(async (now, lateMs) => {
      asks++;
      const at = takeSlot(window, { now, limit: 1_000, windowMs: 1_000, lateMs });
      await sleep(ROUND_TRIP_MS);
      return at;
    });
    for (let i = 0; i < 10; i++) await gate();
    // The first request learns the round trip (one spent slot); each later one asks once.
    // Without the lead every request asked three times (lateness 25, 50, then 100 ms).
    expect(asks).toBeLessThanOrEqual(13);
  });
});
