import { describe, expect, it } from 'vitest';
import { maxInAnyWindow } from '../../bench/stats.js';
import { emptyWindow, takeSlot } from '../../workflows/rate-window.js';

const request = (now: number) => ({ now, limit: 10, windowMs: 1_000, lateMs: 40 });

describe('rate window slots', () => {
  it('spreads the limit over the window, and keeps `limit` slots a window plus the lateness allowance apart', () => {
    const w = emptyWindow();
    const slots = Array.from({ length: 12 }, () => takeSlot(w, request(5_000)));
    expect(slots.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => 5_000 + 100 * i));
    expect(slots.slice(10)).toEqual([6_040, 6_140]);
    expect(w.ends).toHaveLength(10); // only the last `limit` slots are kept apart
  });

  it('never lets any second of sends exceed the limit, whoever asks and however late within the allowance', () => {
    // Many workers asking at random moments, each sending anywhere up to lateMs after its slot.
    let seed = 7;
    const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    const w = emptyWindow();
    const sends: number[] = [];
    let now = 0;
    for (let i = 0; i < 5_000; i++) {
      now += random() < 0.7 ? 0 : Math.floor(random() * 400);
      // Callers that missed slots before allow themselves more lateness, and use it.
      const lateMs = [40, 80, 160, 1_000][Math.floor(random() * 4)]!;
      const at = takeSlot(w, { ...request(now), lateMs });
      sends.push(at + Math.floor(random() * (lateMs + 1)));
    }
    expect(maxInAnyWindow(sends, 1_000)).toBe(10);
    // Backlogged, the limit is used to windowMs / (windowMs + lateMs).
    const busy = emptyWindow();
    const last = Array.from({ length: 1_000 }, () => takeSlot(busy, request(0))).at(-1)!;
    expect(1_000 / (last / 1_000)).toBeGreaterThan(9.5);
  });
});
