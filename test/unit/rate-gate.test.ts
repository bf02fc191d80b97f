import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LATE_MS, slotGate } from '../../activities/rate-gate.js';
import { RoundTrips } from '../../activities/round-trips.js';
import { emptyWindow, takeSlot } from '../../domain/rate-window.js';

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

describe('slotGate', () => {
  it('asks once per request once it knows the round trip and goes as the answer comes, where a slot for the moment of asking was always spent', async () => {
    const ROUND_TRIP_MS = 80; // far beyond LATE_MS, as on a loaded machine
    expect(ROUND_TRIP_MS).toBeGreaterThan(3 * LATE_MS);
    const window = emptyWindow();
    let asks = 0;
    const gate = slotGate(async (ask) => {
      asks++;
      const at = takeSlot(window, { ...ask, limit: 1_000, windowMs: 1_000 });
      await sleep(ROUND_TRIP_MS);
      return at;
    });
    const waited: number[] = [];
    for (let i = 0; i < 10; i++) {
      const asked = Date.now();
      await gate();
      waited.push(Date.now() - asked);
    }
    // The first request learns the round trip (one spent slot); each later one asks once, and
    // goes as its answer comes. Without the round trip every request asked three times
    // (lateness 25, 50, then 100 ms).
    expect(asks).toBeLessThanOrEqual(13);
    expect(Math.max(...waited.slice(1))).toBeLessThan(2 * ROUND_TRIP_MS);
  });
});
