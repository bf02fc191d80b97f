import { describe, expect, it } from 'vitest';
import { maxInAnyWindow } from '../../bench/stats.js';
import { allowedLateness, emptyWindow, takeSlot } from '../../domain/rate-window.js';

const request = (now: number) => ({ now, limit: 10, windowMs: 1_000, lateMs: 40 });

describe('rate window slots', () => {
  it('spreads the limit over the window, and keeps `limit` slots a window plus the lateness allowance apart', () => {
    const w = emptyWindow();
    const slots = Array.from({ length: 12 }, () => takeSlot(w, request(5_000)));
    expect(slots.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => 5_000 + 100 * i));
    expect(slots.slice(10)).toEqual([6_040, 6_140]);
    expect(w.ends).toHaveLength(10); // only the last `limit` slots are kept apart
  });

  it('gives a key whose limit cannot bind the moment of asking, counting the round trip as lateness', () => {
    const lifted = emptyWindow();
    const r = { now: 5_000, limit: 100_000, windowMs: 1_000, lateMs: 40, roundTripMs: 300 };
    const first = takeSlot(lifted, r);
    expect(first).toBe(5_000);
    expect(allowedLateness(r, first)).toBe(340); // sent when the answer comes, 300 ms on
    expect(lifted.ends).toEqual([5_340]);
  });

  it('gives a key with a real limit no slot sooner than the answer can come: only the lateness is counted', () => {
    const w = emptyWindow();
    const r = { ...request(5_000), roundTripMs: 300 };
    const first = takeSlot(w, r);
    expect(first).toBe(5_300);
    expect(allowedLateness(r, first)).toBe(40);
    // Backlogged, the whole limit is still used.
    const backlog = emptyWindow();
    const last = Array.from({ length: 1_000 }, () => takeSlot(backlog, { ...request(0), roundTripMs: 300 })).at(-1)!;
    expect(1_000 / (last / 1_000)).toBeGreaterThan(9.5);
  });

  it('never lets any second of sends exceed the limit, whoever asks and however late within the allowance', () => {
    // Many workers asking at random moments, each sending anywhere up to lateMs after its slot.
    let seed = 7;
    const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    // A partner's limit, and one high enough to hand out the moment of asking while little used.
    for (const [limit, gapMs] of [
      [10, 400],
      [200, 20],
    ] as const) {
      const w = emptyWindow();
      const sends: number[] = [];
      let now = 0;
      for (let i = 0; i < 5_000; i++) {
        now += random() < 0.7 ? 0 : Math.floor(random() * gapMs);
        // Callers that missed slots before allow themselves more lateness, and use it…
        const lateMs = [40, 80, 160, 1_000][Math.floor(random() * 4)]!;
        // …and allow for the answer's round trip.
        const r = { ...request(now), limit, lateMs, roundTripMs: Math.floor(random() * 500) };
        const at = takeSlot(w, r);
        sends.push(at + Math.floor(random() * (allowedLateness(r, at) + 1)));
      }
      const most = maxInAnyWindow(sends, 1_000);
      expect(most).toBeLessThanOrEqual(limit);
      expect(most).toBeGreaterThan(0.8 * limit); // pressed hard against it
    }
    // Backlogged, the limit is used to windowMs / (windowMs + lateMs).
    const busy = emptyWindow();
    const last = Array.from({ length: 1_000 }, () => takeSlot(busy, request(0))).at(-1)!;
    expect(1_000 / (last / 1_000)).toBeGreaterThan(9.5);
  });
});
